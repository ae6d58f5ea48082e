"""The administrator's list of accounts (the /users page): every account, locked ones too, with its state.
Changes go through accounts/services.py (create_user, update_user)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from accounts.models import GlobalRole, User
from core.actor import Actor
from core.errors import Forbidden

_ROLE_ORDER = {GlobalRole.admin: 0, GlobalRole.secretariat: 1, GlobalRole.member: 2, GlobalRole.guest: 3}


def require_admin(actor: Actor) -> None:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được quản lý tài khoản.")


def list_accounts(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    require_admin(actor)
    users = session.exec(select(User).order_by(col(User.username))).all()
    rows = sorted(users, key=lambda u: (not u.is_active, _ROLE_ORDER[GlobalRole(u.role)], u.username))
    return [
        {
            "id": u.id,
            "username": u.username,
            "full_name": u.full_name,
            "title": u.title,
            "unit": u.unit,
            "role": GlobalRole(u.role).value,
            "is_active": bool(u.is_active),
            "me": u.id == actor.id,
        }
        for u in rows
    ]
