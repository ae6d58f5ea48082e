"""The figures a session's validity rests on, each at its moment: at the end (the roster and attendance the meeting
ended with) and at the opening (as recorded with the `meeting.started` event), with the changes of role between
(minutes/roles.py). Read by minutes/facts.py, written by minutes/attendance.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from meetings.attendance import quorum_at
from meetings.models import PRESENT, VOTING_ROLES, Attendance, MeetingRole, Participant
from meetings.rules import compute_quorum, get_rules
from minutes import roles as session_roles


@dataclass(frozen=True)
class QuorumFact:
    """The figures a session's validity rests on (Luật TCCP 2015, Điều 46), as the organisation's rules count them."""

    total: int  # all members (chair + members)
    present_room: int
    present_remote: int
    deputies: int
    absent: int
    required: int
    reached: bool
    num: int  # quorum fraction num/den of ALL members
    den: int
    deputies_count: bool
    # When the chair opened the session: how many were present then, and whether that was the quorum (the figures
    # above are at the end; a session opened without its quorum is opened by the chair's decision, and says so).
    present_at_start: int | None = None
    reached_at_start: bool | None = None
    total_at_start: int | None = None  # the members then (the roster may have changed since: `changes`)
    required_at_start: int | None = None
    # Changes of role during the session into, out of or between the members: (when, name, from, to; "" = none).
    changes: tuple[tuple[datetime, str, str, str], ...] = ()
    started_at: datetime | None = None  # the opening: times on another day than its own carry their date


def quorum(
    session: Session,
    participants: list[Participant],
    meeting_id: int,
    started_at: datetime | None,
    roles: session_roles.SessionRoles,
    names: dict[int, str],
) -> QuorumFact:
    """The figures at the end (the roster and attendance the meeting ended with: neither changes after the end) and
    at the opening, as recorded with the `meeting.started` event (the roster, attendance and rules of that moment;
    for a meeting started before that record, rebuilt from the roster and the attendance history at the start)."""
    rules = get_rules(session)
    at_start: dict[str, Any] | None = roles.opening_quorum
    if at_start is None and started_at is not None:
        at_start = quorum_at(session, meeting_id, started_at)
    q = compute_quorum(participants, rules)
    members = [p for p in participants if p.role in VOTING_ROLES]

    def count(*states: Attendance) -> int:
        return sum(1 for p in members if p.attendance in states)

    def role(r: MeetingRole | None) -> str:
        return r.value if r is not None else ""

    return QuorumFact(
        total=q.total,
        present_room=count(Attendance.present_room),
        present_remote=count(Attendance.present_remote),
        deputies=count(Attendance.deputy),
        absent=q.total - count(*PRESENT, Attendance.deputy),
        required=q.required,
        reached=q.reached,
        num=rules.quorum_num,
        den=rules.quorum_den,
        deputies_count=rules.deputy_counts_for_quorum,
        present_at_start=int(at_start["present"]) if at_start else None,
        reached_at_start=bool(at_start["reached"]) if at_start else None,
        total_at_start=int(at_start["total"]) if at_start else None,
        required_at_start=int(at_start["required"]) if at_start else None,
        changes=tuple(
            (c.at, names.get(c.user_id, ""), role(c.before), role(c.after))
            for c in session_roles.member_changes(roles.changes())
        ),
        started_at=started_at,
    )
