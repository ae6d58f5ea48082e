"""The roles the record's facts rest on, each at its own moment (meetings/roster.py replays them from the event log):

- the roster at the opening (the `meeting.started` event) and the quorum recorded with it: the opening line of the
  figures states what the chair saw when opening the session (rules and roster of that moment);
- each participant's roles during the session, from the opening to the end (`meeting.ended`): the attendance list
  counts as a member whoever was one at any time of the session, and says when their role changed;
- the members at each vote's close (its `vote.closed` event): the members whose votes the decision counted
  (votes/services.py takes the vote's counts at the close), of whom those without a ballot "did not vote".

A meeting not yet started has no session: its current roles stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from meetings import roster
from meetings.models import VOTING_ROLES, MeetingRole
from meetings.roster import RoleChange, Roles

QUORUM_KEYS = ("total", "present", "required", "reached")


@dataclass(frozen=True)
class SessionRoles:
    started_seq: int | None
    ended_seq: int | None
    opening_quorum: dict[str, Any] | None  # as recorded with meeting.started; None: not recorded (older meetings)
    history: roster.Roster | None  # None: not started
    current: Roles
    closed_seq: dict[int, int] = field(default_factory=dict)  # vote id -> seq of its vote.closed
    # The changes of role during the session (none before the opening, none after the end), oldest first.
    during: tuple[RoleChange, ...] = ()

    def changes(self) -> list[RoleChange]:
        return list(self.during)

    def timeline(self, user_id: int, opened_at: datetime | None) -> tuple[tuple[datetime, str], ...]:
        """(from when, role) for each role the user held during the session, the first at the opening (or their
        invitation during it); () when there is no session."""
        if self.history is None or opened_at is None:
            return ()
        first = self.history.base.get(user_id)
        out: list[tuple[datetime, str]] = [(opened_at, first.value)] if first is not None else []
        for c in self.during:
            if c.user_id == user_id and c.after is not None:
                out.append((c.at, c.after.value))
        return tuple(out)

    def first_role(self, user_id: int, current: MeetingRole) -> MeetingRole:
        """The role they held at the opening, else the first they were given during the session, else `current`."""
        if self.history is None:
            return current
        if user_id in self.history.base:
            return self.history.base[user_id]
        return next((c.after for c in self.during if c.user_id == user_id and c.after is not None), current)

    def members_at_close(self, session: Session, meeting_id: int, vote_id: int) -> set[int] | None:
        """The members (chair + members) when the vote closed; None when its close is not in the log."""
        seq = self.closed_seq.get(vote_id)
        if seq is None:
            return None
        if self.history is not None and self.started_seq is not None and seq >= self.started_seq:
            roles = self.history.at(seq)
        else:
            roles = roster.since(session, meeting_id, seq).base
        return {uid for uid, role in roles.items() if role in VOTING_ROLES}


def read(session: Session, meeting_id: int) -> SessionRoles:
    started = roster.events_of(session, meeting_id, "meeting.started")
    ended = roster.events_of(session, meeting_id, "meeting.ended")
    closed: dict[int, int] = {}
    for seq, data in roster.events_of(session, meeting_id, "vote.closed"):
        vote_id = data.get("vote_id")
        if isinstance(vote_id, int):
            closed.setdefault(vote_id, seq)
    start_seq = started[0][0] if started else None
    quorum = (started[0][1].get("quorum") if started else None) or None
    if not (isinstance(quorum, dict) and all(k in quorum for k in QUORUM_KEYS)):
        quorum = None
    end_seq = ended[0][0] if ended else None
    history = roster.since(session, meeting_id, start_seq) if start_seq is not None else None
    return SessionRoles(
        started_seq=start_seq,
        ended_seq=end_seq,
        opening_quorum=quorum,
        history=history,
        current=roster.current_roles(session, meeting_id),
        closed_seq=closed,
        during=tuple(history.changes(end_seq)) if history is not None else (),
    )


def member_changes(changes: list[RoleChange]) -> list[RoleChange]:
    """The changes that move someone into, out of or between the roles the quorum counts."""
    return [c for c in changes if c.before in VOTING_ROLES or c.after in VOTING_ROLES]
