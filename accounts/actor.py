"""The acting user as services see it: an immutable value, safe to hand to a worker thread."""
from __future__ import annotations

from dataclasses import dataclass

from accounts.models import GlobalRole, User


@dataclass(frozen=True)
class Actor:
    id: int
    username: str
    full_name: str
    role: GlobalRole

    @classmethod
    def of(cls, user: User) -> "Actor":
        assert user.id is not None
        return cls(id=user.id, username=user.username, full_name=user.full_name, role=GlobalRole(user.role))

    @property
    def is_staff(self) -> bool:
        """Admin and secretariat prepare and run any meeting."""
        return self.role in (GlobalRole.admin, GlobalRole.secretariat)
