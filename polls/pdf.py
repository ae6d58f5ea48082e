"""The poll's PDFs, in the minutes' NĐ 30 layout (same fonts, margins and helpers: minutes/pdf.py):

- the summary report (Báo cáo tổng hợp ý kiến thành viên Chính phủ, "Số: NN/BC-VPCP"): a report of the Government
  Office to the poll's chair, with an empty signature field in the Office's block ("BỘ TRƯỞNG, CHỦ NHIỆM", or
  "KT. BỘ TRƯỞNG, CHỦ NHIỆM" / "PHÓ CHỦ NHIỆM": core/officials.py), signed by the Office's head or a Vice Chairman
  on his behalf (polls/reporting.py). It is rendered from `report_content`, a plain dict of everything it shows,
  whose canonical digest names it (Subject 'poll-report:<digest>'): what the signer was shown is what he signs;
- a voter's answer sheet (Phiếu lấy ý kiến đã trả lời), which the voter signs with their own key; its Subject
  carries the canonical digest of the answers (polls/answering.py: sheet_digest), so a verifier can tell the
  signed sheet says what is stored."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.clock import iso, local
from core.officials import OFFICE_HEAD_LINE, full_title, named
from core.text import nfc
from minutes.fileinfo import FileInfo, finish_pdf
from minutes.fonts import register
from minutes.pdf import MARGINS, SignatureSlot, _page_number, _rule, _styles, _t
from polls.numbering import SYMBOL

CHOICE_VI = {"agree": "Đồng ý", "disagree": "Không đồng ý", "other": "Ý kiến khác"}
REPORT_FIELD = "VanPhongChinhPhu"  # the Office's signature (before 0022: "ChuTri", the chair's)
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


def report_content(
    *,
    detail: dict[str, Any],
    chair_name: str,
    chair_title: str,
    created: datetime,
    tz: str,
    number: str | None = None,
    signer_lines: tuple[str, ...] = (OFFICE_HEAD_LINE,),
    signer_name: str = "",
) -> dict[str, Any]:
    """Everything the summary report shows, and nothing of who reads it (the caller's own answers, the documents
    he may read): a plain dict whose digest (`content_digest`) names the report."""
    voters = detail.get("voters") or []
    return {
        "id": detail["id"],
        "title": detail["title"],
        "summary": detail["summary"],
        "silence_counts_as": detail["silence_counts_as"],
        "voter_count": detail["voter_count"],
        "answered": sum(1 for v in voters if v["answered"]),
        "opened_at": detail["opened_at"],
        "deadline_at": detail["deadline_at"],
        "extensions": [{"new_deadline": e["new_deadline"], "reason": e["reason"]} for e in detail["extensions"]],
        "questions": [
            {
                "position": q["position"],
                "text": q["text"],
                "result": q["result"],
                "answers": [
                    {"full_name": a["full_name"], "choice": a["choice"], "comment": a["comment"]}
                    for a in q.get("answers") or []
                ],
            }
            for q in detail["questions"]
        ],
        "number": number,
        "chair": named(chair_title, chair_name),
        "chair_title": full_title(chair_title),
        "signer_lines": list(signer_lines),
        "signer_name": signer_name,
        "created": iso(created),
        "tz": tz,
    }


def content_digest(content: dict[str, Any]) -> str:
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def report_pdf(**kwargs: Any) -> bytes:
    """The report of `report_content(**kwargs)`."""
    return render_report(report_content(**kwargs))


def render_report(c: dict[str, Any]) -> bytes:
    """Báo cáo tổng hợp ý kiến (NĐ 30 layout): 'Số: NN/BC-VPCP' from the register (polls/numbering.py), the chair
    named with his full title (core/officials.py), ending "Văn phòng Chính phủ kính báo cáo <chair> xem xét, quyết
    định"; the Office's block holds the signature lines and the empty signature field REPORT_FIELD (the signature
    shows 'Đã ký số', title and time: the name is printed once, below it). Subject: 'poll-report:<digest>'."""
    s = _styles(register())
    tz = c["tz"]
    created = datetime.fromisoformat(c["created"])
    silence = "được tính là đồng ý" if c["silence_counts_as"] == "agree" else "không được tính"
    n, answered = c["voter_count"], c["answered"]
    story: list[Any] = _header(
        s,
        f"Số: {c['number']}" if c["number"] else f"Số:      /{SYMBOL}",
        _date_line(created, tz),
        "BÁO CÁO",
        f"Tổng hợp ý kiến thành viên Chính phủ\n{c['title']}",
    )
    story.append(
        Paragraph(
            f"Thực hiện ý kiến của {_t(c['chair'])}, Văn phòng Chính phủ đã gửi Phiếu lấy "
            f"ý kiến thành viên Chính phủ vào {_t(_when(c['opened_at'], tz))}, thời hạn trả lời đến "
            f"{_t(_when(c['deadline_at'], tz))}. Kết quả tổng hợp như sau:",
            s["body"],
        )
    )
    if c["summary"]:
        story.append(Paragraph(f"<i>Tóm tắt vấn đề xin ý kiến:</i> {_t(c['summary'])}", s["body"]))
    for e in c["extensions"]:
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
    story.append(_counts_table(s, c["questions"]))
    story.append(Paragraph("<b>III. Ý KIẾN CỤ THỂ CỦA THÀNH VIÊN</b>", s["heading"]))
    for q in c["questions"]:
        story.append(Paragraph(f"<b>Câu {q['position']}.</b> {_t(q['text'])}", s["body"]))
        said = [a for a in q["answers"] if a["comment"] or a["choice"] != "agree"]
        if not said:
            story.append(Paragraph("<i>Không có ý kiến khác hoặc góp ý.</i>", s["indent"]))
        for a in said:
            comment = f": {_t(a['comment'])}" if a["comment"] else ""
            story.append(Paragraph(f"- {_t(a['full_name'])} ({CHOICE_VI[a['choice']]}){comment}", s["indent"]))
    story.append(Paragraph("<b>IV. KẾT LUẬN</b>", s["heading"]))
    for q in c["questions"]:
        adopted = bool(q["result"] and q["result"]["adopted"])
        text = "được thông qua." if adopted else "chưa được thông qua; đề nghị đưa ra phiên họp Chính phủ."
        story.append(Paragraph(f"- Câu {q['position']}: {text}", s["indent"]))
    story.append(Paragraph(f"Văn phòng Chính phủ kính báo cáo {_t(c['chair'])} xem xét, quyết định./.", s["body"]))
    slots: dict[str, Any] = {}
    block = Table(
        [
            [
                "",
                [
                    *(Paragraph(f"<b>{_t(line)}</b>", s["center"]) for line in c["signer_lines"]),
                    Paragraph("<i>(Chữ ký)</i>", s["center"]),
                    SignatureSlot(REPORT_FIELD, slots),
                    Paragraph(f"<b>{_t(c['signer_name'])}</b>", s["center"]),
                ],
            ]
        ],
        colWidths=[82 * mm, 83 * mm],
    )
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    recipients = [
        Spacer(1, 6),
        Paragraph("<b><i>Nơi nhận:</i></b>", s["recipients_head"]),
        Paragraph(f"- {_t(c['chair_title'] or c['chair'])} (để báo cáo);", s["small"]),
        Paragraph("- Thành viên Chính phủ;", s["small"]),
        Paragraph("- Lưu: VT, TKBT.", s["small"]),
    ]
    story += [Spacer(1, 8), KeepTogether([block, *recipients])]
    digest = content_digest(c)
    return _build(story, f"Báo cáo tổng hợp ý kiến: {c['title']}", f"poll-report:{digest}", created, c["tz"], slots)


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
