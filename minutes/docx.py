"""The minutes as a Word document (python-docx), same structure as minutes/pdf.py, for offices that go on
editing in Word: A4, margins 20/20/30/15 mm, Times New Roman 14 pt (Word substitutes Liberation Serif or Tinos
where Times is missing: metric-compatible), page number centred in the header from page 2."""

from __future__ import annotations

import io
from typing import Any

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from core.types import clean_para as nfc  # NFC, without what XML 1.0 cannot hold (older stored text)
from minutes.attendance import FIGURES_LABEL, GROUP_LABELS
from minutes.builder import BOARD_VI, RESULT_VI
from minutes.document import Attendee, ItemRecord, MinutesDoc, VoteRecord
from minutes.fileinfo import FileInfo, finish_docx, set_docx_info

FONT = "Times New Roman"
BODY_PT = 14


def _font(run_or_style: object, size: float | None = None) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = FONT
    if size:
        font.size = Pt(size)
    rpr = run_or_style.element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _para(
    container: object,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    size: float | None = None,
    indent_mm: float = 0,
) -> Paragraph:
    p: Paragraph = container.add_paragraph()  # type: ignore[attr-defined]
    if align is not None:
        p.alignment = align
    if indent_mm:
        p.paragraph_format.left_indent = Mm(indent_mm)
    p.paragraph_format.space_after = Pt(3)
    if text:
        run = p.add_run(nfc(text))
        run.bold, run.italic, run.underline = bold, italic, underline
        if size:
            run.font.size = Pt(size)
    return p


def _runs(p: Paragraph, *parts: tuple[str, bool]) -> None:
    for text, bold in parts:
        p.add_run(nfc(text)).bold = bold


def _page_field(paragraph: Paragraph) -> None:
    run = paragraph.add_run()
    for tag, text in (("w:fldChar", "begin"), ("w:instrText", "PAGE"), ("w:fldChar", "end")):
        el = OxmlElement(tag)
        if tag == "w:fldChar":
            el.set(qn("w:fldCharType"), text)
        else:
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _setup(doc: object) -> None:
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True  # NĐ 30: no number on page 1
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(header)
    style = doc.styles["Normal"]  # type: ignore[attr-defined]
    _font(style, BODY_PT)
    style.paragraph_format.space_after = Pt(3)


def _cell(cell: _Cell, lines: list[tuple[str, dict[str, Any]]]) -> None:
    cell.paragraphs[0].text = ""
    first = True
    for text, fmt in lines:
        p = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(nfc(text))
        run.bold, run.italic, run.underline = fmt.get("b", False), fmt.get("i", False), fmt.get("u", False)
        run.font.size = Pt(fmt.get("size", 13))


def _header(doc: object, m: MinutesDoc) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.columns[0].width, table.columns[1].width = Mm(62), Mm(103)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(62), Mm(103)
    _cell(left, [(m.agency.upper(), {"b": True}), ("───────", {}), (m.number, {})])
    _cell(
        right,
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"b": True}),
            ("Độc lập - Tự do - Hạnh phúc", {"b": True, "u": True}),
            ("", {}),
            (m.place_date, {"i": True, "size": 14}),
        ],
    )
    _para(doc, "BIÊN BẢN", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.space_before = Pt(10)
    _para(doc, m.subject, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "────────────", align=WD_ALIGN_PARAGRAPH.CENTER)


def _people(doc: object, label: str, people: list[Attendee]) -> None:
    if not people:
        return
    _para(doc, f"{label} ({len(people)}):", italic=True, indent_mm=8)
    for i, p in enumerate(people, start=1):
        _para(
            doc,
            f"{i}. {p.name}" + (f", {p.title}" if p.title else "") + (f" ({p.note})" if p.note else "") + ";",
            indent_mm=8,
        )


def _grid(doc: object, rows: list[tuple[str, str]], head: tuple[str, str], widths: tuple[float, float]) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.paragraphs[0].add_run(nfc(text)).bold = True
    for a, b in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(nfc(a))
        cells[1].paragraphs[0].add_run(nfc(b))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)


def _vote(doc: object, v: VoteRecord) -> None:
    _para(doc, f"- Biểu quyết ({v.kind}): {v.question}", indent_mm=8)
    p = _para(doc, f"Quy tắc: {v.rule}", italic=True, indent_mm=8)
    if v.threshold:
        p.add_run(nfc(f" ({v.threshold})"))
    if v.counts:
        _grid(doc, [(label, str(n)) for label, n in v.counts], ("Phương án", "Số phiếu"), (120, 35))
    if v.not_voted:
        _para(doc, f"Thành viên không tham gia biểu quyết: {v.not_voted}.", indent_mm=8)
    p = _para(doc, "", indent_mm=8)
    _runs(p, ("Kết quả: ", False), (RESULT_VI[v.passed], True), (".", False))
    if v.board_fingerprint:
        _para(doc, f"{BOARD_VI}: {v.board_fingerprint}.", indent_mm=8)
    if v.named:
        _para(doc, "Kết quả ghi danh:", italic=True, indent_mm=8)
        _grid(doc, list(v.named), ("Thành viên", "Lựa chọn"), (110, 45))


