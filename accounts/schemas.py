from __future__ import annotations

from pydantic import Field
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # SQLModel's own config type (a pydantic ConfigDict with `table`)

from accounts.models import GlobalRole
from core.types import Flag, Line, Name, Secret


class LoginRequest(SQLModel):
    model_config = SQLModelConfig(extra="forbid")
    username: Line = Field(min_length=1, max_length=64)
    password: Secret = Field(min_length=1, max_length=256)


class UserCreate(SQLModel):
    model_config = SQLModelConfig(extra="forbid")
    username: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9_.-]+$", strict=True)  # ASCII: no look-alike
    full_name: Name = Field(min_length=1, max_length=200)
    title: Name = Field(default="", max_length=200)
    unit: Name = Field(default="", max_length=200)
    role: GlobalRole = GlobalRole.member
    password: Secret = Field(min_length=1, max_length=256)
    # Another account has the same full name (accounts/namesakes.py answers 409 same_name): it is another person.
    same_name_confirmed: Flag = False


class UserUpdate(SQLModel):
    """PATCH by the administrator: an absent field stays, null is refused. A new role, a locked account or a password
    reset ends the user's sessions (their tablets sign in again)."""

    model_config = SQLModelConfig(extra="forbid")
    role: GlobalRole | None = None
    is_active: bool | None = Field(default=None, strict=True)
    password: Secret | None = Field(default=None, min_length=1, max_length=256)


class PasswordChange(SQLModel):
    """A user's own new password, with the current one: their other sessions end."""

    model_config = SQLModelConfig(extra="forbid")
    current: Secret = Field(min_length=1, max_length=256)
    new: Secret = Field(min_length=1, max_length=256)


class UserPublic(SQLModel):
    id: int
    username: str
    full_name: str
    title: str
    unit: str
    role: GlobalRole


class AccountPublic(UserPublic):
    """An account as the administrator's page lists it."""

    is_active: bool
    me: bool  # the administrator's own account (never locked or demoted by themself)


class SessionPublic(SQLModel):
    """The answer of login and GET /api/me."""

    user: UserPublic
    csrf_token: str | None
