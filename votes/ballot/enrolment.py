"""Trustee keys: a key holder's X25519 key, made on their tablet and sealed there with a trustee passphrase
(or, legacy, made here and sealed with the account password), its replacement rules and the holder's own status
(docs/ballot-spec.md §7, docs/ballot-threat-model.md)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from accounts.models import User
from accounts.passwords import verify_password
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


def enrol_trustee(*, session: Session, actor: Actor, password: str) -> dict[str, Any]:
    """LEGACY (kept for API clients and scripts; the tablet uses enrol_trustee_key): create (or replace) the
    caller's trustee key here, sealed with their account password (checked first). The server then holds the
    secret half in clear for a moment and sees the password: docs/ballot-threat-model.md."""
    user = session.get(User, actor.id)
    if user is None or not verify_password(user.password_hash, password):
        raise Forbidden("Mật khẩu không đúng.")
    row = _replaceable(session, actor.id, sealing=Sealing.account_password)
    public, sealed = trustee_keys.new_key(actor.id, password)
    _store(session, actor.id, row, public, sealed, Sealing.account_password)
    return {"user_id": actor.id, "public_key": public, "sealing": Sealing.account_password.value}


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
    """The caller's own key: the public half, and the secret half still sealed (only their device, knowing the
    passphrase or, legacy, the password, can open it: the key ceremony and the decryption step happen there).
    `sealing` says which of the two opens it. `lost`: an administrator reset the password of a key sealed with
    it; the key opens only with the one before (votes/ballot/custody.py)."""
    row = session.get(TrusteeKey, actor.id)
    return {
        "user_id": actor.id,
        "enrolled": row is not None and row.lost_at is None,
        "lost": row is not None and row.lost_at is not None,
        "public_key": row.public_key if row else None,
        "sealed": row.sealed if row else None,
        "sealing": row.sealing if row else None,
    }
