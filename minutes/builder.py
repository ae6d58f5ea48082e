"""Facts + the secretariat's section edits -> the draft minutes (sections and a MinutesDoc). Pure: no database,
no clock; times are shown on the organisation's wall clock (the `tz` given: ECABINET_TIMEZONE); all text NFC.
The same input always gives the same output.

Sections have stable keys. An edit replaces the generated text of its own section only; the others keep
following the event log. Vote records are not editable: their counts are the ballot's, not anyone's text.
The attendance part is minutes/attendance.py; dates and times are written by minutes/dates.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from core.clock import DEFAULT_TIMEZONE
from core.text import nfc
from minutes.attendance import FIGURES_LABEL, attendance_text, attendee, figures, groups, tally
from minutes.dates import day_of, hm_on, local, vn_date, vn_datetime
from minutes.document import Attendee, ItemRecord, MinutesDoc, Signer, Speech, VoteRecord
from minutes.facts import Facts, Item, VoteFact
from votes.models import OptionKind
from votes.options import canonical_label, standard_label

AGENCY = "CHÍNH PHỦ"
CITY = "Hà Nội"
NUMBER = "Số:      /BB-CP"
RECIPIENTS = "Các thành viên Chính phủ;\nLưu: VT, Thư ký phiên họp."
KIND_VI = {"open": "công khai", "named": "ghi danh", "secret": "kín"}
RULE_VI = {
    "all_members": "Quá nửa tổng số thành viên tán thành",
    "present": "Quá nửa số thành viên có mặt tán thành",
    "two_thirds": "Ít nhất hai phần ba tổng số thành viên tán thành",
    "cast": "Số phiếu tán thành nhiều hơn số phiếu không tán thành",
}
RESULT_VI = {True: "Thông qua", False: "Không thông qua", None: "Chưa có kết quả"}
HEAD_KEYS = ("number", "place_date", "subject", "started", "place")
SINGLE_LINE = set(HEAD_KEYS)


def number_code(number: int) -> str:
    """Số/ký hiệu: BB = biên bản, CP = Chính phủ; NĐ 30/2020 (Phụ lục I): a number below 10 gets a leading 0."""
    return f"{number:02d}/BB-CP"


def number_text(number: int | None) -> str:
    """'Số: 7/BB-CP' once the register gave a number (at finalisation); blank for the clerk before that."""
    return f"Số: {number_code(number)}" if number else NUMBER


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    generated: str
    edited: str | None = None
    editable: bool = True

    @property
    def effective(self) -> str:
        return self.edited if self.edited is not None else self.generated

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "generated": self.generated,
            "edited": self.edited,
            "effective": self.effective,
            "editable": self.editable,
            "multiline": self.key not in SINGLE_LINE,
        }


@dataclass(frozen=True)
class Draft:
    sections: list[Section]
    doc: MinutesDoc

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {"sections": [s.as_dict() for s in self.sections]}


# --- items --------------------------------------------------------------------------------------------


def _speeches(facts: Facts, item_id: int, tz: str | tzinfo) -> list[Speech]:
    day = day_of(facts.started_at or facts.scheduled_at, tz)
    out = []
    for s in facts.speeches:
        if s.item_id == item_id:
            # a deputy speaks for a member named in full: name and title (as the attendance list names them)
            whom = f"{s.name}, {s.title}" if s.title else s.name
            name, title = (s.deputy_name, f"dự thay {whom}") if s.deputy_name else (s.name, s.title)
            out.append(Speech(nfc(name), nfc(title), hm_on(s.started_at, day, tz), hm_on(s.ended_at, day, tz)))
    return out


def threshold_text(rule: str, result: dict[str, Any]) -> str:
    """The rule in figures, from the result the vote was decided with: who counts and how many votes carry it. The
    members and those present are counted when the vote closed (votes/services.py), and say so: members may have
    come, left or changed role while the ballots were being cast."""
    if "required" not in result:
        return ""
    bases = {
        "present": f"số thành viên có mặt khi kết thúc biểu quyết: {result.get('present', 0)}",
        "cast": f"số phiếu không tán thành: {result.get('no', 0)}",
    }
    base = bases.get(rule, f"tổng số thành viên khi kết thúc biểu quyết: {result.get('total_members', 0)}")
    return f"{base}; số phiếu tán thành cần có: {result['required']}"


KINDS = {k.value for k in OptionKind}
BOARD_VI = "Bảng phiếu kín công khai (kiểm chứng bằng ecabinet verify-ballot), dấu vân tay SHA-256"


def _count_label(label: str, kind: str) -> str:
    """How the record names a choice's count: its label as the tablets showed it when that is a wording of its kind,
    else its kind's standard wording: a label stored before labels were tied to their kind (votes/options.py) cannot
    make the record say "Tán thành" of the no votes."""
    if kind not in KINDS:
        return nfc(label)
    try:
        return canonical_label(label, OptionKind(kind))
    except ValueError:
        return standard_label(kind)


def vote_record(v: VoteFact) -> VoteRecord:
    labels = {o.id: _count_label(o.label, o.kind) for o in v.options}
    result = v.result or {}
    counts = result.get("counts") or {}
    rule = RULE_VI.get(v.rule, v.rule)
    if result.get("decided_by_chair"):
        rule += "; số phiếu ngang nhau, quyết định theo ý kiến của Chủ tọa"
    missing = f"{v.not_voted_count}" + (f" ({', '.join(nfc(n) for n in v.not_voted)})" if v.not_voted else "")
    return VoteRecord(
        question=nfc(v.question),
        kind=KIND_VI.get(v.kind, v.kind),
        rule=rule,
        counts=[(labels[o.id], int(counts.get(str(o.id), 0))) for o in v.options] if v.result else [],
        passed=bool(result["passed"]) if v.result and "passed" in result else None,
        named=[(nfc(name), labels.get(oid, "")) for name, oid in v.named] if v.kind == "named" and v.result else None,
        threshold=threshold_text(v.rule, result),
        not_voted=missing if v.result else "",
        board_fingerprint=v.board_fingerprint,
    )


def in_session_order(items: tuple[Item, ...]) -> list[Item]:
    """ "Theo diễn biến cuộc họp": the items in the order the session took them up (an item taken up before the one
    above it on the agenda comes first; each keeps its agenda number), those never taken up last, in agenda order."""
    taken = sorted((i for i in items if i.taken), key=lambda i: (i.taken[0][0], i.position))
    return taken + sorted((i for i in items if not i.taken), key=lambda i: i.position)


def _minute(moment: datetime, tz: str | tzinfo) -> datetime:
    """The minute the organisation's clock shows: what the minutes write of a moment (hh:mm)."""
    return local(moment, tz).replace(second=0, microsecond=0)


