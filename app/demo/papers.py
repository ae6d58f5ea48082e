"""Real-looking meeting documents for the demo: A4 PDFs in the form of NĐ 30/2020/NĐ-CP (agency and number
top left, Quốc hiệu and Tiêu ngữ top right, place and date, title, body, signature, Nơi nhận), Vietnamese
text in the embedded Liberation Serif (minutes/fonts)."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass, field

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from minutes.fonts import register


@dataclass(frozen=True)
class Paper:
    """One document: `kind` is the title word (TỜ TRÌNH, BÁO CÁO, NGHỊ ĐỊNH …), `sections` (heading, paragraphs)."""

    agency: str  # upper case, as in the header: "BỘ TÀI CHÍNH"
    number: str  # "Số: 512/TTr-BTC"
    date_line: str  # "Hà Nội, ngày 25 tháng 11 năm 2026"
    kind: str
    subject: str
    sections: list[tuple[str, list[str]]]
    signer_title: str = "BỘ TRƯỞNG"
    signer: str = ""
    recipients: list[str] = field(default_factory=lambda: ["Như trên;", "Lưu: VT."])
    addressee: str = "Kính gửi: Chính phủ."


def _styles(family: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=family, fontSize=13.5, leading=18, alignment=TA_JUSTIFY, firstLineIndent=10 * mm, spaceafter=5
    )
    return {
        "body": base,
        "head": ParagraphStyle(
            "head", parent=base, alignment=TA_CENTER, firstLineIndent=0, fontSize=12.5, leading=15, spaceAfter=0
        ),
        "title": ParagraphStyle(
            "title", parent=base, alignment=TA_CENTER, firstLineIndent=0, fontSize=14, leading=18, spaceAfter=2
        ),
        "h": ParagraphStyle("h", parent=base, firstLineIndent=0, spaceBefore=6),
        "small": ParagraphStyle(
            "small", parent=base, alignment=TA_LEFT, firstLineIndent=0, fontSize=11, leading=13, spaceAfter=0
        ),
    }


def _header(p: Paper, s: dict[str, ParagraphStyle]) -> Table:
    left = [
        Paragraph(f"<b>{p.agency}</b>", s["head"]),
        Paragraph("<b>―――――</b>", s["head"]),
        Paragraph(p.number, s["head"]),
    ]
    right = [
        Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", s["head"]),
        Paragraph("<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", s["head"]),
        Paragraph(f"<i>{p.date_line}</i>", s["head"]),
    ]
    table = Table([[left, right]], colWidths=[62 * mm, 98 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _signature(p: Paper, s: dict[str, ParagraphStyle]) -> Table:
    received = [Paragraph("<b><i>Nơi nhận:</i></b>", s["small"])] + [
        Paragraph(f"- {r}", s["small"]) for r in p.recipients
    ]
    sign = [
        Paragraph(f"<b>{p.signer_title}</b>", s["head"]),
        Spacer(1, 22 * mm),
        Paragraph(f"<b>{p.signer}</b>", s["head"]),
    ]
    table = Table([[received, sign]], colWidths=[80 * mm, 80 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def render(paper: Paper) -> bytes:
    family = register()
    s = _styles(family)
    story: list = [
        _header(paper, s),
        Spacer(1, 8 * mm),
        Paragraph(f"<b>{paper.kind}</b>", s["title"]),
        Paragraph(f"<b>{paper.subject}</b>", s["title"]),
        Spacer(1, 4 * mm),
    ]
    if paper.addressee:
        story.append(Paragraph(paper.addressee, s["title"]))
    for i, (heading, paragraphs) in enumerate(paper.sections):
        if i:
            story.append(PageBreak())  # a part per page: several pages, as the real papers run
        if heading:
            story.append(Paragraph(f"<b>{heading}</b>", s["h"]))
        story += [Paragraph(text, s["body"]) for text in paragraphs]
    story += [Spacer(1, 8 * mm), _signature(paper, s)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=nfc(f"{paper.kind.title()} {paper.subject}"),
        author=nfc(paper.agency.title()),
    )
    doc.build(story)
    return out.getvalue()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
