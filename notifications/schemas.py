"""Request and answer shapes of /api/notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import Flag, FormFlag, FormInt, Id, Line

Event = Literal[
    "poll.sent",
    "poll.reminder",
    "poll.result",
    "meeting.published",
    "meeting.changed",
    "notice.issued",
    "task.assigned",
    "task.overdue",
]


class NotificationQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: FormInt(1, 200) = 50  # type: ignore[valid-type]
    unread: FormFlag = False


class NotificationPublic(BaseModel):
    id: int
    event: str
    subject: str
    body: str
    link: str | None
    created_at: str
    read_at: str | None
    read: bool


class NotificationList(BaseModel):
    items: list[NotificationPublic]
    unread: int


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[Id] | None = Field(default=None, max_length=500)
    all: Flag = False


class Unread(BaseModel):
    unread: int


class EventChoice(BaseModel):
    event: str
    email: bool


class Preferences(BaseModel):
    email: str | None
    lang: Literal["vi", "en"]
    events: list[EventChoice]


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line | None = Field(default=None, max_length=254, description="'' removes the address")
    lang: Literal["vi", "en"] | None = None
    email_events: list[Event] | None = Field(
        default=None, max_length=20, description="the events that also come by e-mail"
    )
