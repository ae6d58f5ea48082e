"""Notification operations: turning a notify job into rows and mails (idempotent), reading the bell, marking
read, and each user's e-mail preferences. Keyword-only, the session first; the caller commits."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from accounts.passwords import PasswordCheck
from accounts.services import confirm_password
from core import outbox
from core.clock import as_utc, iso, utcnow
from core.errors import ValidationFailed
from ledger.chain import append as audit_append
from notifications import contract, texts
from notifications.models import Notification, NotificationMail, NotificationProfile

EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
LANGS = ("vi", "en")


# --- the notify job -----------------------------------------------------------------------------------


def record(
    *, session: Session, ref: str, jobs: list[dict[str, Any]], tz: str, mail: bool, public_url: str = ""
) -> dict[str, Any]:
    """The rows of a notify job (every payload with this ref): one notification per recipient not yet notified
    under this ref, and its e-mail when `mail` (a server is configured) and the recipient wants it. Returns
    {"users": {user_id: unread count}, "mails": n} for the live side."""
    key = ref[:64]
    wanted: dict[int, dict[str, Any]] = {}
    for job in jobs:
        event = str(job.get("event", ""))
        if event not in texts.TEXTS:
            continue  # an unknown event is a producer's bug: nothing to say, never a failing job
        for uid in job.get("user_ids", []):
            if isinstance(uid, int) and uid not in wanted:
                wanted[uid] = job
    if not wanted:
        return {"users": {}, "mails": 0}
    active = set(session.exec(select(User.id).where(col(User.id).in_(wanted), User.is_active)).all())
    done = set(
        session.exec(
            select(Notification.user_id).where(Notification.key == key, col(Notification.user_id).in_(wanted))
        ).all()
    )
    profiles = {
        p.user_id: p
        for p in session.exec(select(NotificationProfile).where(col(NotificationProfile.user_id).in_(wanted)))
    }
    users: dict[int, int] = {}
    mails = 0
    for uid, job in sorted(wanted.items()):
        if uid not in active or uid in done:
            continue
        event, params = job["event"], dict(job.get("params") or {})
        row = Notification(user_id=uid, key=key, event=event, params=params, link=_link(job.get("link")))
        session.add(row)
        session.flush()
        profile = profiles.get(uid)
        to = _address(event, params, profile)
        if mail and to:
            subject, body = texts.render(event, params, profile.lang if profile else "vi", tz)
            session.add(
                NotificationMail(
                    notification_id=row.id or 0,
                    to_addr=to,
                    subject=subject[:400],
                    body=_mail_body(body, row.link, public_url),
                )
            )
            mails += 1
        users[uid] = 0
    session.flush()
    for uid in users:
        users[uid] = _unread(session, uid)
    return {"users": users, "mails": mails}


def _address(event: str, params: dict[str, Any], profile: NotificationProfile | None) -> str:
    """Where the e-mail of a notification goes: the recipient's address when they want this event by e-mail; a
    security notice (texts.ALWAYS) goes whatever the choices, to the address it names (the old one, for a
    changed address: the owner hears of it even when someone else changed it)."""
    if event in texts.ALWAYS:
        to = str(params.get("old_email") or "")
        return to if EMAIL.match(to) else ""
    if profile is None or not profile.email:
        return ""
    return profile.email if profile.email_events is None or event in profile.email_events else ""


def _link(value: Any) -> str:
    """Only a path of this site: a notification never leads elsewhere."""
    text = str(value or "")
    return text[:300] if text.startswith("/") and not text.startswith("//") and "\\" not in text else ""


def _base(public_url: str) -> str:
    """ECABINET_PUBLIC_URL without its trailing slash, when it is an http(s) address (else none)."""
    url = public_url.strip().rstrip("/")
    return url if url.startswith(("https://", "http://")) and " " not in url else ""


def _mail_body(body: str, link: str, public_url: str = "") -> str:
    base = _base(public_url)
    if link and base:
        more = f"\n\nXem chi tiết / Details: {base}{link}"
    elif link:  # no public address configured: the path, to open in the e-Cabinet
        more = f"\n\nXem chi tiết trong hệ thống e-Cabinet, mục: {link}\nDetails: open {link} in the e-Cabinet."
    else:
        more = ""
    return f"{body}{more}\n\n-- \ne-Cabinet (thư tự động, xin đừng trả lời / automatic message, please do not reply)\n"


# --- the bell -----------------------------------------------------------------------------------------


def _unread(session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()


def public(row: Notification, lang: str, tz: str) -> dict[str, Any]:
    subject, body = texts.render(row.event, row.params, lang, tz)
    return {
        "id": row.id,
        "event": row.event,
        "subject": subject,
        "body": body,
        "link": row.link or None,
        "created_at": iso(row.created_at),
        "read_at": iso(row.read_at),
        "read": row.read_at is not None,
    }


def list_mine(
    *, session: Session, actor: Actor, lang: str, tz: str, limit: int = 50, unread_only: bool = False
) -> dict[str, Any]:
    q = select(Notification).where(Notification.user_id == actor.id)
    if unread_only:
        q = q.where(col(Notification.read_at).is_(None))
    rows = session.exec(q.order_by(col(Notification.id).desc()).limit(limit)).all()
    return {"items": [public(r, lang, tz) for r in rows], "unread": _unread(session, actor.id)}


def mark_read(*, session: Session, actor: Actor, ids: list[int] | None, all_: bool) -> dict[str, Any]:
    """The caller's own notifications only: someone else's id is simply not among them."""
    q = update(Notification).where(col(Notification.user_id) == actor.id, col(Notification.read_at).is_(None))
    if not all_:
        if not ids:
            raise ValidationFailed(
                "Hãy chọn thông báo cần đánh dấu đã đọc.", details=[{"field": "ids", "message": "trống"}]
            )
        q = q.where(col(Notification.id).in_(ids))
    changed = cast(
        "CursorResult[Any]",
        session.execute(q.values(read_at=utcnow()), execution_options={"synchronize_session": False}),
    ).rowcount
    if changed:
        outbox.add(session, kind=contract.UNREAD, ref=actor.id)
    return {"unread": _unread(session, actor.id)}


# --- preferences --------------------------------------------------------------------------------------


def get_preferences(*, session: Session, actor: Actor) -> dict[str, Any]:
    p = session.get(NotificationProfile, actor.id) or NotificationProfile(user_id=actor.id)
    chosen = set(texts.EVENTS if p.email_events is None else p.email_events)
    return {
        "email": p.email or None,
        "lang": p.lang,
        "events": [{"event": e, "email": e in chosen} for e in texts.EVENTS],
    }


def set_preferences(
    *,
    session: Session,
    actor: Actor,
    email: str | None,
    lang: str | None,
    email_events: list[str] | None,
    check: PasswordCheck | None = None,
) -> dict[str, Any]:
    """The caller's own preferences. Changing the address (setting, replacing or removing it) takes the current
    password (`check`, made by the edge: accounts.services.confirm_password), is audited, and the old address is
    told (event account.email_changed): a moment with someone's unlocked tablet must not divert their mail."""
    p = session.get(NotificationProfile, actor.id) or NotificationProfile(user_id=actor.id)
    if email is not None:
        if email and not EMAIL.match(email):
            raise ValidationFailed(
                "Địa chỉ thư điện tử không hợp lệ.", details=[{"field": "email", "message": "không hợp lệ"}]
            )
        if email != p.email:
            confirm_password(session, actor, check)
            _address_changed(session, actor, p.email, email)
            p.email = email
    if lang is not None:
        p.lang = lang
    if email_events is not None:
        unknown = sorted(set(email_events) - set(texts.EVENTS))
        if unknown:
            raise ValidationFailed(
                "Loại thông báo không có trong danh sách.",
                details=[{"field": "email_events", "message": ", ".join(unknown)}],
            )
        p.email_events = [e for e in texts.EVENTS if e in email_events]
    p.updated_at = utcnow()
    session.add(p)
    session.flush()
    return get_preferences(session=session, actor=actor)


