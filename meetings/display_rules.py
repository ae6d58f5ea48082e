"""When a hall-display link works (display/services.py says why): not revoked; its meeting not ended, or ended
today on the organisation's clock; its creator still active and still allowed to prepare the meeting. One rule for
opening the screen (display/services.py resolve_actor), for the rooms it may be in (meetings/audience.py grants)
and for the screens already showing (realtime/recheck.py, every few seconds)."""

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


def screen_until(ended_at: datetime, timezone: str) -> datetime:
    """The end (UTC) of the organisation's day on which the meeting ended: the last moment its screen works."""
    day = local(ended_at, timezone)
    midnight = datetime.combine(day.date() + timedelta(days=1), time(0), tzinfo=day.tzinfo)
    return as_utc(midnight)


def works(session: Session, row: DisplayToken, timezone: str = DEFAULT_TIMEZONE) -> bool:
    if row.revoked_at is not None:
        return False
    meeting = session.get(Meeting, row.meeting_id)
    if meeting is None:
        return False
    if meeting.state == MeetingState.ended and utcnow() >= screen_until(meeting.ended_at or utcnow(), timezone):
        return False
    creator = session.get(User, row.created_by)
    if creator is None or not creator.is_active:
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
