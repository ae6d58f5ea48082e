"""A request to speak (đăng ký phát biểu) on one agenda item, and the speech it may become."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class SpeakerState(str, Enum):
    waiting = "waiting"  # in the queue (đang chờ)
    speaking = "speaking"  # has the floor (đang phát biểu)
    done = "done"  # spoke (đã phát biểu)
    withdrawn = "withdrawn"  # left the queue before speaking (đã rút đăng ký)


class SpeakerRequest(SQLModel, table=True):
    __tablename__ = "speaker_request"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    state: SpeakerState = SpeakerState.waiting
    # True when the chair gave the floor without a request from the queue.
    direct: bool = False
    # Name of the deputy (đại biểu dự thay) speaking for the member, taken when the request was made.
    deputy_name: str = Field(default="", max_length=200)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # The limit in force when the floor was given (later edits of the item do not move a running timer).
    limit_seconds: int | None = None
    granted_by: int | None = Field(default=None, foreign_key="user.id")
    ended_by: int | None = Field(default=None, foreign_key="user.id")
