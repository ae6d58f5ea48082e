"""When a hall-display link works (display/services.py says why): not revoked; within its lifetime; its creator
still active, with the credentials they had when they made it, and still allowed to prepare the meeting. One rule
for opening the screen (display/services.py resolve_actor), for the rooms it may be in (meetings/audience.py
grants), for every event a showing screen sends (realtime/actions.py SocketActions.current) and for the screens
already showing (realtime/recheck.py, every few seconds).

A link's lifetime is fixed when it is made (`valid_until`): the end of the organisation's day (ECABINET_TIMEZONE) of
its meeting's scheduled date, or of the day it was made if that is later. A meeting postponed past that day needs a
new link. A session that started while the link was valid keeps its screen while it runs, past midnight too, until
the end of the day after the one it started on (a meeting left "started" for days does not keep its links
alive); once ended, the screen may show the closing state until the end of the day it ended on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE, as_utc, local, utcnow
from meetings.access import Access
from meetings.display_tokens import DisplayToken
from meetings.models import Meeting, MeetingState, Participant


def screen_until(moment: datetime, timezone: str, extra_days: int = 0) -> datetime:
    """The end (UTC) of the organisation's day on which `moment` falls (`extra_days` later)."""
    day = local(moment, timezone)
    midnight = datetime.combine(day.date() + timedelta(days=1 + extra_days), time(0), tzinfo=day.tzinfo)
    return as_utc(midnight)


def valid_until(scheduled_at: datetime | None, made_at: datetime, timezone: str) -> datetime:
    """A new link's fixed lifetime: the end of its meeting's scheduled day, or of the day it is made if later."""
    return screen_until(max(as_utc(scheduled_at or made_at), as_utc(made_at)), timezone)


def last_moment(row: DisplayToken, meeting: Meeting, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """When the link stops working, as things stand (the module's rules)."""
    until = as_utc(row.valid_until)
    started = as_utc(meeting.started_at)
    if started is not None and started < until and meeting.state in (MeetingState.started, MeetingState.ended):
        until = max(until, screen_until(started, timezone, extra_days=1))  # began while valid: it may run on
    if meeting.state == MeetingState.ended:
        return min(until, screen_until(meeting.ended_at or utcnow(), timezone))
    return until


def works(session: Session, row: DisplayToken, timezone: str = DEFAULT_TIMEZONE) -> bool:
    if row.revoked_at is not None:
        return False
    meeting = session.get(Meeting, row.meeting_id)
    if meeting is None or utcnow() >= last_moment(row, meeting, timezone):
        return False
    creator = session.get(User, row.created_by)
    if creator is None or not creator.is_active or creator.credential_epoch != row.creator_epoch:
        return False
    part = session.exec(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.user_id == creator.id)
    ).first()
    return Access(Actor.of(creator), meeting, part).can_manage


def working_ids(*, session: Session, token_ids: Iterable[int], timezone: str = DEFAULT_TIMEZONE) -> set[int]:
    """Those of `token_ids` whose links work now."""
    ids = set(token_ids)
    if not ids:
        return set()
    rows = session.exec(select(DisplayToken).where(col(DisplayToken.id).in_(ids))).all()
    return {row.id for row in rows if row.id is not None and works(session, row, timezone)}


def token_id_of(actor: Actor) -> int | None:
    """The display link behind a display actor (Actor.display: 'display:<token id>'), None for anyone else."""
    if not actor.is_display:
        return None
    _, _, raw = actor.username.partition(":")
    return int(raw) if raw.isdigit() else None
