"""Accounts: create users, log in and out, resolve a session cookie."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from core.actor import Actor, UserRow
from accounts import hooks, namesakes
from accounts.models import AuthSession, GlobalRole, User
from accounts.passwords import PasswordCheck, check_policy, hash_password
from accounts.schemas import UserCreate, UserPublic, UserUpdate
from ledger.chain import append as audit_append
from core.clock import as_utc, utcnow
from core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from core.i18n import N_
from infra.driver import DriverStatement


def session_key(token: str) -> str:
    """What is stored for a session cookie (and what live sockets of that session are filed under)."""
    return hashlib.sha256(token.encode()).hexdigest()


def public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def may_create_user(*, session: Session, actor: Actor, username: str, data: UserCreate | None = None) -> None:
    """Before a new account's password is checked against the policy and hashed (outside any transaction,
    accounts/routes.py): refused now, cheaply, to whoever may not create it or for a name already taken (or one that
    reads like another, accounts/namesakes.py), so that no hash is made for a request that will be refused.
    create_user checks them again in its write."""
    _may_create(session, actor, username)
    if data is not None:
        namesakes.check_new_account(session, data)


def _may_create(session: Session, actor: Actor | None, username: str) -> None:
    if actor is not None and actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được tạo tài khoản.")
    if session.exec(select(User).where(User.username == username)).first():
        raise Conflict("Tên đăng nhập '{username}' đã tồn tại.", username=username)


def create_user(
    *,
    session: Session,
    actor: Actor | None,
    data: UserCreate,
    min_length: int,
    enforce_policy: bool = True,
    password_hash: str | None = None,
    check_names: bool = True,
) -> UserPublic:
    """The one writer of a username and a full name: every account is made here (the administrator's request,
    `ecabinet createuser`, the demo loader), none is renamed anywhere. actor None means the operator's command line
    (ecabinet createuser / demo loader). `password_hash`: the password checked against the policy and hashed
    beforehand, outside this transaction (the route and the command line: passwords.new_hash; the demo loader: one
    hash for its shared demo password), so no slow hash holds the write lock. Without it (the tests' factories,
    nothing served) the policy is checked and the hash made here.
    Whoever asks, the names and the unit are checked (accounts/namesakes.py, accounts/units.py): a look-alike made
    by the operator's command line is as confusing in the minutes as one made by the administrator, a unit's second
    spelling as wrong on a signed notice. `check_names=False`: the tests' factories only, whose made-up people
    repeat across one test's cabinets (and spell units freely, as records made before the rule); no served path or
    command passes it
    (tests/test_account_name_paths.py)."""
    if actor is not None and actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được tạo tài khoản.")
    if password_hash is None and enforce_policy:
        check_policy(data.password, min_length=min_length, username=data.username, full_name=data.full_name)
    _may_create(session, actor, data.username)
    if check_names:
        namesakes.check_new_account(session, data)
    user = User(
        username=data.username,
        full_name=data.full_name,
        title=data.title,
        unit=data.unit,
        role=data.role,
        password_hash=password_hash or hash_password(data.password),
    )
    session.add(user)
    session.flush()
    audit_append(
        session,
        type="user.created",
        data={"user_id": user.id, "username": user.username, "role": user.role},
        actor_id=actor.id if actor else None,
        summary=f"Tạo tài khoản {user.username} ({user.full_name})",
    )
    return public(user)


@dataclass(frozen=True)
class ResetTarget:
    """Whose password an administrator resets: the names the new password is checked against (the policy)."""

    username: str
    full_name: str


def may_update_user(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> ResetTarget:
    """Before a reset password is checked against the policy and hashed (outside any transaction,
    accounts/routes.py): every refusal of update_user made now, cheaply (not an administrator, a null field, no
    such account, demoting oneself), so that no hash is made for a request that will be refused; update_user
    checks them again in its write."""
    user = _guard_update(session, actor, user_id, data.model_dump(exclude_unset=True))
    return ResetTarget(user.username, user.full_name)


def _guard_update(session: Session, actor: Actor, user_id: int, changes: dict[str, Any]) -> User:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được sửa tài khoản.")
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise ValidationFailed(
            "Không được để trống “{field}”; bỏ trường này nếu không đổi.",
            field=nulls[0],
            details=[{"field": k, "message": N_("không được để trống"), "type": "null"} for k in nulls],
        )
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    demotes = changes.get("role", GlobalRole.admin) != GlobalRole.admin or not changes.get("is_active", True)
    if user.id == actor.id and demotes:
        raise Conflict("Quản trị viên không tự hạ quyền hay tự khóa tài khoản của mình (luôn còn một quản trị viên).")
    return user


def update_user(
    *, session: Session, actor: Actor, user_id: int, data: UserUpdate, new_hash: str | None = None
) -> tuple[UserPublic, list[str], dict[str, Any]]:
    """The administrator changes a user's role, locks or unlocks the account, or resets its password. Answers the
    user, the session keys ended (the edge closes their sockets at once; other nodes' within their recheck) and what
    the reset cost (accounts/hooks.py: e.g. a ballot key holder's key, sealed with the old password, is lost).
    `new_hash`: a reset password (data.password) checked against the policy and hashed beforehand, outside this
    transaction (may_update_user, then passwords.new_hash_off_loop: accounts/routes.py), so no slow hash holds the
    write lock; required with a password."""
    changes = data.model_dump(exclude_unset=True)
    user = _guard_update(session, actor, user_id, changes)
    told: dict[str, Any] = {}
    if "password" in changes:
        if not new_hash:
            raise TypeError("update_user: a reset password comes hashed (new_hash), made outside the transaction")
        user.password_hash = new_hash
        told = hooks.reset(session, user.id or 0)
    ends = "password" in changes or changes.get("role", user.role) != user.role or changes.get("is_active") is False
    user.role = changes.get("role", user.role)
    user.is_active = changes.get("is_active", user.is_active)
    if ends:
        end_credentials(user)
    session.add(user)
    keys = _end_sessions(session, user.id or 0) if ends else []
    audit_append(
        session,
        type="user.updated",
        data={
            "user_id": user.id,
            "username": user.username,
            "role": user.role,
            "is_active": user.is_active,
            "password_reset": "password" in changes,
            **told,
        },
        actor_id=actor.id,
        summary=f"Sửa tài khoản {user.username} ({user.full_name})",
    )
    return public(user), keys, told


def change_password(
    *, session: Session, actor: Actor, check: PasswordCheck, new_hash: str, resealed: hooks.Resealed | None, keep: str
) -> list[str]:
    """The user's own new password; `check`: the current one checked beforehand (passwords.check_off_loop) against
    `stored_hash`; `new_hash`: the new one, checked against the policy and hashed beforehand too (passwords.
    new_hash_off_loop); `resealed`: what is sealed with the password (accounts/hooks.py: a legacy trustee key),
    opened with the current one and sealed with the new one beforehand (hooks.read_sealed, then hooks.reseal in a
    worker thread). No slow hash holds the write lock. Stored only if those seals are still the ones read
    (hooks.SealMoved, 409, otherwise: nothing changes). Their other sessions end (answered, for the edge to close
    their sockets); `keep` (this one) stays."""
    user = session.get(User, actor.id)
    if user is None or not user.is_active:
        raise Unauthenticated("Tài khoản không còn hoạt động.")
    if not (check.ok and check.checked_hash == user.password_hash):
        raise Forbidden("Mật khẩu hiện tại không đúng.")
    user.password_hash = new_hash
    end_credentials(user)
    session.add(user)
    hooks.store(session, actor.id, resealed)
    keys = _end_sessions(session, actor.id, keep=session_key(keep))
    audit_append(
        session,
        type="user.password_changed",
        data={"user_id": user.id, "username": user.username, "sessions_ended": len(keys)},
        actor_id=actor.id,
        summary=f"Đổi mật khẩu tài khoản {user.username}",
    )
    return keys


def confirm_password(session: Session, actor: Actor, check: PasswordCheck | None) -> User:
    """A sensitive change of one's own account (e.g. where the notifications are mailed) asks for the current
    password again: `check` made beforehand like change_password's (None: none was given). The edge counts a
    wrong one against the same budget as the password change (key f"password:{user id}")."""
    user = session.get(User, actor.id)
    if user is None or not user.is_active or actor.is_display:
        raise Unauthenticated("Tài khoản không còn hoạt động.")
    if check is None:
        raise ValidationFailed(
            "Hãy nhập mật khẩu hiện tại để xác nhận thay đổi này.",
            details=[{"field": "password", "message": N_("cần mật khẩu hiện tại"), "type": "missing"}],
        )
    if not (check.ok and check.checked_hash == user.password_hash):
        raise Forbidden("Mật khẩu hiện tại không đúng.")
    return user


def end_credentials(user: User) -> None:
    """What was bound to the account as it was ends for good (its credential epoch moves on): every device cookie
    issued to it (accounts/devices.py) and every hall-display link it made (meetings/display_rules.py). Called
    with the password change, an administrator's reset, a deactivation and a change of global role, in their
    write; a reactivation or a later promotion brings none of them back."""
    user.credential_epoch = (user.credential_epoch or 0) + 1


def credential_epoch(*, session: Session, username: str) -> int | None:
    """The account's credential epoch (None for an unknown name): what a device cookie is bound to."""
    found = session.exec(select(User.credential_epoch).where(User.username == username.strip().lower())).first()
    return None if found is None else int(found)


def _end_sessions(session: Session, user_id: int, keep: str = "") -> list[str]:
    rows = session.exec(select(AuthSession).where(AuthSession.user_id == user_id)).all()
    ended = [row.token_hash for row in rows if row.token_hash != keep]
    if ended:
        session.execute(delete(AuthSession).where(col(AuthSession.token_hash).in_(ended)))
    return ended


def list_users(*, session: Session, actor: Actor) -> list[UserPublic]:
    """Staff pick participants from this list; members have no use for the directory."""
    if not actor.is_staff:
        raise Forbidden("Chỉ Văn phòng và quản trị viên xem được danh bạ tài khoản.")
    users = session.exec(select(User).where(User.is_active == True).order_by(col(User.id))).all()
    return [public(u) for u in users]


def stored_hash(*, session: Session, username: str) -> str | None:
    """The password hash a login checks against (None for an unknown name: a dummy hash is checked instead)."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    return user.password_hash if user else None


def login(
    *,
    session: Session,
    username: str,
    check: PasswordCheck,
    min_length: int,
    demo_mode: bool,
    ttl_hours: int,
    replaces: str | None = None,
) -> tuple[str, str, UserPublic]:
    """Returns (cookie token, csrf token, user). `check`: the password checked beforehand against
    `stored_hash` (passwords.check_off_loop, outside this transaction so no login holds the write lock while
    it hashes); it counts only if that hash is still the user's. One answer for every failure (unknown user,
    wrong password, inactive account, a correct password too short to be accepted outside demo mode): the
    hash is always verified (a dummy one for an unknown user), so neither the message nor the time tells
    them apart. A hash made with older parameters is replaced by `check.new_hash`.
    `replaces`: the session cookie the browser came with; it ends here (a planted session never carries on)."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    ok = check.ok and user is not None and check.checked_hash == user.password_hash
    acceptable = demo_mode or check.length >= min_length  # a short one may only have been set for the demo
    if not (ok and acceptable) or user is None or not user.is_active:
        raise Unauthenticated("Tên đăng nhập hoặc mật khẩu không đúng.")
    assert user.id is not None  # a stored row
    if check.new_hash:
        user.password_hash = check.new_hash
        session.add(user)
    if replaces:
        logout(session=session, token=replaces)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    # Housekeeping: this user's expired sessions go when they log in again.
    session.execute(
        delete(AuthSession).where(col(AuthSession.user_id) == user.id, col(AuthSession.expires_at) < utcnow())
    )
    session.add(
        AuthSession(
            token_hash=session_key(token),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
    )
    return token, csrf, public(user)


def logout(*, session: Session, token: str) -> None:
    row = session.get(AuthSession, session_key(token))
    if row is not None:
        session.delete(row)


# Built once, run with the key bound on the driver's cursor (infra/driver.py): every request and socket that
# carries a cookie runs this one, and the chair's tap waits for it before its write.
_RESOLVE = DriverStatement(
    select_columns(
        col(User.id),
        col(User.username),
        col(User.full_name),
        col(User.role),
        col(User.is_active),
        col(AuthSession.csrf_token),
        col(AuthSession.expires_at),
    )
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.token_hash) == bindparam("key"))
)


