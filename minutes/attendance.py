"""The attendance part of the minutes: who attended and how, from each person's attendance history (in the
room, remote, a deputy, a guest, absent; with the times when they were not there throughout), the lines the
"Thành phần tham dự" section lists them in, and the figures of members and quorum. Pure, as minutes/builder.py.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from core.clock import DEFAULT_TIMEZONE
from core.text import nfc
from minutes.dates import hm
from minutes.document import Attendee
from minutes.facts import Person, QuorumFact


def attendee(p: Person, note: str = "") -> Attendee:
    return Attendee(nfc(p.name), nfc(p.title), nfc(note))


GUEST_WHERE = {"present_room": "tham dự tại phòng họp", "present_remote": "tham dự trực tuyến"}


def _guest(p: Person, ways: set[str], note: str) -> Attendee:
    """A guest: name, title and unit in full (nothing cut), and how (and when, if not throughout) they attended."""
    unit = p.unit if p.unit and p.unit not in p.title else ""
    how = note or "; ".join(GUEST_WHERE[w] for w in GUEST_WHERE if w in ways)
    return Attendee(nfc(p.name), nfc(", ".join(x for x in (p.title, unit) if x)), nfc(how))


PRESENCE_VI = {"present_room": "có mặt tại phòng họp", "present_remote": "tham dự trực tuyến"}
Span = tuple[str, datetime, "datetime | None"]


def presence_spans(p: Person) -> list[Span]:
    """(how, from, until) for each stretch of time the person was present, from their attendance history."""
    spans: list[Span] = []
    for at, state in p.history:
        if spans and spans[-1][2] is None:
            spans[-1] = (spans[-1][0], spans[-1][1], at)
        if state in PRESENCE_VI:
            spans.append((state, at, None))
    return spans


def presence_note(spans: list[Span], started: datetime | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """'có mặt tại phòng họp từ 08:05; tham dự trực tuyến từ 10:20 đến 11:00' — only when there is more to
    say than "present throughout" (came late, left early, or changed between the room and the video)."""
    if not spans or (len(spans) == 1 and spans[0][2] is None and (started is None or spans[0][1] <= started)):
        return ""
    parts: dict[str, list[str]] = {}
    for how, start, end in spans:
        parts.setdefault(how, []).append(f"từ {hm(start, tz)}" + (f" đến {hm(end, tz)}" if end else ""))
    return "; ".join(f"{PRESENCE_VI[how]} " + " và ".join(times) for how, times in parts.items())


def groups(
    people: tuple[Person, ...], started: datetime | None = None, tz: str | tzinfo = DEFAULT_TIMEZONE
) -> dict[str, list[Attendee]]:
    """Who attended, and how, as the history says: someone who was ever in the room is listed there (with the
    times they were remote), someone only ever remote as remote; the rest by their final state. Times on the
    organisation's clock (`tz`, ECABINET_TIMEZONE)."""
    out: dict[str, list[Attendee]] = {
        "present_room": [],
        "present_remote": [],
        "deputies": [],
        "guests": [],
        "absent": [],
    }
    for p in people:
        if p.role == "secretary":
            continue
        spans = presence_spans(p)
        ways = {how for how, _, _ in spans} or ({p.attendance} & set(PRESENCE_VI))
        note = presence_note(spans, started, tz)
        if p.role == "guest":
            if ways:
                out["guests"].append(_guest(p, ways, note))
        elif ways:
            out["present_room" if "present_room" in ways else "present_remote"].append(attendee(p, note))
        elif p.attendance == "deputy":
            out["deputies"].append(
                Attendee(nfc(p.deputy_name), "", nfc(f"dự thay {p.name}" + (f", {p.title}" if p.title else "")))
            )
        else:
            reason = (
                p.absence_reason if p.attendance == "absent" and p.absence_reason else "không có thông tin điểm danh"
            )
            out["absent"].append(Attendee(nfc(p.name), nfc(p.title), nfc(reason)))
    return out


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


def figures(q: QuorumFact | None) -> list[str]:
    """Members, present (in the room / remote), deputies, absent, and the quorum with whether it was reached."""
    if q is None:
        return []
    present = q.present_room + q.present_remote
    deputies = (
        f"; đại biểu dự thay: {q.deputies}" + (" (được tính vào số có mặt)" if q.deputies_count else "")
        if q.deputies
        else ""
    )
    return [
        f"Tổng số thành viên: {q.total}; có mặt: {present} (tại phòng họp: {q.present_room}; trực tuyến: "
        f"{q.present_remote})"
        f"{deputies}; vắng mặt: {q.absent}.",
        f"Số thành viên tối thiểu để tiến hành phiên họp ({q.num}/{q.den} tổng số thành viên): {q.required}; "
        + ("đủ điều kiện tiến hành phiên họp." if q.reached else "không đủ số thành viên tối thiểu."),
        *_at_start(q),
    ]


def _at_start(q: QuorumFact) -> list[str]:
    """When the session was opened: the members present then (the line above counts them at the end)."""
    if q.present_at_start is None:
        return []
    verdict = (
        "đủ số thành viên tối thiểu."
        if q.reached_at_start
        else "chưa đủ số thành viên tối thiểu; chủ tọa quyết định khai mạc phiên họp."
    )
    return [f"Khi khai mạc phiên họp: có mặt {q.present_at_start}/{q.total} thành viên; {verdict}"]
