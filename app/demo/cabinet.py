"""Who is in the demo: the Government's structure after the 2025 reorganisation (Nghị quyết 176/2025/QH15:
14 ministries and 3 ministry-level agencies), with FICTIONAL people (never real officials' names).

The real Government counts 25 members (Nghị quyết 177/2025/QH15: the Prime Minister, 7 Deputy Prime
Ministers, 17 heads); the demo keeps 27 (nine Deputy Prime Ministers) because its quorum and majority
figures (18 of 27, 14 of 27) are what the tests and the user guide walk through."""

from __future__ import annotations

GOVERNMENT = "Chính phủ"
OFFICE = "Văn phòng Chính phủ"

# (full name, title, unit)
CHAIR = ("Nguyễn Văn Thành", "Thủ tướng Chính phủ", GOVERNMENT)
SECRETARY = ("Nguyễn Thị Lan Anh", "Vụ trưởng, Thư ký phiên họp", OFFICE)
ADMIN = ("Quản trị hệ thống", "Quản trị viên", OFFICE)
GUEST = ("Trương Công Minh", "Chủ tịch Ủy ban nhân dân thành phố Đà Nẵng", "Ủy ban nhân dân thành phố Đà Nẵng")

_DEPUTIES = [
    ("Trần Quốc Hưng", "Phó Thủ tướng Thường trực"),
    ("Lê Thị Thu Hằng", "Phó Thủ tướng"),
    ("Phạm Minh Đức", "Phó Thủ tướng"),
    ("Hoàng Văn Khải", "Phó Thủ tướng"),
    ("Vũ Đức Thắng", "Phó Thủ tướng"),
    ("Đặng Văn Lộc", "Phó Thủ tướng"),
    ("Kiều Thị Phương", "Phó Thủ tướng"),
    ("Lạc Đức Hiếu", "Phó Thủ tướng"),
    ("Tô Văn Bảo", "Phó Thủ tướng"),
]
MINISTRIES = [  # the 14 ministries, in the order of Nghị quyết 176/2025/QH15
    "Bộ Quốc phòng",
    "Bộ Công an",
    "Bộ Ngoại giao",
    "Bộ Nội vụ",
    "Bộ Tư pháp",
    "Bộ Tài chính",
    "Bộ Công Thương",
    "Bộ Nông nghiệp và Môi trường",
    "Bộ Xây dựng",
    "Bộ Văn hóa, Thể thao và Du lịch",
    "Bộ Khoa học và Công nghệ",
    "Bộ Giáo dục và Đào tạo",
    "Bộ Y tế",
    "Bộ Dân tộc và Tôn giáo",
]
_MINISTERS = [
    "Lương Đình Khôi",
    "Ninh Văn Tùng",
    "Đoàn Thị Ngọc Ánh",
    "Phan Thị Mỹ Linh",
    "Đỗ Quang Vinh",
    "Ngô Thị Minh Hạnh",
    "Dương Hữu Nghĩa",
    "Lý Văn Toàn",
    "Trịnh Xuân Trường",
    "Tạ Quang Huy",
    "Hứa Minh Triết",
    "Võ Thị Xuân Mai",
    "Đinh Công Tuấn",
    "Y Khoa Niê",
]
AGENCIES = [  # the 3 ministry-level agencies: (head's title, agency, fictional head)
    ("Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ", OFFICE, "Lưu Đình Khoa"),
    ("Thống đốc Ngân hàng Nhà nước Việt Nam", "Ngân hàng Nhà nước Việt Nam", "Hà Minh Quân"),
    ("Tổng Thanh tra Chính phủ", "Thanh tra Chính phủ", "Cao Thị Hồng Nhung"),
]

MEMBERS: list[tuple[str, str, str]] = (
    [(name, title, GOVERNMENT) for name, title in _DEPUTIES]
    + [(name, f"Bộ trưởng {ministry}", ministry) for name, ministry in zip(_MINISTERS, MINISTRIES, strict=True)]
    + [(name, title, unit) for title, unit, name in AGENCIES]
)
assert len(MEMBERS) == 26  # thanhvien01 … thanhvien26


def username_of(unit: str) -> str:
    """The demo account heading `unit` (a ministry or agency)."""
    index = next(i for i, (_, _, u) in enumerate(MEMBERS) if u == unit)
    return f"thanhvien{index + 1:02d}"
