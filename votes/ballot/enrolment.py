"""Trustee keys: a key holder's X25519 key, made on their tablet and sealed there with a trustee passphrase
(or, legacy, made here and sealed with the account password), its replacement rules and the holder's own status
(docs/ballot-spec.md §7, docs/ballot-threat-model.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from accounts.models import User
from accounts import passwords
from core.actor import Actor
from core.errors import Conflict, Forbidden, ValidationFailed
from votes.ballot import trustee_keys
from votes.ballot.custody import waiting_for
from votes.models import Sealing, TrusteeKey


class KeyInUse(Conflict):
    """The caller's current trustee key is still needed (a vote waits for its share, or a ceremony of a meeting
    not over names it): replacing it would leave those without this holder's share."""

    code = "trustee_key_in_use"


def _replaceable(session: Session, actor_id: int, *, sealing: Sealing) -> TrusteeKey | None:
    """The caller's key row, if any, once it may be replaced by a key sealed `sealing`. A lost key may always be;
    a live key may not while votes or ceremonies need it, nor (a downgrade) a passphrase key by a server-made one."""
    row = session.get(TrusteeKey, actor_id)
    if row is None or row.lost_at is not None:
        return row
    if row.sealing == Sealing.passphrase and sealing != Sealing.passphrase:
        raise Conflict(
            "Khóa kiểm phiếu của bạn được tạo trên máy tính bảng và bảo vệ bằng cụm mật khẩu riêng: "
            "máy chủ không thay nó bằng một khóa bảo vệ bằng mật khẩu đăng nhập."
        )
    waiting = waiting_for(session, actor_id)
    if waiting["pending_votes"] or waiting["ceremonies"]:
        raise KeyInUse(
            "Chưa thay được khóa kiểm phiếu: khóa hiện tại vẫn cần cho các biểu quyết kín chưa giải mã "
            "hoặc lễ tạo khóa của cuộc họp chưa kết thúc.",
            details=waiting,
        )
    return row


def _store(session: Session, actor_id: int, row: TrusteeKey | None, public: str, sealed: str, sealing: Sealing) -> None:
    row = row or TrusteeKey(user_id=actor_id, public_key=public, sealed=sealed)
    row.public_key, row.sealed, row.lost_at, row.sealing = public, sealed, None, sealing.value
    session.add(row)


@dataclass(frozen=True)
class MadeKey:
    """A legacy key drawn and sealed with the account password (make_key, outside any transaction), and the
    password hash it was checked against."""

    checked_hash: str
    public_key: str
    sealed: str


def enrol_precheck(*, session: Session, user_id: int) -> str | None:
    """Before the (counted) password check of a legacy enrolment: refused now if the key may not be replaced
    (no guess is then counted); the password hash to check against (None: no such user)."""
    _replaceable(session, user_id, sealing=Sealing.account_password)
    user = session.get(User, user_id)
    return user.password_hash if user else None


def make_key(password_hash: str | None, user_id: int, password: str) -> MadeKey:
    """Checks the account password (Forbidden when wrong) and draws the key sealed with it: two slow hashes, in
    a worker thread through accounts/passwords.py `counted` (votes/routes.py), never inside a transaction."""
    check = passwords.checked(password_hash, password)
    public, sealed = trustee_keys.new_key(user_id, password)
    assert check.checked_hash is not None  # a right password has a stored hash
    return MadeKey(check.checked_hash, public, sealed)


def enrol_trustee(*, session: Session, actor: Actor, made: MadeKey) -> dict[str, Any]:
    """LEGACY (kept for API clients and scripts; the tablet uses enrol_trustee_key): create (or replace) the
    caller's trustee key made by the server (make_key), sealed with their account password. The server then
    holds the secret half in clear for a moment and sees the password: docs/ballot-threat-model.md. Refused if
    the password changed since it was checked (the key would be sealed with the former one)."""
    user = session.get(User, actor.id)
    if user is None or user.password_hash != made.checked_hash:
        raise Forbidden("Mật khẩu không đúng.")
    row = _replaceable(session, actor.id, sealing=Sealing.account_password)
    _store(session, actor.id, row, made.public_key, made.sealed, Sealing.account_password)
    return {"user_id": actor.id, "public_key": made.public_key, "sealing": Sealing.account_password.value}


def enrol_trustee_key(*, session: Session, actor: Actor, public_key: str, sealed_key: str) -> dict[str, Any]:
    """Record a trustee key drawn on the caller's tablet: its public half and its secret half sealed there with
    a trustee passphrase the server never sees (spec §7). Only the form is checked here (the server cannot open
    the seal); the tablet opened its own seal before sending it."""
    trustee_keys.check_public_key(public_key)
    trustee_keys.check_sealed(sealed_key)
    taken = session.exec(
        select(TrusteeKey.user_id).where(TrusteeKey.public_key == public_key, TrusteeKey.user_id != actor.id)
    ).first()
    if taken is not None:  # a share sealed to it would open for someone else
        raise ValidationFailed(
            "Khóa công khai này đã thuộc về người khác; hãy tạo khóa mới trên máy tính bảng.",
            details={"field": "public_key"},
        )
    row = _replaceable(session, actor.id, sealing=Sealing.passphrase)
    _store(session, actor.id, row, public_key, sealed_key, Sealing.passphrase)
    return {"user_id": actor.id, "public_key": public_key, "sealing": Sealing.passphrase.value}


def trustee_status(*, session: Session, actor: Actor) -> dict[str, Any]:
    """The caller's own key: the public half, and the secret half still sealed when it is sealed with a trustee
    passphrase (only their device, knowing it, can open it: the key ceremony and the decryption step happen
    there). A legacy key's seal (`sealed` None here) is an offline test of the login password: it is released
    only to whoever proves the password (legacy_sealed, counted: POST /api/me/trustee-key/sealed). `sealing`
    says which of the two opens it. `lost`: an administrator reset the password of a key sealed with it; the
    key opens only with the one before (votes/ballot/custody.py)."""
    row = session.get(TrusteeKey, actor.id)
    return {
        "user_id": actor.id,
        "enrolled": row is not None and row.lost_at is None,
        "lost": row is not None and row.lost_at is not None,
        "public_key": row.public_key if row else None,
        "sealed": row.sealed if row and row.sealing == Sealing.passphrase else None,
        "sealing": row.sealing if row else None,
    }


def legacy_sealed(*, session: Session, user_id: int) -> dict[str, Any]:
    """The caller's legacy key (sealed with the account password, or the one before an administrator's reset),
    before the counted check that releases it (trustee_keys.check_opens). A passphrase key is not released here:
    its passphrase must never be sent (GET /api/me/trustee-key gives its seal)."""
    row = session.get(TrusteeKey, user_id)
    if row is None:
        raise Conflict("Bạn chưa có khóa kiểm phiếu.")
    if row.sealing == Sealing.passphrase:
        raise Conflict(
            "Khóa kiểm phiếu của bạn được bảo vệ bằng cụm mật khẩu riêng trên máy tính bảng: "
            "không gửi cụm mật khẩu ấy lên máy chủ."
        )
    return {
        "user_id": user_id,
        "enrolled": row.lost_at is None,
        "lost": row.lost_at is not None,
        "public_key": row.public_key,
        "sealed": row.sealed,
        "sealing": row.sealing,
    }
