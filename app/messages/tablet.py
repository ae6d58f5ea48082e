"""UI strings of the tablet ergonomics (reading mode, full screen, confirmations): key -> (Vietnamese, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "tablet.fullscreen": ("Toàn màn hình", "Full screen"),
    "tablet.fullscreen_exit": ("Thoát toàn màn hình", "Exit full screen"),
    "tablet.fullscreen_hint": ("Đọc toàn màn hình (Esc để thoát)", "Read in full screen (Esc to leave)"),
    "tablet.show_tools": ("Hiện thanh công cụ", "Show the toolbars"),
    "tablet.presenting_doc": ("{name} đang trình chiếu «{title}» · trang {page}", "{name} is presenting “{title}” · page {page}"),
    "tablet.you_present_doc": ("Bạn đang trình chiếu «{title}» · trang {page}", "You are presenting “{title}” · page {page}"),
    "tablet.confirm_finalise": (
        "Chốt biên bản? Sau khi chốt, nội dung không sửa được nữa và biên bản chuyển sang ký (thư ký rồi chủ tọa); muốn sửa phải mở phiên bản mới.",
        "Finalise the minutes? Once finalised the text can no longer be edited and the minutes go to signing (secretary, then chair); changes need a new version.",
    ),
}