def clerk_stretches(
    taken: tuple[tuple[datetime, datetime | None], ...], tz: str | tzinfo
) -> list[tuple[datetime, datetime | None]]:
    """The stretches as a clerk with a minute clock writes them: one taken up again in the minute the previous one
    ended continues it (the chair stepped past and came back: "từ 08:05 đến 09:00", not "… đến 08:40; từ 08:40 …")."""
    out: list[tuple[datetime, datetime | None]] = []
    for start, end in taken:
        previous = out[-1][1] if out else None
        if previous is not None and _minute(previous, tz) == _minute(start, tz):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def discussed(item: Item, tz: str | tzinfo, any_taken: bool, day: date | None = None) -> str:
    """'từ 08:05 đến 08:40' (and each later stretch); 'lúc 21:13' for a stretch that began and ended within the
    same minute (never "từ 21:13 đến 21:13"); 'không thảo luận tại phiên họp' when the session took up other items
    but not this one; '' when the meeting has no such record at all (before the session). A time on another day
    than the meeting's `day` carries its date."""
    if not item.taken:
        return "không thảo luận tại phiên họp" if any_taken else ""
    parts = []
    for start, end in clerk_stretches(item.taken, tz):
        if end is not None and _minute(start, tz) == _minute(end, tz):
            parts.append(f"lúc {hm_on(start, day, tz)}")
        else:
            parts.append(f"từ {hm_on(start, day, tz)}" + (f" đến {hm_on(end, day, tz)}" if end else ""))
    return "; ".join(parts)


