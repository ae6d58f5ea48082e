"""The poll's PDFs, in the minutes' NĐ 30 layout (same fonts, margins and helpers: minutes/pdf.py):

- the summary report (Báo cáo tổng hợp ý kiến thành viên Chính phủ) with an empty signature field in the
  chair's block, signed by the chair (polls/routes.py) to decide the poll;
- a voter's answer sheet (Phiếu lấy ý kiến đã trả lời), which the voter signs with their own key; its Subject
  carries the canonical digest of the answers (polls/answering.py: sheet_digest), so a verifier can tell the
  signed sheet says what is stored."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.clock import local
from core.officials import named
from core.text import nfc
from minutes.fileinfo import FileInfo, finish_pdf
from minutes.fonts import register
from minutes.pdf import MARGINS, SignatureSlot, _page_number, _rule, _styles, _t
from polls.numbering import SYMBOL

CHOICE_VI = {"agree": "Đồng ý", "disagree": "Không đồng ý", "other": "Ý kiến khác"}
REPORT_FIELD = "ChuTri"
AGENCY = "VĂN PHÒNG CHÍNH PHỦ"
PLACE = "Hà Nội"


def _when(moment: datetime | str | None, tz: str) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    m = local(moment, tz)
    return f"{m:%H} giờ {m:%M} ngày {m:%d/%m/%Y}"


def _header(s: dict[str, Any], number: str, date_line: str, title: str, subject: str) -> list[Any]:
    left = [
        Paragraph(f"<b>{_t(AGENCY)}</b>", s["agency"]),
        Spacer(1, 4),
        _rule(22),
        Spacer(1, 2),
        Paragraph(_t(number), s["agency"]),
    ]
    right = [
        Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", s["agency"]),
        Paragraph("<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", s["motto"]),
        Spacer(1, 6),
        Paragraph(f"<i>{_t(date_line)}</i>", s["date"]),
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
        Paragraph(f"<b>{_t(title)}</b>", s["title"]),
        Paragraph(f"<b>{_t(subject)}</b>", s["center"]),
        Spacer(1, 5),
        _rule(40),
        Spacer(1, 8),
    ]


def _date_line(moment: datetime, tz: str) -> str:
    m = local(moment, tz)
    return f"{PLACE}, ngày {m.day:02d} tháng {m.month:02d} năm {m.year}"


def _build(story: list[Any], title: str, subject: str, created: datetime, tz: str, fields: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=nfc(title), subject=nfc(subject), invariant=1, **MARGINS).build(
        story, onFirstPage=_page_number, onLaterPages=_page_number
    )
    return finish_pdf(
        buffer.getvalue(), FileInfo(title=nfc(title), subject=nfc(subject), created=created, tz=tz), fields=fields
    )


def _counts_table(s: dict[str, Any], questions: list[dict[str, Any]]) -> Table:
    head = ["TT", "Câu hỏi", "Đồng ý", "Không đồng ý", "Ý kiến khác", "Không trả lời", "Kết quả"]
    rows: list[list[Any]] = [[Paragraph(f"<b>{h}</b>", s["small"]) for h in head]]
    for q in questions:
        r = q["result"] or {}
        verdict = "Thông qua" if r.get("adopted") else "Không thông qua"
        if r.get("tie"):
            verdict += " (ngang phiếu, theo ý kiến Chủ trì)" if r.get("decided_by_chair") else " (ngang phiếu)"
        rows.append(
            [
                Paragraph(str(q["position"]), s["small"]),
                Paragraph(_t(q["text"]), s["small"]),
                *(Paragraph(str(r.get(k, 0)), s["small"]) for k in ("agree", "disagree", "other", "silent")),
                Paragraph(_t(verdict), s["small"]),
            ]
        )
    table = Table(
        rows, colWidths=[11 * mm, 54 * mm, 16 * mm, 20 * mm, 18 * mm, 20 * mm, 26 * mm], repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def report_pdf(
    *,
    detail: dict[str, Any],
    chair_name: str,
    chair_title: str,
    created: datetime,
    tz: str,
    number: str | None = None,
) -> bytes:
    """Báo cáo tổng hợp ý kiến (NĐ 30 layout): 'Số: NN/BC-VPCP' from the register (polls/numbering.py), the chair
    named with his full title (core/officials.py); the chair's block holds the empty signature field REPORT_FIELD
    (the signature shows 'Đã ký số', title and time: the name is printed once, below it)."""
    s = _styles(register())
    silence = "được tính là đồng ý" if detail["silence_counts_as"] == "agree" else "không được tính"
    n = detail["voter_count"]
    answered = sum(1 for v in detail.get("voters") or [] if v["answered"])
    story: list[Any] = _header(
        s,
        f"Số: {number}" if number else f"Số:      /{SYMBOL}",
        _date_line(created, tz),
        "BÁO CÁO",
        f"Tổng hợp ý kiến thành viên Chính phủ\n{detail['title']}",
    )
    story.append(
        Paragraph(
            f"Thực hiện ý kiến của {_t(named(chair_title, chair_name))}, Văn phòng Chính phủ đã gửi Phiếu lấy "
            f"ý kiến thành viên Chính phủ vào {_t(_when(detail['opened_at'], tz))}, thời hạn trả lời đến "
            f"{_t(_when(detail['deadline_at'], tz))}. Kết quả tổng hợp như sau:",
            s["body"],
        )
    )
    if detail["summary"]:
        story.append(Paragraph(f"<i>Tóm tắt vấn đề xin ý kiến:</i> {_t(detail['summary'])}", s["body"]))
    for e in detail.get("extensions") or []:
        story.append(Paragraph(f"<i>Gia hạn đến {_t(_when(e['new_deadline'], tz))}: {_t(e['reason'])}.</i>", s["body"]))
    story.append(Paragraph("<b>I. TÌNH HÌNH TRẢ LỜI</b>", s["heading"]))
    story.append(
        Paragraph(
            f"Tổng số thành viên được lấy ý kiến: {n}; số thành viên đã trả lời: {answered}; "
            f"không trả lời: {n - answered} (theo quy định của phiếu, ý kiến không trả lời {silence}).",
            s["body"],
        )
    )
    story.append(Paragraph("<b>II. KẾT QUẢ THEO TỪNG CÂU HỎI</b>", s["heading"]))
    story.append(
        Paragraph(
            "Một câu hỏi được thông qua khi quá nửa tổng số thành viên được lấy ý kiến đồng ý; trường hợp số "
            "đồng ý và không đồng ý bằng nhau thì quyết định theo ý kiến của người chủ trì.",
            s["body"],
        )
    )
    story.append(_counts_table(s, detail["questions"]))
    story.append(Paragraph("<b>III. Ý KIẾN CỤ THỂ CỦA THÀNH VIÊN</b>", s["heading"]))
    for q in detail["questions"]:
        story.append(Paragraph(f"<b>Câu {q['position']}.</b> {_t(q['text'])}", s["body"]))
        said = [a for a in q.get("answers") or [] if a["comment"] or a["choice"] != "agree"]
        if not said:
            story.append(Paragraph("<i>Không có ý kiến khác hoặc góp ý.</i>", s["indent"]))
        for a in said:
            comment = f": {_t(a['comment'])}" if a["comment"] else ""
            story.append(Paragraph(f"- {_t(a['full_name'])} ({CHOICE_VI[a['choice']]}){comment}", s["indent"]))
    story.append(Paragraph("<b>IV. KẾT LUẬN</b>", s["heading"]))
    for q in detail["questions"]:
        adopted = bool(q["result"] and q["result"]["adopted"])
        text = "được thông qua." if adopted else "chưa được thông qua; đề nghị đưa ra phiên họp Chính phủ."
        story.append(Paragraph(f"- Câu {q['position']}: {text}", s["indent"]))
    slots: dict[str, Any] = {}
    block = Table(
        [
            [
                "",
                [
                    Paragraph(f"<b>{_t((chair_title or 'CHỦ TRÌ').upper())}</b>", s["center"]),
                    Paragraph("<i>(Chữ ký)</i>", s["center"]),
                    SignatureSlot(REPORT_FIELD, slots),
                    Paragraph(f"<b>{_t(chair_name)}</b>", s["center"]),
                ],
            ]
        ],
        colWidths=[82 * mm, 83 * mm],
    )
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    recipients = [
        Spacer(1, 6),
        Paragraph("<b><i>Nơi nhận:</i></b>", s["recipients_head"]),
        Paragraph("- Thành viên Chính phủ;", s["small"]),
        Paragraph("- Lưu: VT, TKBT.", s["small"]),
    ]
    story += [Spacer(1, 8), KeepTogether([block, *recipients])]
    return _build(story, f"Báo cáo tổng hợp ý kiến: {detail['title']}", f"poll:{detail['id']}", created, tz, slots)


def sheet_pdf(*, sheet: dict[str, Any], created: datetime, tz: str) -> bytes:
    """A voter's answered sheet; Subject = 'poll-sheet:<digest>' (what the signature vouches for)."""
    s = _styles(register())
    story: list[Any] = _header(s, "", _date_line(created, tz), "PHIẾU LẤY Ý KIẾN THÀNH VIÊN CHÍNH PHỦ", sheet["title"])
    who = _t(sheet["full_name"]) + (f", {_t(sheet['user_title'])}" if sheet.get("user_title") else "")
    story.append(Paragraph(f"Thành viên: <b>{who}</b>", s["body"]))
    for position, text, choice, comment in sheet["rows"]:
        story.append(Paragraph(f"<b>Câu {position}.</b> {_t(text)}", s["body"]))
        story.append(
            Paragraph(f"Ý kiến: <b>{CHOICE_VI[choice]}</b>" + (f". {_t(comment)}" if comment else ""), s["indent"])
        )
    story.append(Paragraph(f"<i>Mã kiểm tra nội dung: {sheet['digest']}</i>", s["small"]))
    return _build(story, f"Phiếu lấy ý kiến: {sheet['title']}", f"poll-sheet:{sheet['digest']}", created, tz, {})
