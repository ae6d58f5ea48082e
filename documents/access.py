"""Who may read a document. Everything starts from meetings.access (the meeting must be visible at all), then:

- the secretariat (staff) and the meeting's secretary read every document of the meeting;
- guests (khách mời) and the room display read only documents shared with guests; a restricted document
  never reaches a room display;
- a restricted document (tài liệu hạn chế) is read only by the participants on its list.

To whoever may see the meeting but not read one of its documents, that document does not exist: every document
route answers exactly as for an id that was never used (404 ABSENT, `read_access`), lists leave it out and number
the rest without a gap (`renumbered`), and no live event tells of its changes (documents/live.py). Only the
meeting itself keeps its 403 for who is not invited (meetings/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from core.errors import Forbidden, NotFound
from core.i18n import Msg, N_
from infra.db import memo
from documents.models import Document, DocumentAccess
from meetings.access import Access, access
from meetings.models import Meeting, MeetingRole, Participant

ABSENT = N_("Không tìm thấy tài liệu.")  # a missing document, and one the caller may not read: one answer


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
        raise NotFound(ABSENT)
    return doc


def read_access(session: Session, actor: Actor, document_id: int) -> DocAccess:
    """The document, if the actor may read it; else the answer of a missing document (404 ABSENT), so that a
    document one may not read cannot be told from one that does not exist. (A meeting the actor may not see
    keeps its own refusal: meetings/access.py.)"""
    doc = load_document(session, document_id)
    acc = access(session, actor, doc.meeting_id)
    if refusal(session, acc, doc):
        raise NotFound(ABSENT)
    return DocAccess(acc, doc)


def renumbered(docs: list[Document]) -> dict[int, int]:
    """{document id: its position among `docs` of the same agenda item (0, 1, ...)}: a viewer's list shows the
    order of what it holds, never the gap a document it may not read leaves (`docs` already in order)."""
    out: dict[int, int] = {}
    seen: dict[int | None, int] = {}
    for d in docs:
        n = seen.get(d.agenda_item_id, 0)
        out[d.id or 0], seen[d.agenda_item_id] = n, n + 1
    return out


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


def readers(session: Session, doc: Document) -> set[int]:
    """The users who may read `doc` now (read when a change to it is delivered: documents/live.py): those who
    manage the meeting, and the participants `refusal` lets through; active accounts only."""
    return _who(session, doc.meeting_id, doc)


def viewers(session: Session, meeting_id: int) -> set[int]:
    """The users who may see the meeting now (active accounts)."""
    return _who(session, meeting_id, None)


def _who(session: Session, meeting_id: int, doc: Document | None) -> set[int]:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return set()
    parts = {p.user_id: p for p in session.exec(select(Participant).where(Participant.meeting_id == meeting_id))}
    staff = col(User.role).in_([GlobalRole.admin, GlobalRole.secretariat])
    users = session.exec(select(User).where(col(User.is_active).is_(True), staff | col(User.id).in_(list(parts)))).all()
    out = set()
    for u in users:
        acc = Access(Actor.of(u), meeting, parts.get(u.id or 0))
        if acc.can_view and (doc is None or refusal(session, acc, doc) is None):
            out.add(u.id or 0)
    return out