@dataclass(frozen=True, slots=True)
class SessionUser:
    """The user a session cookie resolves to (core.actor.UserRow)."""

    id: int
    username: str
    full_name: str
    role: GlobalRole


def resolve(*, session: Session | Connection, token: str) -> tuple[UserRow, str] | None:
    """The live session's user (id, username, full name, role) and CSRF token, or None (unknown or expired
    cookie, inactive account). One query, the cookie's session joined to its user; `session` may be a plain
    Core connection (infra/db.py: Database.run_lookup), the lighter path every write of a signed-in user takes."""
    row = _RESOLVE.first(session, key=session_key(token))
    if row is None:
        return None
    user_id, username, full_name, role, is_active, csrf, expires = row
    if not is_active or as_utc(expires) < utcnow():
        return None
    return SessionUser(user_id, username, full_name, GlobalRole(role)), csrf


# The batched form (a burst of tablets asking at once): the user rows as ORM objects, so that what the same read
# asks of them next (the viewer's name and unit on a watermarked page) comes from the session, not the database.
_RESOLVE_MANY = (
    select_columns(User, col(AuthSession.token_hash), col(AuthSession.csrf_token), col(AuthSession.expires_at))
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(col(AuthSession.token_hash).in_(bindparam("keys", expanding=True)))
)


def resolve_many(*, session: Session, tokens: list[str]) -> dict[str, tuple[UserRow, str] | None]:
    """`resolve` for each of `tokens`, in one query (on PostgreSQL, one round trip instead of one per token)."""
    keys = {session_key(token): token for token in tokens}
    now = utcnow()
    found: dict[str, tuple[UserRow, str] | None] = dict.fromkeys(tokens)
    for user, key, csrf, expires in session.execute(_RESOLVE_MANY, {"keys": list(keys)}):
        if user.is_active and as_utc(expires) >= now:
            found[keys[key]] = (user, csrf)
    return found


def get_self(*, session: Session, actor: Actor) -> UserPublic:
    user = session.get(User, actor.id)
    if user is None:
        raise Unauthenticated("Tài khoản không còn tồn tại.")
    return public(user)
