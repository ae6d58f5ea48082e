"""A new notification address is used only once its owner confirmed it from the link mailed to it.

- `request` (from services.set_preferences, after the current password): ends the user's pending change (a newer
  request replaces the older: outcome "replaced"), records the new one (`notification_address_change`, expiring
  after TTL), audits `user.email_change_requested` and notifies `account.email_confirm` (contract.notify: the
  outbox's notify job, then the usual notification_mail queue), a security notice addressed to the NEW address:
  the only mail that address gets before it is confirmed. Everything else still goes to the profile's address.
- `mint` (from services.claim_due, when that mail is about to be sent): 32 random bytes, URL-safe; only their
  SHA-256 is stored. The queued body holds TOKEN where the link's token goes, so the raw token is never at rest:
  it exists in the mail being sent and nowhere else. A retried send mints a new token (only the last mail's link
  works); a mail whose change ended or expired is dropped unsent.
- `by_token`: the confirmation page (GET, which changes nothing: mail scanners follow links) and the confirmation
  (POST, services.confirm_email_change). The signed-in owner of the change only: the token proves the mailbox,
  the session proves the account. So the owner of a mistyped address, who receives the link, cannot direct
  someone's notifications to himself, and a token read from a log or by a mail scanner is useless alone.
  An unknown token and another user's token get the same 404; a used, cancelled, replaced or expired one a 410.
- On confirmation (`changed`) the address changes, `user.email_changed` is audited and the old address told
  (account.email_changed), as when an address is removed (that needs no confirmation: nothing is sent to it).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import as_utc, iso
from core.errors import DomainError, NotFound, RateLimited
from ledger.chain import append as audit_append
from notifications import contract
from notifications.models import AddressChange

TTL = timedelta(hours=24)
PER_DAY = 5  # requests (each one mails an address the user typed) per user and 24 hours
KEEP = timedelta(days=30)  # ended rows answer 410 for a month, then a used link is simply unknown (404)
CONFIRM = "account.email_confirm"
TOKEN = "<token>"  # where the token goes in a queued body: '<' and '>' are in no address (services.EMAIL)
PATH = "/notifications/email/confirm/"
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class LinkGone(DomainError):
    """A confirmation link that worked once, or could have: used, cancelled, replaced or expired."""

    code = "gone"
    status = 410


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lock(session: Session, user_id: int) -> None:
    """One writer of a user's address changes at a time (the user's row, FOR UPDATE; SQLite's BEGIN IMMEDIATE
    already serialises): two requests at once would otherwise both find none open and both insert one, and a
    cancellation could overwrite a confirmation that committed meanwhile."""
    session.exec(select(User.id).where(User.id == user_id).with_for_update()).first()


def _open(session: Session, user_id: int) -> AddressChange | None:
    return session.exec(
        select(AddressChange).where(AddressChange.user_id == user_id, col(AddressChange.ended_at).is_(None))
    ).first()


def pending(session: Session, user_id: int, now: datetime) -> AddressChange | None:
    """The user's change awaiting confirmation (not ended, not expired)."""
    row = _open(session, user_id)
    return row if row is not None and as_utc(row.expires_at) > now else None


def shown(session: Session, user_id: int, now: datetime) -> dict[str, str | None]:
    row = pending(session, user_id, now)
    return {"pending_email": row.new_email if row else None, "pending_expires_at": iso(row.expires_at) if row else None}


def end(session: Session, user_id: int, outcome: str, now: datetime) -> AddressChange | None:
    """Ends the user's open change (an expired one too), if any: outcome replaced | removed | cancelled."""
    lock(session, user_id)
    row = _open(session, user_id)
    if row is not None:
        row.ended_at, row.outcome = now, outcome
        session.add(row)
        session.flush()  # before a new row: one open change per user (a partial unique index)
    return row


