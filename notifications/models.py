"""Tables of notifications (thông báo).

- `notification`: one row per recipient and notification, what the bell counts (unread: read_at is null). The
  text is not stored: it is rendered from `event` + `params` in the reader's language (notifications/texts.py).
  Unique (user_id, key): the producer's outbox ref, so a job handled twice notifies once.
- `notification_mail`: one e-mail per notification that its recipient wants by e-mail, rendered in their
  language when it was created. It stays until sent: `attempts`, `next_attempt_at` and `last_error` say how the
  sending goes; `claimed_until` is a short lease so two nodes do not send the same mail at once.
- `notification_profile`: a user's e-mail address, language of their e-mails, and the events they want by
  e-mail (null: every event). A user without a row gets in-product notifications only.
- `notification_address_change`: a new address waiting for its owner to confirm it from the link mailed to it
  (notifications/address.py). Only the SHA-256 of the link's token is stored, set when the mail is sent; at most
  one pending (ended_at null) per user, a partial unique index; ended rows say how (`outcome`) so that a used or
  replaced link answers 410, not 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "key"), Index("ix_notification_user_unread", "user_id", "read_at"))
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    key: str = Field(max_length=64)  # the outbox job's ref: one notification per recipient and ref
    event: str = Field(max_length=32)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    link: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    read_at: datetime | None = Field(default=None, sa_column=_ts(True))


class NotificationMail(SQLModel, table=True):
    __tablename__ = "notification_mail"
    __table_args__ = (Index("ix_notification_mail_due", "sent_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id", unique=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=400)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    claimed_until: datetime | None = Field(default=None, sa_column=_ts(True))
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_column=_ts(True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class NotificationProfile(SQLModel, table=True):
    __tablename__ = "notification_profile"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    email: str = Field(default="", max_length=254)
    lang: str = Field(default="vi", max_length=2)
    email_events: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AddressChange(SQLModel, table=True):
    __tablename__ = "notification_address_change"
    __table_args__ = (
        Index(
            "uq_notification_address_change_pending",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_notification_address_change_user_created", "user_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    new_email: str = Field(max_length=254)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)  # hex SHA-256; none until mailed
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(True))
    outcome: str = Field(default="", max_length=16)  # confirmed | cancelled | replaced | removed
