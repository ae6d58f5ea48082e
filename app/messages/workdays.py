"""UI strings of the working-day calendar page: key -> (Vietnamese, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "workdays.title": ("Lịch ngày làm việc", "Working-day calendar"),
    "workdays.days_off": ("Ngày nghỉ lễ, Tết và nghỉ bù (ngoài Thứ Bảy, Chủ nhật)", "Public holidays and days off (besides weekends)"),
    "workdays.make_up": ("Ngày làm bù", "Make-up working days"),
    "workdays.note": ("Theo Bộ luật Lao động 2019, Điều 112; ngày âm lịch tính theo giờ Việt Nam (UTC+7). Quản trị viên điều chỉnh theo thông báo hằng năm của Chính phủ.",
                      "Labour Code 2019, art. 112; lunar dates computed in Vietnam time (UTC+7). The admin adjusts to the Government's yearly notice."),
    "workdays.overrides": ("Điều chỉnh lịch", "Adjustments"),
    "workdays.kind": ("Loại", "Kind"),
    "workdays.kind.off": ("Ngày nghỉ", "Day off"),
    "workdays.kind.work": ("Ngày làm việc", "Working day"),
    "workdays.day": ("Ngày", "Date"),
    "workdays.reason": ("Ghi chú", "Note"),
    "workdays.add": ("Thêm", "Add"),
    "workdays.remove": ("Bỏ", "Remove"),
}
