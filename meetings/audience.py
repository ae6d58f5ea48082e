"""Who, of the sockets following a meeting, may still receive which of its events (read by the live edge).

`grants` answers for many sockets in one read: the audiences (meetings/events.py) of each socket's user as
the database says now (fresh global role, still active, still a participant, the meeting not back in draft,
a display token not revoked), or an empty set when they may no longer see the meeting at all.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE
from accounts.models import User
from meetings.display_rules import token_id_of, working_ids
from meetings import services
from meetings.access import Access, access
from meetings import serialize
from meetings.events import MEMBERS, classes, events_since
from meetings.models import Meeting, Participant
from infra.db import each_answered

NONE: frozenset[str] = frozenset()


def join(*, session: Session, actor: Actor, meeting_id: int) -> tuple[dict[str, Any], frozenset[str], int]:
    """meeting:join: what services.join answers, plus the caller's audiences and the access_seq they hold for."""
    result = services.join(session=session, actor=actor, meeting_id=meeting_id)
    acc = access(session, actor, meeting_id)
    return result, classes(acc), acc.meeting.access_seq


Joined = tuple[dict[str, Any], frozenset[str], int]


def join_many(*, session: Session, calls: list[tuple[Actor, int]]) -> list[tuple[bool, Joined | Exception]]:
    """`join` for many (actor, meeting_id) at once, in one read transaction (a room of tablets joining
    together, realtime/handlers.py): each caller's access is checked on its own, a refused one answers
    (False, its error); the snapshot of a meeting is built once for its members and once for the others, and
    shared by every answer (it depends only on the meeting, read once here, and which of the two)."""
    # by (meeting, seq, members or outsiders): a caller after a restarted read
    snapshots: dict[tuple[int, int, bool], dict[str, Any]] = {}

    def one(call: tuple[Actor, int]) -> Joined:
        actor, meeting_id = call
        acc = access(session, actor, meeting_id)
        audiences = classes(acc)
        key = (meeting_id, acc.meeting.last_seq, MEMBERS in audiences)
        shot = snapshots.get(key)
        if shot is None:
            shot = snapshots[key] = serialize.snapshot(session, acc.meeting, members=key[2])
        return services.joined(acc, shot), audiences, acc.meeting.access_seq

    return each_answered(session, calls, one)


def grants(
    *, session: Session, meeting_id: int, actors: dict[str, Actor], timezone: str = DEFAULT_TIMEZONE
) -> tuple[int, dict[str, frozenset[str]]]:
    """(the meeting's access_seq as read, {socket id: audiences}) for every socket in `actors`; a display's only
    while its link works (meetings/display_rules.py: `timezone` is the organisation's)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return 0, {sid: NONE for sid in actors}
    user_ids = {a.id for a in actors.values() if not a.is_display}
    users = {u.id: u for u in session.exec(select(User).where(User.id.in_(user_ids))).all()}  # type: ignore[union-attr]
    parts = {
        p.user_id: p
        for p in session.exec(
            select(Participant).where(
                Participant.meeting_id == meeting_id,
                Participant.user_id.in_(user_ids),  # type: ignore[attr-defined]
            )
        ).all()
    }
    live_tokens = working_ids(
        session=session, token_ids={t for a in actors.values() if (t := token_id_of(a)) is not None}, timezone=timezone
    )
    out: dict[str, frozenset[str]] = {}
    for sid, actor in actors.items():
        if actor.is_display:
            current: Actor | None = actor if token_id_of(actor) in live_tokens else None
        else:
            user = users.get(actor.id)
            current = Actor.of(user) if user is not None and user.is_active else None
        acc = Access(current, meeting, parts.get(actor.id)) if current is not None else None
        out[sid] = classes(acc) if acc is not None and acc.can_view else NONE
    return meeting.access_seq, out


def sync_as(
    *, session: Session, meeting_id: int, since: int, limit: int, audiences: frozenset[str], access_seq: int
) -> dict[str, Any] | None:
    """meeting:sync for sockets whose audiences the live edge holds, current as of `access_seq`
    (realtime/audience.py): no user or participant is loaded again. None when the meeting's access changed
    since (the caller then takes the full path, services.sync, which checks again). The answer depends only
    on the arguments, so many sockets asking the same share one read (realtime/handlers.py)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.access_seq > access_seq or not audiences:
        return None
    last = meeting.last_seq
    events = (
        events_since(session, meeting_id=meeting_id, since=since, limit=limit, audience=audiences)
        if 0 <= since <= last
        else None
    )
    if events is None:
        return {"snapshot": serialize.snapshot(session, meeting, members=MEMBERS in audiences), "seq": last}
    return {"events": events, "seq": last}
