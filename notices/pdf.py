"""A conclusion notice as a PDF in the form of NĐ 30/2020/NĐ-CP, Phụ lục III (THÔNG BÁO): the issuing authority
(THỦ TƯỚNG CHÍNH PHỦ: the chair signs it, docs/notices-and-notifications.md) top left with its number, Quốc hiệu
and Tiêu ngữ top right, place and date in italics, "THÔNG BÁO" and the subject, the body (Sau khi nghe ..., ...
đã kết luận như sau:), the numbered conclusions, the tasks assigned, the signature block ("THỦ TƯỚNG", or
"KT. THỦ TƯỚNG" / "PHÓ THỦ TƯỚNG"; an empty signature field the chair's signature fills, showing "Đã ký số" and
the time only: the name is printed once, below it) and "Nơi nhận".

Same page, margins and embedded Vietnamese serif as the minutes (minutes/pdf.py); all text NFC and escaped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.lib.units import mm

from core.text import nfc
from minutes.fileinfo import FileInfo, finish_pdf
from minutes.fonts import register
from minutes.pdf import MARGINS, SignatureSlot, _page_number, _rule, _styles, _t

AGENCY = "THỦ TƯỚNG CHÍNH PHỦ"
CLOSING = {
    "THỦ TƯỚNG CHÍNH PHỦ": "Thủ tướng Chính phủ thông báo để các bộ, cơ quan, địa phương liên quan biết, thực hiện./.",
    "VĂN PHÒNG CHÍNH PHỦ": "Văn phòng Chính phủ thông báo để các bộ, cơ quan, địa phương liên quan biết, thực hiện./.",
}
FIELD = "ChuTri"  # the signature field of the notice


@dataclass(frozen=True)
class TaskLine:
    unit: str
    what: str
    deadline: str  # dd/mm/yyyy


@dataclass(frozen=True)
class NoticeDoc:
    number: str  # "Số: 05/TB-TTg" or blank dots before numbering
    place_date: str
    subject: str
    intro: str
    conclusions: list[str]
    tasks: list[TaskLine] = field(default_factory=list)
    signer_lines: tuple[str, ...] = ("NGƯỜI CHỦ TRÌ",)  # core/officials.py: signature_lines
    signer_name: str = ""
    issuer: str = AGENCY
    recipients: tuple[str, ...] = (
        "Thủ tướng, các Phó Thủ tướng Chính phủ;",
        "Các thành viên Chính phủ;",
        "Các bộ, cơ quan được giao nhiệm vụ;",
        "Lưu: VT, TH.",
    )


def render(doc: NoticeDoc, info: FileInfo) -> bytes:
    s = _styles(register())
    left = [
        Paragraph(f"<b>{_t(doc.issuer)}</b>", s["agency"]),
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
    head = Table([[left, right]], colWidths=[62 * mm, 103 * mm])
    head.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story: list[Any] = [
        head,
        Paragraph("<b>THÔNG BÁO</b>", s["title"]),
        Paragraph(f"<b>{_t(doc.subject)}</b>", s["center"]),
        Spacer(1, 5),
        _rule(40),
        Spacer(1, 8),
    ]
    story += [Paragraph(_t(line), s["body"]) for line in doc.intro.splitlines() if line.strip()]
    for i, text in enumerate(doc.conclusions, start=1):
        story.append(Paragraph(f"{i}. {_t(text)}", s["body"]))
    if doc.tasks:
        story.append(Paragraph("<b>Phân công thực hiện:</b>", s["heading"]))
        rows = [
            [
                Paragraph("<b>Cơ quan</b>", s["cell"]),
                Paragraph("<b>Nhiệm vụ</b>", s["cell"]),
                Paragraph("<b>Thời hạn</b>", s["cell"]),
            ]
        ]
        rows += [
            [Paragraph(_t(t.unit), s["cell"]), Paragraph(_t(t.what), s["cell"]), Paragraph(_t(t.deadline), s["cell"])]
            for t in doc.tasks
        ]
        table = Table(rows, colWidths=[40 * mm, 95 * mm, 28 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [table, Spacer(1, 6)]
    story.append(Paragraph(_t(CLOSING.get(doc.issuer, CLOSING[AGENCY])), s["body"]))
    story.append(Spacer(1, 8))
    slots: dict[str, tuple[int, float, float, float, float]] = {}
    recipients = [Paragraph("<b><i>Nơi nhận:</i></b>", s["recipients_head"])] + [
        Paragraph(f"- {_t(r)}", s["small"]) for r in doc.recipients
    ]
    sign = [
        *(Paragraph(f"<b>{_t(line)}</b>", s["center"]) for line in doc.signer_lines),
        Paragraph("<i>(Chữ ký)</i>", s["center"]),
        SignatureSlot(FIELD, slots),
        Paragraph(f"<b>{_t(doc.signer_name)}</b>", s["center"]),
    ]
    block = Table([[recipients, sign]], colWidths=[82 * mm, 83 * mm])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")]))
    story.append(KeepTogether([block]))
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=info.title, subject=nfc(doc.subject), invariant=1, **MARGINS)
    pdf.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return finish_pdf(buffer.getvalue(), info, fields=slots)
