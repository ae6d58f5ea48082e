"""Request and answer shapes of /api/notifications."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import Flag, FormFlag, FormInt, Id, Line, Secret

# The events a user may choose to get by e-mail: notifications/texts.py EVENTS, the same list
# (tests/test_mail_address_change.py checks it: the page sends every event it shows).
Event = Literal[
    "poll.sent",
    "poll.reminder",
    "poll.result",
    "poll.submitted",
    "poll.extended",
    "poll.withdrawn",
    "poll.closed",
    "poll.report_due",
    "poll.report_signed",
    "meeting.published",
    "meeting.changed",
    "notice.issued",
    "notice.submitted",
    "task.extended",
    "task.reassigned",
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
    email: str | None = Field(description="where notifications are mailed now")
    pending_email: str | None = Field(description="a new address awaiting its confirmation link (chờ xác nhận)")
    pending_expires_at: str | None = Field(description="when that link expires (ISO UTC)")
    lang: Literal["vi", "en"]
    events: list[EventChoice]


class EmailConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(
        min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$", description="the token of the mailed link"
    )


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Line | None = Field(
        default=None,
        max_length=254,
        description="a new address is only requested: mailed a link, used once confirmed; '' removes the address",
    )
    password: Secret | None = Field(
        default=None, min_length=1, max_length=256, description="the current password: required to change the address"
    )
    lang: Literal["vi", "en"] | None = None
    email_events: list[Event] | None = Field(
        default=None, max_length=20, description="the events that also come by e-mail"
    )