def summary_text(item: ItemRecord) -> str:
    lines = []
    if item.when:
        lines.append(f"- Thời gian thảo luận: {item.when}.")
    if item.presenter:
        lines.append(f"- Cơ quan trình: {item.presenter}.")
    if item.documents:
        lines.append("- Tài liệu: " + "; ".join(item.documents) + ".")
    if item.speeches:
        lines.append("- Ý kiến phát biểu:")
        lines += [
            f"{i}. {s.name}" + (f", {s.title}" if s.title else "") + f" ({s.start} - {s.end});"
            for i, s in enumerate(item.speeches, start=1)
        ]
    return "\n".join(lines)


def votes_text(votes: list[VoteRecord]) -> str:
    lines = []
    for v in votes:
        lines.append(f"- Biểu quyết ({v.kind}): {v.question}")
        lines.append(f"  Quy tắc: {v.rule}" + (f" ({v.threshold})" if v.threshold else "") + ".")
        if v.counts:
            lines.append("  Số phiếu: " + "; ".join(f"{label}: {n}" for label, n in v.counts) + ".")
        if v.not_voted:
            lines.append(f"  Thành viên không tham gia biểu quyết: {v.not_voted}.")
        lines.append(f"  Kết quả: {RESULT_VI[v.passed]}.")
        if v.board_fingerprint:
            lines.append(f"  {BOARD_VI}: {v.board_fingerprint}.")
        if v.named:
            lines.append("  Ghi danh: " + "; ".join(f"{name} - {choice}" for name, choice in v.named) + ".")
    return "\n".join(lines)


# --- the draft ----------------------------------------------------------------------------------------


def _ended_text(facts: Facts, tz: str | tzinfo) -> str:
    if facts.ended_at is None:
        return ""
    start = facts.started_at or facts.scheduled_at
    if start is not None and local(start, tz).date() == local(facts.ended_at, tz).date():
        m = local(facts.ended_at, tz)
        return f"Cuộc họp kết thúc vào {m.hour:02d} giờ {m.minute:02d} cùng ngày."
    return f"Cuộc họp kết thúc vào {vn_datetime(facts.ended_at, tz)}."


def annex_text(facts: Facts) -> str:
    """One line per presented page that carries shared ink (the presenter's strokes are stored, not lost)."""
    return "\n".join(
        f"Tài liệu «{nfc(title)}», trang {page}: {n} nét ghi chú chung ({nfc(names)})."
        for title, page, n, names in facts.shared_ink
    )


