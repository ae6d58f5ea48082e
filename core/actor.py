"""The acting user as services see it: an immutable value, safe to hand to a worker thread."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class GlobalRole(str, Enum):
    """A user's role across meetings (the `user.role` column: accounts/models.py)."""

    admin = "admin"  # Quản trị
    secretariat = "secretariat"  # Văn phòng / Thư ký
    member = "member"  # Thành viên Chính phủ
    guest = "guest"  # Khách mời


class UserRow(Protocol):
    """What Actor.of reads of a user row (accounts.models.User; core cannot import the accounts package)."""

    @property
    def id(self) -> int | None: ...
    @property
    def username(self) -> str: ...
    @property
    def full_name(self) -> str: ...
    @property
    def role(self) -> GlobalRole: ...


@dataclass(frozen=True, slots=True)  # slots: one per live socket, no __dict__ each
class Actor:
    id: int
    username: str
    full_name: str
    role: GlobalRole
    # Set for a room display (màn hình phòng họp) opened with a display token: it may read that one meeting
    # and do nothing else. Such an actor is no user (id 0), is never staff and is nobody's participant.
    display_meeting_id: int | None = None

    @classmethod
    def of(cls, user: UserRow) -> "Actor":
        assert user.id is not None
        return cls(id=user.id, username=user.username, full_name=user.full_name, role=GlobalRole(user.role))

    @classmethod
    def display(cls, meeting_id: int, token_id: int) -> "Actor":
        return cls(
            id=0,
            username=f"display:{token_id}",
            full_name="Màn hình phòng họp",
            role=GlobalRole.guest,
            display_meeting_id=meeting_id,
        )

    @property
    def is_display(self) -> bool:
        return self.display_meeting_id is not None

    @property
    def is_staff(self) -> bool:
        """Admin and secretariat prepare and run any meeting."""
        return self.role in (GlobalRole.admin, GlobalRole.secretariat)
