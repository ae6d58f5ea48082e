"""UI strings of encrypted secret ballots (tablet, trustees, board): key -> (Vietnamese, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "ballot.receipt": ("Biên nhận phiếu kín: {receipt}", "Secret ballot receipt: {receipt}"),
    "ballot.receipt_hint": ("Biên nhận không cho biết bạn đã chọn gì; dùng nó để kiểm tra phiếu của bạn có trên bảng phiếu.",
                            "The receipt does not reveal your choice; use it to check that your ballot is on the board."),
    "ballot.check": ("Kiểm tra trên bảng phiếu", "Check on the board"),
    "ballot.on_board": ("Phiếu của bạn có trên bảng phiếu công khai.", "Your ballot is on the public board."),
    "ballot.not_on_board": ("Không thấy phiếu của bạn trên bảng phiếu!", "Your ballot is NOT on the board!"),
    "ballot.receipt_mismatch": ("Biên nhận máy chủ trả về không khớp với phiếu đã mã hóa.", "The server's receipt does not match the encrypted ballot."),
    "ballot.decrypt": ("Giải mã phần của tôi", "Decrypt my share"),
    "ballot.decrypt_prompt": ("Nhập mật khẩu để giải mã phần của bạn trên TỔNG số phiếu (không giải mã phiếu riêng lẻ nào).",
                              "Enter your password to decrypt your share of the TOTAL (no single ballot is decrypted)."),
    "ballot.decrypted": ("Đã giải mã phần của bạn.", "Your share is decrypted."),
    "ballot.password": ("Mật khẩu", "Password"),
    "ballot.key_title": ("Khóa kiểm phiếu kín.", "Secret ballot key."),
    "ballot.key_hint": ("Chủ trì, thư ký và thành viên được cơ quan chỉ định giữ một phần khóa giải mã tổng số phiếu kín; hãy tạo khóa của bạn một lần.",
                        "The chair, the secretary and a member the organisation names each hold part of the key that decrypts a secret vote's total; create yours once."),
    "ballot.key_create": ("Tạo khóa kiểm phiếu", "Create my ballot key"),
    "ballot.key_prompt": ("Nhập mật khẩu đăng nhập: khóa kiểm phiếu được bảo vệ bằng mật khẩu này.", "Enter your sign-in password: your ballot key is protected with it."),
    "ballot.key_created": ("Đã tạo khóa kiểm phiếu.", "Your ballot key is created."),
}
