"""The attendance part of the minutes: who attended and how, from each person's attendance history (in the
room, remote, a deputy, a guest, absent; with the times when they were not there throughout), the lines the
"Thành phần tham dự" section lists them in, and the figures of members and quorum. Pure, as minutes/builder.py.
An absence is written "có lý do" / "không có lý do", never with its reason (every participant, guests included,
receives the signed minutes); the reasons stay in the attendance records (the participants list and its history,
for the members and those who conduct), and the secretariat may write one into the attendance section by hand.

Roles are those held during the session (minutes/roles.py), not today's: whoever was a member (or the chair) at any
time of the session is listed and counted among the members, with the time their role changed; the figures say how
many members there were, and were present, at the opening and at the end, each of that moment's roster. Times on
another day than the meeting's (a session past midnight) carry their date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from core.clock import DEFAULT_TIMEZONE
from core.text import nfc
from minutes.dates import day_of, hm_on
from minutes.document import Attendee
from minutes.facts import REASON_GIVEN, Person
from minutes.quorum import QuorumFact

MEMBER_ROLES = ("chair", "member")  # those the quorum counts (meetings.models.VOTING_ROLES)
ROLE_VI = {"chair": "chủ tọa", "member": "thành viên", "secretary": "thư ký", "guest": "khách mời"}
SPOKE = "có phát biểu tại phiên họp"


def held(p: Person) -> set[str]:
    """The roles they held during the session (their current one when there is no session)."""
    return {role for _, role in p.roles} or {p.role}


def listed_as(p: Person) -> str:
    """Where the attendance list puts them: a member if they were one at any time of the session, else a guest if
    they were one, else (the secretary throughout) not at all."""
    roles = held(p)
    return "member" if roles & set(MEMBER_ROLES) else "guest" if "guest" in roles else "secretary"


def role_note(p: Person, started: datetime | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """'được mời dự họp từ 10:30', 'chuyển sang khách mời từ 10:20': how their role changed during the session."""
    day = day_of(started, tz)
    parts = []
    for i, (at, role) in enumerate(p.roles):
        if i == 0:
            if started is not None and at > started:
                parts.append(f"được mời dự họp từ {hm_on(at, day, tz)} với vai trò {ROLE_VI.get(role, role)}")
            continue
        parts.append(f"chuyển sang {ROLE_VI.get(role, role)} từ {hm_on(at, day, tz)}")
    return "; ".join(parts)


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def attendee(p: Person, note: str = "") -> Attendee:
    return Attendee(nfc(p.name), nfc(p.title), nfc(note))


GUEST_WHERE = {"present_room": "tham dự tại phòng họp", "present_remote": "tham dự trực tuyến"}


def _guest(p: Person, ways: set[str], note: str) -> Attendee:
    """A guest: name, title and unit in full (nothing cut), and how (and when, if not throughout) they attended."""
    unit = p.unit if p.unit and p.unit not in p.title else ""
    how = note or "; ".join(GUEST_WHERE[w] for w in GUEST_WHERE if w in ways)
    return Attendee(nfc(p.name), nfc(", ".join(x for x in (p.title, unit) if x)), nfc(how))


PRESENCE_VI = {"present_room": "có mặt tại phòng họp", "present_remote": "tham dự trực tuyến"}
# (how, from, until, why the stretch ended: facts.REASON_GIVEN when they were recorded absent with a reason; the
# reason itself never reaches the minutes, minutes/facts.py)
Span = tuple[str, datetime, "datetime | None", str]


def presence_spans(p: Person) -> list[Span]:
    """(how, from, until, why they left) for each stretch of time the person was present, from their history."""
    spans: list[Span] = []
    for at, state, *note in p.history:
        if spans and spans[-1][2] is None:
            why = note[0] if note and state == "absent" else ""
            spans[-1] = (spans[-1][0], spans[-1][1], at, why)
        if state in PRESENCE_VI:
            spans.append((state, at, None, ""))
    return spans


def _stretch(start: datetime, end: datetime | None, why: str, tz: str | tzinfo, day: date | None) -> str:
    return (
        f"từ {hm_on(start, day, tz)}"
        + (f" đến {hm_on(end, day, tz)}" if end else "")
        + (f", rời phiên họp {why}" if end and why else "")
    )


def _stretches(stretches: list[tuple[datetime, datetime | None, str]], tz: str | tzinfo, day: date | None) -> str:
    """'từ 08:05 đến 09:00 và từ 09:30'; after a departure with its note, the next stretch is a return ('…, rời phiên
    họp có lý do, sau đó trở lại từ 09:30'), so that nothing reads as part of the note."""
    out = []
    for i, (start, end, why) in enumerate(stretches):
        text = _stretch(start, end, why, tz, day)
        out.append(text if i == 0 else (", sau đó trở lại " if stretches[i - 1][2] else " và ") + text)
    return "".join(out)


def presence_note(spans: list[Span], started: datetime | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """'có mặt tại phòng họp từ 08:05; tham dự trực tuyến từ 10:20 đến 11:00' — only when there is more to
    say than "present throughout" (came late, left early, or changed between the room and the video)."""
    if not spans or (len(spans) == 1 and spans[0][2] is None and (started is None or spans[0][1] <= started)):
        return ""
    parts: dict[str, list[tuple[datetime, datetime | None, str]]] = {}
    for how, start, end, why in spans:
        parts.setdefault(how, []).append((start, end, why))
    day = day_of(started, tz)
    return "; ".join(f"{PRESENCE_VI[how]} " + _stretches(times, tz, day) for how, times in parts.items())


def _ways(p: Person, spans: list[Span]) -> set[str]:
    """How they were ever present: from the history, else (no history: an older record) their final state."""
    return {how for how, *_ in spans} or ({p.attendance} & set(PRESENCE_VI))


def groups(
    people: tuple[Person, ...], started: datetime | None = None, tz: str | tzinfo = DEFAULT_TIMEZONE
) -> dict[str, list[Attendee]]:
    """Who attended, and how, as the history says: someone who was ever in the room is listed there (with the
    times they were remote), someone only ever remote as remote; the rest by their final state. A member at any time
    of the session is listed among the members (with when their role changed: `role_note`); a guest who had the floor
    is listed though nobody recorded their attendance. Times on the organisation's clock (`tz`, ECABINET_TIMEZONE)."""
    out: dict[str, list[Attendee]] = {
        "present_room": [],
        "present_remote": [],
        "deputies": [],
        "guests": [],
        "absent": [],
    }
    for p in people:
        listed = listed_as(p)
        if listed == "secretary":
            continue
        spans = presence_spans(p)
        ways = _ways(p, spans)
        note = presence_note(spans, started, tz)
        roles = role_note(p, started, tz)
        if listed == "guest":
            if ways:
                out["guests"].append(_guest(p, ways, _join(note, roles)))
            elif p.spoke:  # given the floor without a check-in (guests may speak so): they took part
                out["guests"].append(_guest(p, ways, _join(SPOKE, "không có thông tin điểm danh", roles)))
        elif ways:
            out["present_room" if "present_room" in ways else "present_remote"].append(attendee(p, _join(note, roles)))
        elif p.attendance == "deputy":
            whom = f"dự thay {p.name}" + (f", {p.title}" if p.title else "")
            out["deputies"].append(Attendee(nfc(p.deputy_name), "", nfc(_join(whom, roles))))
        else:
            note = _join(absence_note(p), SPOKE if p.spoke else "", roles)
            out["absent"].append(Attendee(nfc(p.name), nfc(p.title), nfc(note)))
    return out


def absence_note(p: Person) -> str:
    """What the minutes say of an absence: whether a reason was given, never the reason (minutes/facts.py). A
    member whose attendance nobody recorded is not said to be absent without a reason: the record has nothing."""
    if p.attendance != "absent":
        return "không có thông tin điểm danh"
    return REASON_GIVEN if p.excused else "không có lý do"


GROUP_LABELS = [
    ("present_room", "Có mặt tại phòng họp"),
    ("present_remote", "Tham dự trực tuyến"),
    ("deputies", "Đại biểu dự thay"),
    ("guests", "Khách mời"),
    ("absent", "Vắng mặt"),
]


def _person_line(i: int, a: Attendee) -> str:
    return f"{i}. {a.name}" + (f", {a.title}" if a.title else "") + (f" ({a.note})" if a.note else "") + ";"


def attendance_text(g: dict[str, list[Attendee]]) -> str:
    lines: list[str] = []
    for key, label in GROUP_LABELS:
        if g[key]:
            lines.append(f"{label} ({len(g[key])}):")
            lines += [_person_line(i, a) for i, a in enumerate(g[key], start=1)]
    return "\n".join(lines)


FIGURES_LABEL = "Tổng hợp số thành viên"


@dataclass(frozen=True)
class Tally:
    """The members counted as the attendance list lists them (a member at any time of the session): present if they
    ever were during the session (in the room if ever there), of whom some left before the end; a deputy or absent
    otherwise, as finally recorded."""

    room: int = 0
    remote: int = 0
    left_early: int = 0
    deputies: int = 0
    absent: int = 0

    @property
    def total(self) -> int:
        return self.room + self.remote + self.deputies + self.absent


def tally(people: tuple[Person, ...]) -> Tally:
    room = remote = left = deputies = absent = 0
    for p in people:
        if listed_as(p) != "member":
            continue
        ways = _ways(p, presence_spans(p))
        if ways:
            room += "present_room" in ways
            remote += "present_room" not in ways
            left += p.attendance not in PRESENCE_VI
        elif p.attendance == "deputy":
            deputies += 1
        else:
            absent += 1
    return Tally(room, remote, left, deputies, absent)


def figures(q: QuorumFact | None, t: Tally | None = None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> list[str]:
    """Members, present (in the room / remote, and who left before the end), deputies, absent — the same people
    the attendance list names — and the quorum with whether it was reached, at the end and at the opening, each on
    its own moment's roster; then the changes of role that made those rosters differ."""
    if q is None:
        return []
    if t is None:  # no history to hand: the final states
        t = Tally(q.present_room, q.present_remote, 0, q.deputies, q.absent)
    deputies = (
        f"; đại biểu dự thay: {t.deputies}" + (" (được tính vào số có mặt)" if q.deputies_count else "")
        if t.deputies
        else ""
    )
    left = f"; trong đó {t.left_early} thành viên rời phiên họp trước khi kết thúc" if t.left_early else ""
    moved = t.total != q.total  # the members at the end are not all those listed (a role changed)
    base = f" (trên {q.total} thành viên khi kết thúc phiên họp)" if moved else ""
    at_end = (
        f"khi kết thúc phiên họp có mặt {q.present_room + q.present_remote}/{q.total} thành viên; "
        if left or moved
        else ""
    )
    return [
        f"Tổng số thành viên: {t.total}; có mặt: {t.room + t.remote} (tại phòng họp: {t.room}; trực tuyến: "
        f"{t.remote}{left})"
        f"{deputies}; vắng mặt: {t.absent}.",
        f"Số thành viên tối thiểu để tiến hành phiên họp ({q.num}/{q.den} tổng số thành viên): {q.required}{base}; "
        + at_end
        + ("đủ điều kiện tiến hành phiên họp." if q.reached else "không đủ số thành viên tối thiểu."),
        *_at_start(q),
        *_changes(q, tz),
    ]


def _at_start(q: QuorumFact) -> list[str]:
    """When the session was opened: the members present then, of the members then (the line above counts them at the
    end); with the minimum of that moment when the roster or the rule gave another."""
    if q.present_at_start is None:
        return []
    total = q.total if q.total_at_start is None else q.total_at_start
    required = q.required_at_start
    minimum = f" (tối thiểu {required})" if required is not None and (total, required) != (q.total, q.required) else ""
    verdict = (
        "đủ số thành viên tối thiểu."
        if q.reached_at_start
        else "chưa đủ số thành viên tối thiểu; chủ tọa quyết định khai mạc phiên họp."
    )
    return [f"Khi khai mạc phiên họp: có mặt {q.present_at_start}/{total} thành viên{minimum}; {verdict}"]


def _changes(q: QuorumFact, tz: str | tzinfo) -> list[str]:
    """'Thay đổi thành phần trong phiên họp: lúc 10:20, A chuyển từ thành viên sang khách mời; …' (the figures are
    not editable: these changes are stated here, not only in the attendance list the secretariat may rewrite)."""
    if not q.changes:
        return []
    day = day_of(q.started_at or q.changes[0][0], tz)
    parts = []
    for at, name, before, after in q.changes:
        when = f"lúc {hm_on(at, day, tz)}, {name}"
        if not before:
            parts.append(f"{when} được mời dự họp với vai trò {ROLE_VI.get(after, after)}")
        elif not after:
            parts.append(f"{when} ({ROLE_VI.get(before, before)}) được bớt khỏi thành phần")
        else:
            parts.append(f"{when} chuyển từ {ROLE_VI.get(before, before)} sang {ROLE_VI.get(after, after)}")
    return ["Thay đổi thành phần trong phiên họp: " + "; ".join(parts) + "."]