def _item(doc: object, item: ItemRecord) -> None:
    _para(doc, f"{item.position}. {item.title}", bold=True).paragraph_format.space_before = Pt(6)
    if item.summary_text is not None:
        for line in item.summary_text.splitlines():
            if line.strip():
                _para(doc, line, indent_mm=8)
    else:
        if item.when:
            _para(doc, f"- Thời gian thảo luận: {item.when}.", indent_mm=8)
        if item.presenter:
            _para(doc, f"- Cơ quan trình: {item.presenter}.", indent_mm=8)
        if item.documents:
            _para(doc, "- Tài liệu: " + "; ".join(item.documents) + ".", indent_mm=8)
        if item.speeches:
            _para(doc, "- Ý kiến phát biểu:", indent_mm=8)
            for i, sp in enumerate(item.speeches, start=1):
                _para(
                    doc,
                    f"{i}. {sp.name}" + (f", {sp.title}" if sp.title else "") + f" ({sp.start} - {sp.end});",
                    indent_mm=8,
                )
    for vote in item.votes:
        _vote(doc, vote)
    if item.conclusion:
        p = _para(doc, "", indent_mm=8)
        _runs(p, ("- ", False), ("Kết luận:", True), (" " + item.conclusion, False))


def _signatures(doc: object, m: MinutesDoc) -> None:
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    for cell, signer in zip(table.rows[0].cells, m.signers):
        _cell(
            cell,
            [
                (signer.role_label, {"b": True, "size": 14}),
                ("(Chữ ký)", {"i": True, "size": 14}),
                ("", {}),
                ("", {}),
                ("", {}),
                (signer.name, {"b": True, "size": 14}),
            ],
        )
    _para(doc, "Nơi nhận:", bold=True, italic=True, size=12).paragraph_format.space_before = Pt(6)
    for r in m.recipients:
        _para(doc, f"- {r}", size=11)


def render_docx(m: MinutesDoc, info: FileInfo | None = None) -> bytes:
    info = info or FileInfo(title=nfc(f"Biên bản {m.subject}"))
    doc = new_document()
    _setup(doc)
    set_docx_info(doc.core_properties, FileInfo(**{**info.__dict__, "subject": info.subject or nfc(m.subject)}))
    _header(doc, m)
    _para(doc, f"Thời gian bắt đầu: {m.started}.")
    _para(doc, f"Địa điểm: {m.place}.")
    _para(doc, "Thành phần tham dự:")
    if m.attendance_text is not None:
        for line in m.attendance_text.splitlines():
            if line.strip():
                _para(doc, line, indent_mm=8)
    else:
        lists = {
            "present_room": m.present_room,
            "present_remote": m.present_remote,
            "deputies": m.deputies,
            "guests": m.guests,
            "absent": m.absent,
        }
        for key, label in GROUP_LABELS:
            _people(doc, label, lists[key])
    if m.figures:
        _para(doc, f"{FIGURES_LABEL}:", italic=True, indent_mm=8)
    for line in m.figures:
        _para(doc, f"- {line}", indent_mm=8)
    _para(doc, f"Chủ trì (chủ tọa): {m.chair.name}" + (f", {m.chair.title}" if m.chair.title else "") + ".")
    _para(
        doc,
        f"Thư ký (người ghi biên bản): {m.secretary.name}"
        + (f", {m.secretary.title}" if m.secretary.title else "")
        + ".",
    )
    _para(doc, "Nội dung (theo diễn biến cuộc họp):")
    if m.opening:
        _para(doc, m.opening)
    for item in m.items:
        _item(doc, item)
    if m.closing:
        _para(doc, m.closing)
    if m.ended:
        _para(doc, f"Cuộc họp kết thúc vào {m.ended}.")
    _signatures(doc, m)
    if m.annex:
        doc.add_page_break()  # type: ignore[no-untyped-call]  # python-docx leaves this one unannotated
        _para(doc, "PHỤ LỤC", bold=True).alignment = WD_ALIGN_PARAGRAPH.CENTER
        for i, line in enumerate(m.annex, start=1):
            _para(doc, f"{i}. {line}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return finish_docx(buffer.getvalue(), info)