def masked(address: str) -> str:
    """'b***@mof.gov.vn': enough for the owner to recognise an address, not to hand it to whoever reads the old
    mailbox."""
    local_part, _, domain = address.partition("@")
    return f"{local_part[:1]}***@{domain}" if domain else ""


def _address_changed(session: Session, actor: Actor, old: str, new: str) -> None:
    at = utcnow()
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
        params={"at": iso(at), "old_email": old, "new_email": masked(new)},
        link="/notifications",
    )


def set_address(session: Session, *, user_id: int, email: str, lang: str = "vi") -> None:
    """The demo loader (and tests): a user's first address, kept when they already have one. No route calls it;
    a user changes their own with set_preferences (password, audit, notice to the old address)."""
    p = session.get(NotificationProfile, user_id)
    if p is None:
        session.add(NotificationProfile(user_id=user_id, email=email, lang=lang))
    elif not p.email:
        p.email = email
        session.add(p)


# --- the mail queue -----------------------------------------------------------------------------------


def claim_due(*, session: Session, now: datetime, limit: int, lease: float) -> list[dict[str, Any]]:
    """Mails due now, leased to this sender for `lease` seconds (another node skips them meanwhile)."""
    q = (
        select(NotificationMail)
        .where(
            col(NotificationMail.sent_at).is_(None),
            NotificationMail.next_attempt_at <= now,
            (col(NotificationMail.claimed_until).is_(None)) | (col(NotificationMail.claimed_until) < now),
        )
        .order_by(col(NotificationMail.next_attempt_at), col(NotificationMail.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    out = []
    for m in session.exec(q).all():
        m.claimed_until = now + timedelta(seconds=lease)
        session.add(m)
        out.append({"id": m.id, "to": m.to_addr, "subject": m.subject, "body": m.body, "attempts": m.attempts})
    return out


def next_due(*, session: Session) -> datetime | None:
    found = session.exec(
        select(func.min(NotificationMail.next_attempt_at)).where(col(NotificationMail.sent_at).is_(None))
    ).one()
    return as_utc(found)


def mark_sent(*, session: Session, mail_id: int) -> None:
    m = session.get(NotificationMail, mail_id)
    if m is not None:
        m.sent_at, m.claimed_until, m.attempts, m.last_error = utcnow(), None, m.attempts + 1, ""
        session.add(m)


def mark_failed(*, session: Session, mail_id: int, error: str, base: float) -> None:
    """Tried again after base, 2*base, 4*base... seconds, at most 10 minutes apart, until it is sent."""
    m = session.get(NotificationMail, mail_id)
    if m is not None:
        m.attempts += 1
        m.next_attempt_at = utcnow() + timedelta(seconds=min(base * 2 ** min(m.attempts - 1, 20), 600.0))
        m.claimed_until, m.last_error = None, error[:500]
        session.add(m)
