from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.actor import GlobalRole as GlobalRole  # defined beside Actor (core), re-exported for the account modules
from core.clock import utcnow


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=64)
    full_name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)  # chức vụ
    unit: str = Field(default="", max_length=200)  # cơ quan / đơn vị
    role: GlobalRole = Field(default=GlobalRole.member)
    password_hash: str
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    # Bumped (accounts/services.py: end_credentials) by a password change or reset, a deactivation and a change of
    # global role: what was bound to the account's old state stops working, for good (device cookies,
    # accounts/devices.py; the hall-display links the user made, meetings/display_rules.py).
    credential_epoch: int = 0


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"
    # SHA-256 of the cookie value: a leaked database does not hand out live sessions.
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
