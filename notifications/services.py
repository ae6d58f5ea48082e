"""Notification operations: turning a notify job into rows and mails (idempotent), reading the bell, marking
read, and each user's e-mail preferences. Keyword-only, the session first; the caller commits."""

from __future__ import annotations

import re
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
from core.errors import Conflict, NotFound, ValidationFailed
from notifications import address, contract, texts
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
            if event == address.CONFIRM:  # the link's token is minted when it is sent (claim_due)
                body = _mail_body(body, address.PATH + address.TOKEN, public_url, "Xác nhận / Confirm")
            else:
                body = _mail_body(body, row.link, public_url)
            session.add(NotificationMail(notification_id=row.id or 0, to_addr=to, subject=subject[:400], body=body))
            mails += 1
        users[uid] = 0
    session.flush()
    for uid in users:
        users[uid] = _unread(session, uid)
    return {"users": users, "mails": mails}


def _address(event: str, params: dict[str, Any], profile: NotificationProfile | None) -> str:
    """Where the e-mail of a notification goes: the recipient's address when they want this event by e-mail; a
    security notice (texts.ALWAYS) goes whatever the choices, to the address it names (the old one, for a
    changed address: the owner hears of it even when someone else changed it; the new one, for its confirmation)."""
    if event in texts.ALWAYS:
        to = str(params.get(texts.ADDRESSED[event]) or "")
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


def _mail_body(body: str, link: str, public_url: str = "", label: str = "Xem chi tiết / Details") -> str:
    base = _base(public_url)
    if link and base:
        more = f"\n\n{label}: {base}{link}"
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
        **address.shown(session, actor.id, utcnow()),
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
    mail: bool = False,
) -> dict[str, Any]:
    """The caller's own preferences. Changing the address takes the current password (`check`, made by the edge:
    accounts.services.confirm_password): a moment with someone's unlocked tablet must not divert their mail.
    A new address is only requested (notifications/address.py: mailed a confirmation link, used once its owner
    confirmed; `mail`: a mail server is configured, else 409); removing it is at once, audited, the old address
    told (account.email_changed). The address already saved changes nothing (a pending change stays)."""
    p = session.get(NotificationProfile, actor.id) or NotificationProfile(user_id=actor.id)
    now = utcnow()
    if email is not None:
        if email and not EMAIL.match(email):
            raise ValidationFailed(
                "Địa chỉ thư điện tử không hợp lệ.", details=[{"field": "email", "message": "không hợp lệ"}]
            )
        if email != p.email:
            confirm_password(session, actor, check)
            if email and not mail:
                raise Conflict(
                    "Hệ thống chưa có máy chủ gửi thư nên chưa gửi được thư xác nhận tới địa chỉ mới; "
                    "xin báo quản trị viên."
                )
            if email:
                address.request(session, actor, email, now)
            else:
                address.end(session, actor.id, "removed", now)
                address.changed(session, actor, p.email, "", now)
                p.email = ""
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
    p.updated_at = now
    session.add(p)
    session.flush()
    return get_preferences(session=session, actor=actor)


def email_change(*, session: Session, actor: Actor, token: str) -> dict[str, Any]:
    """What the confirmation page shows its owner (reads only: a GET must change nothing)."""
    row = address.by_token(session, actor, token, utcnow())
    return {"new_email": row.new_email, "expires_at": iso(row.expires_at)}


def confirm_email_change(*, session: Session, actor: Actor, token: str) -> dict[str, Any]:
    """The owner, signed in, with the token mailed to the new address: now it is where notifications go."""
    now = utcnow()
    row = address.by_token(session, actor, token, now, for_write=True)
    p = session.get(NotificationProfile, actor.id) or NotificationProfile(user_id=actor.id)
    row.ended_at, row.outcome = now, "confirmed"
    session.add(row)
    old, p.email, p.updated_at = p.email, row.new_email, now
    session.add(p)
    address.changed(session, actor, old, row.new_email, now)
    session.flush()
    return get_preferences(session=session, actor=actor)


def cancel_email_change(*, session: Session, actor: Actor) -> dict[str, Any]:
    """The caller's own change awaiting confirmation, dropped (its link then answers 410)."""
    now = utcnow()
    address.lock(session, actor.id)
    row = address.pending(session, actor.id, now)
    if row is None:
        raise NotFound("Không có địa chỉ thư nào đang chờ xác nhận.")
    row.ended_at, row.outcome = now, "cancelled"
    session.add(row)
    address.cancelled(session, actor, row)
    return get_preferences(session=session, actor=actor)


def set_address(session: Session, *, user_id: int, email: str, lang: str = "vi") -> None:
    """The demo loader (and tests): a user's first address, kept when they already have one. No route calls it;
    a user changes their own with set_preferences (password, a confirmation link, audit, notice to the old address)."""
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
    mails = session.exec(q).all()
    changes = _confirmations(session, [m.notification_id for m in mails])
    out = []
    for m in mails:
        body = m.body
        if m.notification_id in changes:  # a confirmation link: its token now, never stored
            token = address.mint(session, changes[m.notification_id], m.to_addr, now)
            if token is None:  # the change ended or expired: nothing to confirm, nothing to send
                session.delete(m)
                continue
            body = body.replace(address.TOKEN, token)
        m.claimed_until = now + timedelta(seconds=lease)
        session.add(m)
        out.append({"id": m.id, "to": m.to_addr, "subject": m.subject, "body": body, "attempts": m.attempts})
    return out


def _confirmations(session: Session, notification_ids: list[int]) -> dict[int, int]:
    """notification id -> address change id, for the confirmation mails among these."""
    if not notification_ids:
        return {}
    rows = session.exec(
        select(Notification).where(col(Notification.id).in_(notification_ids), Notification.event == address.CONFIRM)
    ).all()
    return {r.id or 0: int(r.params.get("change_id") or 0) for r in rows}


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
