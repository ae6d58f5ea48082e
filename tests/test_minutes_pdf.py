"""The minutes PDF layout: NĐ 30/2020 structure, embedded fonts, diacritics survive text extraction."""

from __future__ import annotations

import unicodedata

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from minutes.document import Attendee, ItemRecord, MinutesDoc, Signer, Speech, VoteRecord
from minutes.pdf import render_pdf

NAMES = ["Nguyễn Văn Thành", "Trần Quốc Hưng", "Lê Thị Thu Hằng", "Phạm Minh Đức", "Hoàng Văn Khải", "Đỗ Thị Ngọc Ánh"]


def sample(n_items: int = 2, speeches: int = 2) -> MinutesDoc:
    people = [Attendee(n, "Bộ trưởng") for n in NAMES]
    items = [
        ItemRecord(
            position=i + 1,
            title=f"Dự thảo Nghị định số {i + 1} về quản lý ngân sách nhà nước",
            presenter="Bộ Tài chính",
            documents=["Tờ trình số 123/TTr-BTC", "Dự thảo Nghị định"],
            speeches=[
                Speech(NAMES[k % 6], "Bộ trưởng", "08:1%d" % (k % 10), "08:2%d" % (k % 10)) for k in range(speeches)
            ],
            votes=[
                VoteRecord(
                    "Thông qua dự thảo Nghị định?",
                    "ghi danh",
                    "Quá nửa tổng số thành viên tán thành",
                    [("Tán thành", 4), ("Không tán thành", 1), ("Không biểu quyết", 1)],
                    True,
                    named=[(n, "Tán thành") for n in NAMES[:4]],
                ),
                VoteRecord(
                    "Bổ sung kinh phí dự phòng?",
                    "kín",
                    "Quá nửa tổng số thành viên tán thành",
                    [("Tán thành", 2), ("Không tán thành", 4)],
                    False,
                ),
            ],
            conclusion=(
                "Chính phủ thống nhất thông qua; giao Bộ Tài chính hoàn thiện, trình ký ban hành trước ngày 15/12/2026."
            ),
        )
        for i in range(n_items)
    ]
    return MinutesDoc(
        agency="Chính phủ",
        number="Số:      /BB-CP",
        place_date="Hà Nội, ngày 03 tháng 12 năm 2026",
        subject="Phiên họp Chính phủ thường kỳ tháng 11/2026",
        started="08 giờ 00, ngày 03 tháng 12 năm 2026",
        place="Phòng họp Chính phủ, số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội",
        chair=Attendee(NAMES[0], "Thủ tướng Chính phủ"),
        secretary=Attendee("Nguyễn Thị Lan Anh", "Vụ trưởng Văn phòng Chính phủ"),
        present_room=people[:4],
        present_remote=people[4:5],
        deputies=[Attendee("Vũ Văn Phó", "Thứ trưởng", "dự thay Bộ trưởng Bộ Y tế")],
        absent=[Attendee(NAMES[5], "Bộ trưởng", "có lý do")],
        guests=[Attendee("Trương Công Minh", "Chủ tịch UBND tỉnh Quảng Nam")],
        items=items,
        ended="11 giờ 30 cùng ngày",
        signers=(Signer("THƯ KÝ", "Nguyễn Thị Lan Anh"), Signer("CHỦ TỌA", NAMES[0], "Thủ tướng Chính phủ")),
    )


def text_of(pdf: bytes) -> tuple[str, int]:
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
        return unicodedata.normalize("NFC", "\n".join(pages)), len(doc)
    finally:
        doc.close()


def test_minutes_pdf_has_the_form_and_every_diacritic() -> None:
    text, pages = text_of(render_pdf(sample()))
    flat = " ".join(text.split())
    for expected in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN",
        "CHÍNH PHỦ",
        "Phiên họp Chính phủ thường kỳ tháng 11/2026",
        "THƯ KÝ",
        "CHỦ TỌA",
        "Nơi nhận",
        "dự thay Bộ trưởng Bộ Y tế",
        f"{NAMES[5]}, Bộ trưởng (có lý do);",
        "Kết quả: Thông qua",
        "Kết quả: Không thông qua",
        "giao Bộ Tài chính hoàn thiện, trình ký ban hành trước ngày 15/12/2026",
        *NAMES,
    ]:
        assert expected in flat, expected
    assert pages >= 2


def fonts_used(pdf: bytes) -> set[str]:
    """Base font names of every text object on every page."""
    names = set()
    doc = pdfium.PdfDocument(pdf)
    try:
        for page in doc:
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
                font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
                size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
                buf = ctypes.create_string_buffer(size)
                pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
                names.add(buf.value.decode())
    finally:
        doc.close()
    return names


def test_fonts_are_embedded_and_no_text_falls_back_to_helvetica() -> None:
    pdf = render_pdf(sample())
    assert b"/FontFile2" in pdf  # TrueType programs embedded
    assert fonts_used(pdf) == {
        "LiberationSerif",
        "LiberationSerif-Bold",
        "LiberationSerif-Italic",
        "LiberationSerif-BoldItalic",
    }


def test_decomposed_input_comes_out_composed() -> None:
    doc = sample(n_items=1)
    nfd = unicodedata.normalize("NFD", "Kết luận: đồng ý chủ trương")
    doc = MinutesDoc(**{**doc.__dict__, "closing": nfd})
    text, _ = text_of(render_pdf(doc))
    assert "Kết luận: đồng ý chủ trương" in " ".join(text.split())


def test_long_meeting_splits_across_pages_with_numbers_from_page_two() -> None:
    pdf = render_pdf(sample(n_items=30, speeches=10))
    doc = pdfium.PdfDocument(pdf)
    try:
        n = len(doc)
        assert 10 <= n <= 80
        first_top = doc[0].get_textpage().get_text_bounded(top=842, bottom=842 - 40).strip()
        second_top = doc[1].get_textpage().get_text_bounded(top=842, bottom=842 - 40).strip()
        assert first_top == "" and second_top == "2"
    finally:
        doc.close()
