"""Display tokens: a secret that lets the hall's big screen follow one meeting without a user login.
Only the SHA-256 of the token is stored (a leaked database opens no screen)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class DisplayToken(SQLModel, table=True):
    __tablename__ = "display_token"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # Fixed when the link is made (meetings/display_rules.py: valid_until): the end of the organisation's day of
    # the meeting's scheduled date, or of the day it was made if later. A session under way may outlast it.
    valid_until: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The creator's credential epoch when the link was made (accounts/models.py User.credential_epoch): a later
    # deactivation, change of global role or password ends the link for good.
    creator_epoch: int = 0