def build(
    facts: Facts,
    edits: dict[str, str] | None = None,
    *,
    tz: str | tzinfo = DEFAULT_TIMEZONE,
    number: int | None = None,
    dated: datetime | None = None,
) -> Draft:
    """`number`: the register's number of the minutes (None for a draft: the clerk's blank "Số:      /BB-CP");
    `dated`: when that number was given (minutes/register.py), the date the date line says: the number's series is
    the year it was given in, so the date line is that day (NĐ 30/2020: the date of the document, which is issued
    with its number), never the meeting's (the body says when the meeting was held). A draft has neither."""
    edits = {k: nfc(v) for k, v in (edits or {}).items()}
    sections: list[Section] = []

    def section(key: str, label: str, generated: str, editable: bool = True) -> str:
        s = Section(key, label, nfc(generated), edits.get(key) if editable else None, editable)
        sections.append(s)
        return s.effective

    when = facts.started_at or facts.scheduled_at
    number_line = section("number", "Số, ký hiệu", number_text(number), editable=number is None)
    place_date = section(
        "place_date",
        "Địa danh, ngày tháng",
        f"{CITY}, {vn_date(dated, tz)}" if dated and number else f"{CITY}, ngày    tháng    năm",
        editable=False,  # written with the number, from the register: a date of another year would repeat a number
    )
    subject = section("subject", "Tên cuộc họp (trích yếu)", facts.title)
    started = section("started", "Thời gian bắt đầu", vn_datetime(when, tz) if when else "")
    place = section("place", "Địa điểm", facts.place)
    g = groups(facts.people, facts.started_at, tz)
    attendance = section("attendance", "Thành phần tham dự", attendance_text(g))
    figures_lines = section(
        "figures", FIGURES_LABEL, "\n".join(figures(facts.quorum, tally(facts.people), tz)), editable=False
    ).splitlines()
    n = len(facts.items)
    opening = section(
        "opening", "Mở đầu", f"Cuộc họp xem xét {n} nội dung theo chương trình đã phát hành." if n else ""
    )
    items: list[ItemRecord] = []
    for it in in_session_order(facts.items):
        head = f"{it.position}. {nfc(it.title)}"
        base = ItemRecord(
            position=it.position,
            title=nfc(it.title),
            when=discussed(it, tz, any(i.taken for i in facts.items), day_of(when, tz)),
            presenter=nfc(it.presenter),
            documents=[nfc(d) for d in facts.documents.get(it.id, ())],
            speeches=_speeches(facts, it.id, tz),
            votes=[vote_record(v) for v in facts.votes if v.item_id == it.id],
        )
        summary_key = f"item:{it.id}:summary"
        summary = section(summary_key, f"{head} — diễn biến, ý kiến phát biểu", summary_text(base))
        section(f"item:{it.id}:votes", f"{head} — biểu quyết", votes_text(base.votes), editable=False)
        conclusion = section(f"item:{it.id}:conclusion", f"{head} — kết luận", facts.conclusions.get(it.id, ""))
        items.append(
            ItemRecord(
                **{**base.__dict__, "conclusion": conclusion, "summary_text": summary if summary_key in edits else None}
            )
        )
    closing = section("closing", "Kết thúc", _ended_text(facts, tz))
    recipients = section("recipients", "Nơi nhận (mỗi dòng một nơi)", RECIPIENTS)
    annex = section("annex", "Phụ lục — ghi chú chung khi trình chiếu (mỗi dòng một trang)", annex_text(facts))
    chair = next((p for p in facts.people if p.role == "chair"), None)
    secretary = next((p for p in facts.people if p.role == "secretary"), None)
    chair_a = attendee(chair) if chair else Attendee("")
    secretary_a = attendee(secretary) if secretary else Attendee("")
    doc = MinutesDoc(
        agency=AGENCY,
        number=number_line,
        place_date=place_date,
        subject=subject,
        started=started,
        place=place,
        chair=chair_a,
        secretary=secretary_a,
        present_room=g["present_room"],
        present_remote=g["present_remote"],
        deputies=g["deputies"],
        absent=g["absent"],
        guests=g["guests"],
        items=items,
        ended="",
        signers=(Signer("THƯ KÝ", secretary_a.name), Signer("CHỦ TỌA", chair_a.name, chair_a.title)),
        recipients=[line.strip() for line in recipients.splitlines() if line.strip()],
        annex=[line.strip() for line in annex.splitlines() if line.strip()],
        opening=opening,
        closing=closing,
        attendance_text=attendance if "attendance" in edits else None,
        figures=figures_lines,
    )
    return Draft(sections, doc)


def section_keys(draft: Draft) -> set[str]:
    return {s.key for s in draft.sections if s.editable}
