"""The per-meeting event log (Zulip-style): every change is a row with the next 'seq', written in the same
transaction as the change; the envelope is queued on the session and delivered by the edge after COMMIT.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, update
from sqlmodel import Field, Session, SQLModel, select

from audit.chain import append as audit_append
from core.clock import iso, utcnow
from meetings.models import Meeting

_OUTBOX = "ecabinet_outbox"


class MeetingEvent(SQLModel, table=True):
    __tablename__ = "meeting_event"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    seq: int
    type: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def envelope(event: MeetingEvent) -> dict[str, Any]:
    return {"meeting_id": event.meeting_id, "seq": event.seq, "type": event.type, "data": event.data, "at": iso(event.at)}


def record(session: Session, *, meeting_id: int, type: str, data: dict[str, Any], actor_id: int | None) -> dict[str, Any]:
    """Append an event with the meeting's next seq. The UPDATE takes the row lock on PostgreSQL (and SQLite
    writers are serialised by BEGIN IMMEDIATE), so seq is gap-free and unique under concurrency."""
    seq = session.execute(
        update(Meeting).where(Meeting.id == meeting_id).values(last_seq=Meeting.last_seq + 1).returning(Meeting.last_seq),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    meeting = session.get(Meeting, meeting_id)
    if meeting is not None:
        session.expire(meeting, ["last_seq"])
    event = MeetingEvent(meeting_id=meeting_id, seq=seq, type=type, data=data, actor_id=actor_id)
    session.add(event)
    # Every meeting change is also a link in the hash-chained audit log (which keeps a hash, not a copy).
    audit_append(session, type=type, data=data, actor_id=actor_id, meeting_id=meeting_id, event_seq=seq)
    env = envelope(event)
    session.info.setdefault(_OUTBOX, []).append(env)
    return env


def take_outbox(session: Session) -> list[dict[str, Any]]:
    return session.info.pop(_OUTBOX, [])


def events_since(session: Session, *, meeting_id: int, since: int, limit: int) -> list[dict[str, Any]] | None:
    """Events with seq > since, or None when more than `limit` are missing (the client then takes a snapshot)."""
    rows = session.exec(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > since)
        .order_by(MeetingEvent.seq)
        .limit(limit + 1)
    ).all()
    if len(rows) > limit:
        return None
    return [envelope(r) for r in rows]
