"""Who may read a document. Everything starts from meetings.access (the meeting must be visible at all), then:

- the secretariat (staff) and the meeting's secretary read every document of the meeting;
- guests (khách mời) and the room display read only documents shared with guests; a restricted document
  never reaches a room display;
- a restricted document (tài liệu hạn chế) is read only by the participants on its list.

Refusals say why; for a restricted document they never name it (its title is not the reader's to know).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.actor import Actor
from core.errors import Forbidden, NotFound
from core.i18n import Msg
from infra.db import memo
from documents.models import Document, DocumentAccess
from meetings.access import Access, access
from meetings.models import MeetingRole


@dataclass(frozen=True)
class DocAccess:
    acc: Access
    document: Document

    @property
    def actor(self) -> Actor:
        return self.acc.actor


def allowed_ids(session: Session, document_id: int) -> set[int]:
    return memo(
        session,
        ("document_access", document_id),
        lambda: set(
            session.exec(select(DocumentAccess.user_id).where(DocumentAccess.document_id == document_id)).all()
        ),
    )


def is_guest_like(acc: Access) -> bool:
    return acc.actor.is_display or (acc.role == MeetingRole.guest and not acc.can_manage)


def refusal(session: Session, acc: Access, doc: Document) -> str | None:
    """None when `acc` may read `doc`, else the reason."""
    if acc.can_manage:
        return None
    if is_guest_like(acc) and not doc.share_with_guests:
        # no title: who may not read a document is not told what it is called (the page answers as its API)
        return Msg("Tài liệu này không được chia sẻ với khách mời.")
    if doc.restricted:
        if acc.actor.is_display or acc.actor.id not in allowed_ids(session, doc.id or 0):
            return Msg("Tài liệu này là tài liệu hạn chế; bạn không có trong danh sách được xem.")
    return None


def load_document(session: Session, document_id: int, *, for_update: bool = False) -> Document:
    if for_update:
        doc = session.exec(select(Document).where(Document.id == document_id).with_for_update()).first()
    else:  # the session's own copy when it has one (callers of a batched read ask for the same document)
        doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("Không tìm thấy tài liệu.")
    return doc


def read_access(session: Session, actor: Actor, document_id: int) -> DocAccess:
    """The document, if the actor may read it (403 with the reason otherwise)."""
    doc = load_document(session, document_id)
    acc = access(session, actor, doc.meeting_id)
    why = refusal(session, acc, doc)
    if why:
        raise Forbidden(why)
    return DocAccess(acc, doc)


def visible(session: Session, acc: Access, docs: list[Document]) -> list[Document]:
    if acc.can_manage:
        return docs
    restricted = [d.id for d in docs if d.restricted]
    mine: set[int] = set()
    if restricted and not acc.actor.is_display:
        mine = set(
            session.exec(
                select(DocumentAccess.document_id).where(
                    DocumentAccess.user_id == acc.actor.id, col(DocumentAccess.document_id).in_(restricted)
                )
            ).all()
        )
    guest = is_guest_like(acc)
    return [d for d in docs if (not guest or d.share_with_guests) and (not d.restricted or d.id in mine)]


def require_manage_documents(acc: Access) -> None:
    if not acc.can_manage:
        raise Forbidden("Chỉ Văn phòng (thư ký cuộc họp) được quản lý tài liệu của cuộc họp này.")
