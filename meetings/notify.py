"""Notifications of meetings (notifications/contract.py): its participants are told when it is published and
when a published (or running) meeting's time, place or agenda changes. Recorded as outbox jobs in the
change's own transaction; the acting user is not told of their own change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.clock import iso
from meetings.models import Meeting, MeetingState, Participant
from notifications.contract import notify

LIVE = (MeetingState.published, MeetingState.started)


def _params(meeting: Meeting, **extra: Any) -> dict[str, Any]:
    return {
        "meeting_id": meeting.id,
        "title": meeting.title,
        "place": meeting.place,
        "scheduled_at": iso(meeting.scheduled_at),
        **extra,
    }


def _people(session: Session, meeting_id: int, actor_id: int | None) -> list[int]:
    ids = session.exec(select(Participant.user_id).where(Participant.meeting_id == meeting_id)).all()
    return [i for i in ids if i != actor_id]


def published(session: Session, meeting: Meeting, actor_id: int | None) -> None:
    assert meeting.id is not None
    notify(
        session,
        event="meeting.published",
        ref=f"meeting.published:{meeting.id}:{meeting.last_seq}",
        user_ids=_people(session, meeting.id, actor_id),
        params=_params(meeting),
        link=f"/meetings/{meeting.id}",
    )


def changed(session: Session, meeting: Meeting, actor_id: int | None, changes: list[str]) -> None:
    """`changes`: "time", "place", "agenda". Nothing is said of a draft (nobody sees it) or an ended meeting."""
    if not changes or meeting.state not in LIVE or meeting.id is None:
        return
    notify(
        session,
        event="meeting.changed",
        ref=f"meeting.changed:{meeting.id}:{meeting.last_seq}",
        user_ids=_people(session, meeting.id, actor_id),
        params=_params(meeting, changes=changes),
        link=f"/meetings/{meeting.id}",
    )
