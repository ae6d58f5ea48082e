"""Reading and verifying the audit log: the admin's business only."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from ledger.models import AuditEntry
from audit.describe import describe
from audit.verify import verify
from core.clock import iso
from core.errors import Forbidden
from core.i18n import DEFAULT_LANG
from meetings.events import MeetingEvent


def require_admin(actor: Actor) -> None:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được xem và kiểm tra nhật ký hệ thống.")


def list_entries(
    *, session: Session, actor: Actor, limit: int = 100, before_id: int | None = None, lang: str = DEFAULT_LANG
) -> dict[str, Any]:
    """Rows without their stored facts (`data`): the page names what changed, the verifier compares facts.
    `summary` is the stored (hashed) line; `text` says the same in `lang`, naming its subject (audit/describe.py)."""
    require_admin(actor)
    stmt = select(AuditEntry, User.full_name).join(User, col(User.id) == AuditEntry.actor_id, isouter=True)
    if before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < before_id)
    rows = session.exec(stmt.order_by(AuditEntry.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
    texts = describe([e for e, _ in rows], lang=lang, session=session)
    items = [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor_id": e.actor_id,
            "actor_name": name,
            "meeting_id": e.meeting_id,
            "event_seq": e.event_seq,
            "type": e.type,
            "summary": e.summary,
            "text": text,
            "hash": e.hash,
            "sealed": bool(e.mac),
        }
        for (e, name), text in zip(rows, texts)
    ]
    return {"items": items, "next_before_id": items[-1]["id"] if len(items) == limit else None}


def stored_event_data(session: Session) -> Any:
    def event_data(meeting_id: int, seq: int) -> Any:
        event = session.exec(
            select(MeetingEvent).where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq == seq)
        ).first()
        return event.data if event else None

    return event_data


def verify_chain(*, session: Session, actor: Actor) -> dict[str, Any]:
    require_admin(actor)
    return verify(session, event_data=stored_event_data(session))