def request(session: Session, actor: Actor, new_email: str, now: datetime) -> AddressChange:
    lock(session, actor.id)
    since = now - timedelta(days=1)
    recent = session.exec(
        select(func.count(), func.min(AddressChange.created_at)).where(
            AddressChange.user_id == actor.id, AddressChange.created_at > since
        )
    ).one()
    if recent[0] >= PER_DAY:
        wait = int((as_utc(recent[1]) + timedelta(days=1) - now).total_seconds()) + 1
        raise RateLimited(
            "Đã yêu cầu đổi địa chỉ thư quá nhiều lần trong 24 giờ; hãy dùng thư xác nhận đã nhận hoặc thử lại sau.",
            retry_after=max(wait, 1),
        )
    session.execute(
        delete(AddressChange).where(col(AddressChange.user_id) == actor.id, col(AddressChange.created_at) < now - KEEP)
    )
    end(session, actor.id, "replaced", now)
    row = AddressChange(user_id=actor.id, new_email=new_email, created_at=now, expires_at=now + TTL)
    session.add(row)
    session.flush()
    audit_append(
        session,
        type="user.email_change_requested",
        data={"user_id": actor.id, "username": actor.username, "new_email": new_email, "change_id": row.id},
        actor_id=actor.id,
        summary=f"{actor.username} yêu cầu nhận thông báo tại {new_email} (chờ xác nhận)"[:500],
    )
    contract.notify(
        session,
        event=CONFIRM,
        ref=f"{CONFIRM}:{row.id}",
        user_ids=[actor.id],
        params={"new_email": new_email, "expires_at": iso(row.expires_at), "change_id": row.id},
        link="/notifications",
    )
    return row


def mint(session: Session, change_id: int, to_addr: str, now: datetime) -> str | None:
    """A fresh token for the change's mail about to be sent to `to_addr` (None: nothing to confirm any more)."""
    row = session.get(AddressChange, change_id, with_for_update=True)
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= now or row.new_email != to_addr:
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = digest(token)
    session.add(row)
    return token


def by_token(session: Session, actor: Actor, token: str, now: datetime, for_write: bool = False) -> AddressChange:
    row = None
    if _SHAPE.match(token) and not actor.is_display:
        if for_write:
            lock(session, actor.id)  # only the actor's own change is ever found
        q = select(AddressChange).where(AddressChange.token_hash == digest(token))
        row = session.exec(q).first()
    if row is None or row.user_id != actor.id:
        raise NotFound("Liên kết xác nhận không đúng, hoặc không phải của tài khoản đang đăng nhập.")
    if row.outcome == "confirmed":
        raise LinkGone("Địa chỉ này đã được xác nhận; liên kết xác nhận chỉ dùng được một lần.")
    if row.ended_at is not None:
        raise LinkGone(
            "Yêu cầu đổi địa chỉ này đã bị hủy hoặc đã được thay bằng yêu cầu mới hơn; hãy dùng thư xác nhận mới nhất."
        )
    if as_utc(row.expires_at) <= now:
        raise LinkGone("Liên kết xác nhận đã hết hạn; hãy yêu cầu đổi địa chỉ lại.")
    return row


def masked(address: str) -> str:
    """'b***@mof.gov.vn': enough for the owner to recognise an address, not to hand it to whoever reads the old
    mailbox."""
    local_part, _, domain = address.partition("@")
    return f"{local_part[:1]}***@{domain}" if domain else ""


def changed(session: Session, actor: Actor, old: str, new: str, now: datetime) -> None:
    audit_append(
        session,
        type="user.email_changed",
        data={"user_id": actor.id, "username": actor.username, "old_email": old, "new_email": new},
        actor_id=actor.id,
        summary=f"Đổi địa chỉ thư nhận thông báo của {actor.username}: {old or '(chưa có)'} → {new or '(bỏ)'}"[:500],
    )
    contract.notify(
        session,
        event="account.email_changed",
        ref=f"account.email_changed:{actor.id}:{uuid.uuid4().hex[:12]}",
        user_ids=[actor.id],
        params={"at": iso(now), "old_email": old, "new_email": masked(new)},
        link="/notifications",
    )


def cancelled(session: Session, actor: Actor, row: AddressChange) -> None:
    audit_append(
        session,
        type="user.email_change_cancelled",
        data={"user_id": actor.id, "username": actor.username, "new_email": row.new_email, "change_id": row.id},
        actor_id=actor.id,
        summary=f"{actor.username} hủy yêu cầu nhận thông báo tại {row.new_email}"[:500],
    )
