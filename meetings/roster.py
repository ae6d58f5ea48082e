"""Who held which role in a meeting, and when, replayed from the meeting's event log.

Every change of the roster (an invitation, a change of role, a removal) is written by meetings/participation.py
together with a `participants.changed` event whose data carry the whole roster after the change (`participants`:
user_id, role, ...), in the same transaction. So the roster as it stood after the event numbered `seq` is that of
the last such event at or before it, and the changes between two events are the differences between their rosters.
The record (minutes/facts.py) reads the roles a fact rests on here, at that fact's moment, never today's roles:
the members counted at the opening are those of the `meeting.started` event, the members a vote counted are those of
its `vote.closed` event.

Where the log holds no roster at all (participants written outside the services: benchmarks, raw SQL), the
current roster is all there is, and it is used; where it holds rosters but none yet at a moment, nobody had been
invited then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlmodel import Session, col, select

from core.clock import as_utc
from meetings.events import MeetingEvent
from meetings.models import MeetingRole, Participant

ROSTER_EVENT = "participants.changed"

Roles = dict[int, MeetingRole]


@dataclass(frozen=True)
class RoleChange:
    """`user_id` went from role `before` to `after` (None: not a participant) at event `seq`, time `at`."""

    seq: int
    at: datetime
    user_id: int
    before: MeetingRole | None
    after: MeetingRole | None


def _roles(data: Mapping[str, Any]) -> Roles | None:
    rows = data.get("participants")
    if not isinstance(rows, list):
        return None
    out: Roles = {}
    for row in rows:
        try:
            out[int(row["user_id"])] = MeetingRole(row["role"])
        except (KeyError, TypeError, ValueError):
            continue  # not a participant row: nothing to say of anyone's role
    return out


def current_roles(session: Session, meeting_id: int) -> Roles:
    rows = session.exec(select(Participant.user_id, Participant.role).where(Participant.meeting_id == meeting_id)).all()
    return {int(uid): MeetingRole(role) for uid, role in rows}


@dataclass(frozen=True)
class Roster:
    """The rosters recorded after `since` (an event seq), and the one in force at `since`."""

    base: Roles
    snapshots: tuple[tuple[int, datetime, Roles], ...]  # (seq, at, roster after it), seq > since, oldest first
    recorded: bool  # False: the log holds no roster (the current one stands for every moment)

    def at(self, seq: int) -> Roles:
        """The roster in force after event `seq` (not before `since`)."""
        roles = self.base
        for s, _, snapshot in self.snapshots:
            if s > seq:
                break
            roles = snapshot
        return roles

    def changes(self, until: int | None = None) -> list[RoleChange]:
        """Every change of role after `since` (up to event `until`), oldest first, in user order within one event."""
        out: list[RoleChange] = []
        previous = self.base
        for seq, at, roles in self.snapshots:
            if until is not None and seq > until:
                break
            for uid in sorted(previous.keys() | roles.keys()):
                if previous.get(uid) != roles.get(uid):
                    out.append(RoleChange(seq, at, uid, previous.get(uid), roles.get(uid)))
            previous = roles
        return out


def _roster_events(session: Session, meeting_id: int, *conditions: Any) -> list[tuple[int, datetime, Roles]]:
    rows = session.exec(
        select(MeetingEvent.seq, MeetingEvent.at, MeetingEvent.data)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == ROSTER_EVENT, *conditions)
        .order_by(col(MeetingEvent.seq))
    ).all()
    out = []
    for seq, at, data in rows:
        roles = _roles(data or {})
        moment = as_utc(at)
        if roles is not None and moment is not None:
            out.append((int(seq), moment, roles))
    return out


def _last_before(session: Session, meeting_id: int, *conditions: Any) -> Roles | None:
    rows = session.exec(
        select(MeetingEvent.data)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == ROSTER_EVENT, *conditions)
        .order_by(col(MeetingEvent.seq).desc())
        .limit(1)
    ).all()
    return _roles(rows[0] or {}) if rows else None


def _any_recorded(session: Session, meeting_id: int) -> bool:
    return (
        session.exec(
            select(MeetingEvent.id)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == ROSTER_EVENT)
            .limit(1)
        ).first()
        is not None
    )


def since(session: Session, meeting_id: int, seq: int) -> Roster:
    """The roster in force after event `seq` and every roster recorded after it (module doc)."""
    after = _roster_events(session, meeting_id, col(MeetingEvent.seq) > seq)
    base = _last_before(session, meeting_id, col(MeetingEvent.seq) <= seq)
    if base is not None:
        return Roster(base, tuple(after), True)
    if after:
        return Roster({}, tuple(after), True)
    return Roster(current_roles(session, meeting_id), (), False)


def at_time(session: Session, meeting_id: int, moment: datetime) -> Roles:
    """The roster in force at `moment` (the last roster recorded at or before it)."""
    base = _last_before(session, meeting_id, col(MeetingEvent.at) <= moment)
    if base is not None:
        return base
    return {} if _any_recorded(session, meeting_id) else current_roles(session, meeting_id)


def events_of(session: Session, meeting_id: int, type: str) -> list[tuple[int, dict[str, Any]]]:
    """(seq, data) of every event of `type` of the meeting, oldest first: the moments a fact is stated at."""
    rows = session.exec(
        select(MeetingEvent.seq, MeetingEvent.data)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == type)
        .order_by(col(MeetingEvent.seq))
    ).all()
    return [(int(seq), dict(data or {})) for seq, data in rows]
