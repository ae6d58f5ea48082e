"""Extension point: what another domain keeps sealed with the account password follows it (a legacy trustee key,
votes/ballot/custody.py). Registered from app/domains.py.

No slow step runs inside a write transaction (argon2id holds SQLite's write lock ~100 ms and every other writer
waits behind it: docs/architecture.md, "Units of work"). So a follower is four functions:

- `read(session, user_id)`: what is sealed with the password now, in a short read transaction before the change
  (None: nothing follows this password). It must be comparable with `==`.
- `reseal(state, user_id, old, new)`: the slow part of a password change, in a worker thread with no transaction
  open: open `state` with the old password, seal it with the new one (accounts/passwords.py `off_loop`).
- `store(session, user_id, resealed)`: in the password change's write, once `read` still answers what was read
  before (else `SealMoved`, 409, and nothing is written: the password stays as it was); `resealed` is what
  `reseal` made.
- `reset(session, user_id)`: an administrator's reset, in its write. The old password is unknown, so nothing can
  be opened: cheap by nature. Answers what the administrator must be told (merged into the PATCH answer and the
  audit entry), or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlmodel import Session

from core.errors import Conflict


@dataclass(frozen=True)
class PasswordFollower:
    read: Callable[[Session, int], Any]
    reseal: Callable[[Any, int, str, str], Any]
    store: Callable[[Session, int, Any], None]
    reset: Callable[[Session, int], "dict[str, Any] | None"]


class SealMoved(Conflict):
    """Something sealed with the password changed between the read before a password change and its write (e.g. the
    holder replaced their trustee key on another tablet meanwhile): what was re-sealed is stale, so nothing is
    written; the password is unchanged and the change may simply be made again."""

    code = "password_seal_moved"


@dataclass(frozen=True)
class Resealed:
    """What a password change prepared outside its write: per follower, the state read and what it became."""

    user_id: int
    items: dict[str, tuple[Any, Any]] = field(default_factory=dict)


_FOLLOWERS: dict[str, PasswordFollower] = {}


def on_password_changed(name: str, follower: PasswordFollower) -> None:
    _FOLLOWERS[name] = follower


def read_sealed(*, session: Session, user_id: int) -> dict[str, Any]:
    """Step 1 of a password change (a read transaction): what each follower holds sealed with the password now."""
    return {name: f.read(session, user_id) for name, f in _FOLLOWERS.items()}


def reseal(states: dict[str, Any], user_id: int, old: str, new: str) -> Resealed:
    """Step 2 (a worker thread, no transaction): each state opened with `old` and sealed with `new`."""
    return Resealed(
        user_id,
        {
            name: (state, None if state is None else _FOLLOWERS[name].reseal(state, user_id, old, new))
            for name, state in states.items()
            if name in _FOLLOWERS
        },
    )


def store(session: Session, user_id: int, resealed: Resealed | None) -> None:
    """Step 3, in the password change's write: SealMoved unless every follower still holds what step 1 read (None
    or a Resealed for another user counts as having read nothing), then each stores what step 2 made."""
    items = resealed.items if resealed is not None and resealed.user_id == user_id else {}
    for name, f in _FOLLOWERS.items():
        state, made = items.get(name, (None, None))
        if f.read(session, user_id) != state:
            raise SealMoved(
                "Khóa được niêm phong bằng mật khẩu của bạn vừa thay đổi trong lúc đổi mật khẩu; "
                "mật khẩu chưa được đổi, hãy thử lại."
            )
        if state is not None:
            f.store(session, user_id, made)


def reset(session: Session, user_id: int) -> dict[str, Any]:
    """An administrator's reset, in its write: what each follower did (e.g. a trustee key marked lost)."""
    told: dict[str, Any] = {}
    for f in _FOLLOWERS.values():
        told.update(f.reset(session, user_id) or {})
    return told
