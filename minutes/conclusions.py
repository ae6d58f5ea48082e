"""Conclusions (kết luận) of agenda items, written by the secretariat or the chair during the session.

Saved as typed (the console sends debounced saves) with optimistic concurrency: every save names the revision
it started from; a stale one is refused with 409 `stale_revision` whose details carry the current text and
revision, so two editors never silently overwrite each other. Drafts are staff-only (read over REST); the
room hears only a content-free `conclusion.saved` {agenda_item_id, revision}. Publishing copies the draft to
the "conclusions" snapshot slice (what the room display shows) with the event `conclusion.published`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from core.clock import iso, utcnow
from core.errors import Conflict, NotFound, ValidationFailed
from core.i18n import N_
from core.text import nfc
from meetings.access import Access, access, require_conduct
from meetings.models import AgendaItem, Meeting, MeetingState
from meetings.services import emit, require_state
from minutes.models import Conclusion

MAX_CHARS = 20_000
_WRITABLE = (MeetingState.published, MeetingState.started, MeetingState.ended)


class StaleRevision(Conflict):
    code = "stale_revision"


def conclusions_slice(session: Session, meeting: Meeting) -> list[dict[str, Any]]:
    """Published conclusions only (the same for every viewer), in agenda order."""
    assert meeting.id is not None
    rows = session.exec(
        select(Conclusion, AgendaItem.position)
        .join(AgendaItem, col(AgendaItem.id) == Conclusion.agenda_item_id)
        .where(Conclusion.meeting_id == meeting.id, Conclusion.published_text.is_not(None))  # type: ignore[union-attr]
        .order_by(col(AgendaItem.position))
    ).all()
    return [
        {
            "agenda_item_id": c.agenda_item_id,
            "text": c.published_text,
            "revision": c.published_revision,
            "published_at": iso(c.published_at),
        }
        for c, _ in rows
    ]


def _data(c: Conclusion) -> dict[str, Any]:
    return {
        "agenda_item_id": c.agenda_item_id,
        "text": c.text,
        "revision": c.revision,
        "published": c.published_text is not None,
        "published_revision": c.published_revision,
        "published_text": c.published_text,
        "published_at": iso(c.published_at),
        "updated_at": iso(c.updated_at),
        "updated_by": c.updated_by,
    }


def _empty(item_id: int) -> dict[str, Any]:
    return {
        "agenda_item_id": item_id,
        "text": "",
        "revision": 0,
        "published": False,
        "published_revision": None,
        "published_text": None,
        "published_at": None,
        "updated_at": None,
        "updated_by": None,
    }


def _item(session: Session, meeting_id: int, item_id: int) -> AgendaItem:
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy nội dung họp.")
    return item


def _writable(session: Session, actor: Actor, meeting_id: int, item_id: int) -> tuple[Access, Conclusion | None]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_conduct(acc)
    require_state(acc.meeting, _WRITABLE, "ghi kết luận cho")
    _item(session, meeting_id, item_id)
    from minutes.services import require_draft  # (services reads conclusions through facts)

    require_draft(session, meeting_id, "sửa kết luận")
    return acc, session.get(Conclusion, item_id)


def list_conclusions(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """Every item's draft (staff and chair): the console loads them on join and after `conclusion.saved`."""
    acc = access(session, actor, meeting_id)
    require_conduct(acc)
    items = session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(col(AgendaItem.position))
    ).all()
    rows = {
        c.agenda_item_id: c for c in session.exec(select(Conclusion).where(Conclusion.meeting_id == meeting_id)).all()
    }
    return [_data(rows[i.id]) if i.id in rows else _empty(i.id or 0) for i in items]


def save_conclusion(
    *, session: Session, actor: Actor, meeting_id: int, item_id: int, text: str, base_revision: int
) -> dict[str, Any]:
    acc, row = _writable(session, actor, meeting_id, item_id)
    text = nfc(text)
    if len(text) > MAX_CHARS:
        raise ValidationFailed(
            "Kết luận dài quá {MAX_CHARS} ký tự.",
            MAX_CHARS=MAX_CHARS,
            details=[{"field": "text", "message": N_("quá dài")}],
        )
    current = row.revision if row else 0
    if base_revision != current:
        raise StaleRevision(
            "Kết luận vừa được người khác sửa; nội dung mới nhất đã được tải lại, hãy xem lại trước khi ghi tiếp.",
            details={
                "agenda_item_id": item_id,
                "revision": current,
                "text": row.text if row else "",
                "updated_by": row.updated_by if row else None,
            },
        )
    if row is not None and row.text == text:
        return _data(row)  # a repeated autosave of the same text is no change (and no event)
    if row is None:
        row = Conclusion(agenda_item_id=item_id, meeting_id=meeting_id)
    row.text, row.revision, row.updated_by, row.updated_at = text, current + 1, actor.id, utcnow()
    session.add(row)
    session.flush()
    emit(
        session, acc, "conclusion.saved", agenda_item_id=item_id, revision=row.revision
    )  # no text: drafts are staff-only
    return _data(row)


def publish_conclusion(
    *, session: Session, actor: Actor, meeting_id: int, item_id: int, published: bool = True
) -> dict[str, Any]:
    """Show the current draft on the room display (or take it down with published=False)."""
    acc, row = _writable(session, actor, meeting_id, item_id)
    if published:
        if row is None or not row.text.strip():
            raise Conflict(
                "Chưa có kết luận để công bố cho nội dung “{title}”.", title=_item(session, meeting_id, item_id).title
            )
        row.published_text, row.published_revision, row.published_at = row.text, row.revision, utcnow()
    elif row is None or row.published_text is None:
        return _data(row) if row else _empty(item_id)
    else:
        row.published_text, row.published_revision, row.published_at = None, None, None
    session.add(row)
    session.flush()
    emit(
        session,
        acc,
        "conclusion.published" if published else "conclusion.unpublished",
        agenda_item_id=item_id,
        conclusions=conclusions_slice(session, acc.meeting),
    )
    return _data(row)


def conclusion_texts(session: Session, meeting_id: int) -> dict[int, str]:
    """item id -> the current draft text (what the minutes start from)."""
    rows = session.exec(select(Conclusion).where(Conclusion.meeting_id == meeting_id)).all()
    return {c.agenda_item_id: c.text for c in rows}
