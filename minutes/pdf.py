"""Lay out MinutesDoc as a PDF in the form of NĐ 30/2020/NĐ-CP, Phụ lục III, Mẫu 1.9 (BIÊN BẢN).

A4; margins top/bottom 20 mm, left 30 mm, right 15 mm; Times-class serif embedded; body 14 pt; page
numbers centred at the top from page 2. All text is NFC and XML-escaped before it reaches reportlab.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core.text import nfc
from minutes.attendance import FIGURES_LABEL
from minutes.builder import BOARD_VI
from minutes.document import Attendee, ItemRecord, MinutesDoc, VoteRecord
from minutes.fileinfo import FileInfo, finish_pdf
from minutes.fonts import register

MARGINS = {"topMargin": 20 * mm, "bottomMargin": 20 * mm, "leftMargin": 30 * mm, "rightMargin": 15 * mm}
BODY_PT = 14


def _t(text: str) -> str:
    """NFC + XML escape + keep line breaks."""
    return escape(nfc(text)).replace("\n", "<br/>")


def _styles(family: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body",
        fontName=family,
        fontSize=BODY_PT,
        leading=BODY_PT * 1.3,
        alignment=TA_JUSTIFY,
        spaceAfter=4,
        firstLineIndent=0,
    )
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER, spaceAfter=0)
    return {
        "body": base,
        "indent": ParagraphStyle("indent", parent=base, leftIndent=8 * mm),
        "center": center,
        "agency": ParagraphStyle("agency", parent=center, fontSize=13, leading=16),
        "motto": ParagraphStyle("motto", parent=center, fontSize=13, leading=17),
        "date": ParagraphStyle("date", parent=center, fontSize=14, leading=17),
        "title": ParagraphStyle("title", parent=center, fontSize=14, leading=18, spaceBefore=10),
        "heading": ParagraphStyle("heading", parent=base, spaceBefore=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=12, leading=15, alignment=TA_LEFT, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=11, leading=13, alignment=TA_LEFT, spaceAfter=0),
        "recipients_head": ParagraphStyle("rh", parent=base, fontSize=12, leading=14, alignment=TA_LEFT, spaceAfter=0),
    }


def _rule(width_mm: float) -> Table:
    """A short centred horizontal line (the form's rule under the agency name and under the subject)."""
    line = Table([[""]], colWidths=[width_mm * mm], rowHeights=[2], hAlign="CENTER")
    line.setStyle(TableStyle([("LINEABOVE", (0, 0), (-1, -1), 0.6, colors.black)]))
    return line


def _header(doc: MinutesDoc, s: dict[str, ParagraphStyle]) -> list[Any]:
    left = [
        Paragraph(f"<b>{_t(doc.agency.upper())}</b>", s["agency"]),
        Spacer(1, 4),
        _rule(22),
        Spacer(1, 2),
        Paragraph(_t(doc.number).replace("  ", "&nbsp;&nbsp;"), s["agency"]),
    ]
    right = [
        Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", s["agency"]),
        Paragraph("<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", s["motto"]),
        Spacer(1, 6),
        Paragraph(f"<i>{_t(doc.place_date)}</i>", s["date"]),
    ]
    table = Table([[left, right]], colWidths=[62 * mm, 103 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        table,
        Paragraph("<b>BIÊN BẢN</b>", s["title"]),
        Paragraph(f"<b>{_t(doc.subject)}</b>", s["center"]),
        Spacer(1, 5),
        _rule(40),
        Spacer(1, 8),
    ]


def _people(label: str, people: list[Attendee], s: dict[str, ParagraphStyle]) -> list[Any]:
    if not people:
        return []
    out = [Paragraph(f"<i>{_t(label)} ({len(people)}):</i>", s["indent"])]
    for i, p in enumerate(people, start=1):
        extra = f", {_t(p.title)}" if p.title else ""
        note = f" ({_t(p.note)})" if p.note else ""
        out.append(Paragraph(f"{i}. {_t(p.name)}{extra}{note};", s["indent"]))
    return out


def _vote(v: VoteRecord, s: dict[str, ParagraphStyle]) -> list[Any]:
    result = "Thông qua" if v.passed else ("Không thông qua" if v.passed is False else "Chưa có kết quả")
    rows = [[Paragraph("<b>Phương án</b>", s["cell"]), Paragraph("<b>Số phiếu</b>", s["cell"])]]
    rows += [[Paragraph(_t(label), s["cell"]), Paragraph(str(n), s["cell"])] for label, n in v.counts]
    table = Table(rows, colWidths=[120 * mm, 35 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out: list[Any] = [
        Paragraph(f"- Biểu quyết ({_t(v.kind)}): {_t(v.question)}", s["indent"]),
        Paragraph(f"<i>Quy tắc: {_t(v.rule)}</i>" + (f" ({_t(v.threshold)})" if v.threshold else ""), s["indent"]),
        table,
    ]
    if v.not_voted:
        out.append(Paragraph(f"Thành viên không tham gia biểu quyết: {_t(v.not_voted)}.", s["indent"]))
    out.append(Paragraph(f"Kết quả: <b>{result}</b>.", s["indent"]))
    if v.board_fingerprint:
        out.append(Paragraph(f"<i>{_t(BOARD_VI)}:</i> <font size=8>{v.board_fingerprint}</font>.", s["indent"]))
    if v.named:
        names = [[Paragraph(_t(n), s["small"]), Paragraph(_t(c), s["small"])] for n, c in v.named]
        named = Table(
            [[Paragraph("<b>Thành viên</b>", s["small"]), Paragraph("<b>Lựa chọn</b>", s["small"])], *names],
            colWidths=[110 * mm, 45 * mm],
            repeatRows=1,
            hAlign="LEFT",
        )
        named.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
        out += [Paragraph("<i>Kết quả ghi danh:</i>", s["indent"]), named]
    return out


def _item(item: ItemRecord, s: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Paragraph(f"<b>{item.position}. {_t(item.title)}</b>", s["heading"])]
    if item.summary_text is None and item.when:
        out.append(Paragraph(f"- Thời gian thảo luận: {_t(item.when)}.", s["indent"]))
    if item.summary_text is not None:
        out += [Paragraph(_t(line), s["indent"]) for line in item.summary_text.splitlines() if line.strip()]
    elif item.presenter:
        out.append(Paragraph(f"- Cơ quan trình: {_t(item.presenter)}.", s["indent"]))
    if item.documents and item.summary_text is None:
        out.append(Paragraph("- Tài liệu: " + "; ".join(_t(d) for d in item.documents) + ".", s["indent"]))
    if item.speeches and item.summary_text is None:
        out.append(Paragraph("- Ý kiến phát biểu:", s["indent"]))
        for i, sp in enumerate(item.speeches, start=1):
            title = f", {_t(sp.title)}" if sp.title else ""
            out.append(Paragraph(f"{i}. {_t(sp.name)}{title} ({sp.start} - {sp.end});", s["indent"]))
    for vote in item.votes:
        out += _vote(vote, s)
    if item.conclusion:
        out.append(Paragraph(f"- <b>Kết luận:</b> {_t(item.conclusion)}", s["indent"]))
    return out


SLOT_W, SLOT_H = 74 * mm, 24 * mm  # the box a signature's visible appearance fills
SLOT_FIELDS = ("ThuKy", "ChuToa")  # signature field names, in the order of MinutesDoc.signers


class SignatureSlot(Flowable):  # type: ignore[misc]  # reportlab has no type information: Flowable is Any
    """Empty room in a signature block that notes where it lands: (page index, x0, y0, x1, y1) in PDF points.
    The signature field is put exactly there, so the signer's appearance fills the THƯ KÝ / CHỦ TỌA block."""

    def __init__(self, name: str, found: dict[str, tuple[int, float, float, float, float]]) -> None:
        super().__init__()
        self.name, self.found, self.width, self.height = name, found, SLOT_W, SLOT_H

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self.found[self.name] = (self.canv.getPageNumber() - 1, x, y, x + self.width, y + self.height)


def _signatures(doc: MinutesDoc, s: dict[str, ParagraphStyle], slots: dict[str, Any]) -> Any:
    cells = []
    for signer, field_name in zip(doc.signers, SLOT_FIELDS):
        cells.append(
            [
                Paragraph(f"<b>{_t(signer.role_label)}</b>", s["center"]),
                Paragraph("<i>(Chữ ký)</i>", s["center"]),
                SignatureSlot(field_name, slots),
                Paragraph(f"<b>{_t(signer.name)}</b>", s["center"]),
            ]
        )
    table = Table([cells], colWidths=[82 * mm, 83 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    return table


def _recipients(doc: MinutesDoc, s: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = [Spacer(1, 6), Paragraph("<b><i>Nơi nhận:</i></b>", s["recipients_head"])]
    out += [Paragraph(f"- {_t(r)}", s["small"]) for r in doc.recipients]
    return out


def _annex(doc: MinutesDoc, s: dict[str, ParagraphStyle]) -> list[Any]:
    if not doc.annex:
        return []
    out: list[Any] = [
        PageBreak(),
        Paragraph("<b>PHỤ LỤC</b>", s["title"]),
        Paragraph("<i>Ghi chú chung của người trình bày trên tài liệu trình chiếu</i>", s["center"]),
        Spacer(1, 8),
    ]
    out += [Paragraph(f"{i}. {_t(line)}", s["body"]) for i, line in enumerate(doc.annex, start=1)]
    return out


def _page_number(canvas: Any, document: Any) -> None:
    page = canvas.getPageNumber()
    if page >= 2:  # NĐ 30: numbered from the second page, centred in the top margin
        canvas.saveState()
        canvas.setFont("VNSerif", 13)
        canvas.drawCentredString(MARGINS["leftMargin"] + document.width / 2, A4[1] - 12 * mm, str(page))
        canvas.restoreState()


def render_pdf(doc: MinutesDoc, info: FileInfo | None = None) -> bytes:
    return render_with_slots(doc, info)[0]


def render_with_slots(doc: MinutesDoc, info: FileInfo | None = None) -> tuple[bytes, dict[str, Any]]:
    """The PDF (with an empty signature field in each signature block) and where those blocks are. The same
    minutes and info give the same bytes: the dates are info's (the finalisation time), not the clock's."""
    info = info or FileInfo(title=nfc(f"Biên bản {doc.subject}"))
    slots: dict[str, tuple[int, float, float, float, float]] = {}
    family = register()
    s = _styles(family)
    story: list[Any] = _header(doc, s)
    story.append(Paragraph(f"Thời gian bắt đầu: {_t(doc.started)}.", s["body"]))
    story.append(Paragraph(f"Địa điểm: {_t(doc.place)}.", s["body"]))
    story.append(Paragraph("Thành phần tham dự:", s["body"]))
    if doc.attendance_text is not None:
        story += [Paragraph(_t(line), s["indent"]) for line in doc.attendance_text.splitlines() if line.strip()]
    else:
        story += _people("Có mặt tại phòng họp", doc.present_room, s)
        story += _people("Tham dự trực tuyến", doc.present_remote, s)
        story += _people("Đại biểu dự thay", doc.deputies, s)
        story += _people("Khách mời", doc.guests, s)
        story += _people("Vắng mặt", doc.absent, s)
    if doc.figures:
        story.append(Paragraph(f"<i>{_t(FIGURES_LABEL)}:</i>", s["indent"]))
        story += [Paragraph(f"- {_t(line)}", s["indent"]) for line in doc.figures]
    chair = f"{_t(doc.chair.name)}, {_t(doc.chair.title)}" if doc.chair.title else _t(doc.chair.name)
    story.append(Paragraph(f"Chủ trì (chủ tọa): {chair}.", s["body"]))
    secretary = (
        f"{_t(doc.secretary.name)}, {_t(doc.secretary.title)}" if doc.secretary.title else _t(doc.secretary.name)
    )
    story.append(Paragraph(f"Thư ký (người ghi biên bản): {secretary}.", s["body"]))
    story.append(Paragraph("Nội dung (theo diễn biến cuộc họp):", s["body"]))
    if doc.opening:
        story.append(Paragraph(_t(doc.opening), s["body"]))
    for item in doc.items:
        story += _item(item, s)
    if doc.closing:
        story.append(Paragraph(_t(doc.closing), s["body"]))
    if doc.ended:  # empty when the closing text already says it
        story.append(Paragraph(f"Cuộc họp kết thúc vào {_t(doc.ended)}.", s["body"]))
    story.append(Spacer(1, 8))
    story.append(KeepTogether([_signatures(doc, s, slots), *_recipients(doc, s)]))
    story += _annex(doc, s)
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=info.title, subject=nfc(doc.subject), invariant=1, **MARGINS)
    pdf.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return finish_pdf(buffer.getvalue(), info, fields=slots), slots
