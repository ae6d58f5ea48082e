"""UI strings of the search box (home page and live page): key -> (Vietnamese, English)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "search.label": ("Tìm trong các cuộc họp và tài liệu", "Search meetings and documents"),
    "search.placeholder": ("Tìm (gõ không dấu cũng được), ví dụ: đất đai", "Search (accents optional), e.g. đất đai"),
    "search.button": ("Tìm", "Search"),
    "search.none": ("Không tìm thấy kết quả.", "No results."),
    "search.count": ("{n} kết quả", "{n} results"),
    "search.more": ("Xem thêm", "More"),
    "search.page": ("trang {n}", "page {n}"),
    "search.kind.meeting": ("Cuộc họp", "Meeting"),
    "search.kind.agenda_item": ("Nội dung họp", "Agenda item"),
    "search.kind.document": ("Tài liệu", "Document"),
    "search.restricted": ("Tài liệu hạn chế: mở trang để xem (có dấu người xem)", "Restricted document: open the page to read it (watermarked)"),
    "search.close": ("Đóng kết quả", "Close results"),
}
