"""Extension point: other domains react to a password change inside the same transaction (a key sealed with the
password must follow it). Registered from app/domains.py.

A hook gets (session, user_id, old, new): `old` is the password the user typed to change it, None for an
administrator's reset (the old one unknown). It returns what the administrator must be told (merged into the
PATCH answer and the audit entry), or None.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session

PasswordHook = Callable[[Session, int, "str | None", str], "dict[str, Any] | None"]
_ON_PASSWORD: dict[str, PasswordHook] = {}


def on_password_changed(name: str, hook: PasswordHook) -> None:
    _ON_PASSWORD[name] = hook


def password_changed(session: Session, user_id: int, old: str | None, new: str) -> dict[str, Any]:
    told: dict[str, Any] = {}
    for hook in _ON_PASSWORD.values():
        told.update(hook(session, user_id, old, new) or {})
    return told
