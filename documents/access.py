"""Who may read a document. Everything starts from meetings.access (the meeting must be visible at all), then:

- the secretariat (staff) and the meeting's secretary read every document of the meeting;
- guests (khách mời) and the room display read only documents shared with guests; a restricted document
  never reaches a room display;
- a restricted document (tài liệu hạn chế) is read only by the participants on its list.

To whoever may not read a document, that document does not exist: every route addressed by its id (documents,
pages, versions, text, downloads, its annotations) answers exactly as for an id that was never used (404
ABSENT, `read_access`), whether it is off their list, not shared with them, or in a meeting they may not see at
all (not invited, or invited to a draft): the meeting's own 403 (meetings/access.py) is for routes addressed by
the meeting's id, which the caller knows already. Lists leave it out and number the rest without a gap
(`renumbered`), and no live event tells of its changes (documents/live.py).

Nor does the time an answer takes tell: one narrow statement (`_DECIDE`) reads what decides (the document's
flags, its meeting's state, the caller's role in it, whether they are on its list), the same lookups for an id
never used, and it is the whole of the work for such an id, for a document in a hidden meeting and for one off
the caller's list alike; only a reader's document and meeting are then loaded (tests/test_document_absent_alike.py
counts the statements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Select, and_, bindparam, exists, func, literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from core.errors import Forbidden, NotFound
from core.i18n import Msg, N_
from infra.db import memo
from infra.driver import DriverEntities, DriverStatement
from documents.models import Document, DocumentAccess
from meetings.access import Access, manages, sees
from meetings.models import Meeting, MeetingRole, MeetingState, Participant

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
    return _refused(
        acc.actor,
        acc.role,
        acc.can_manage,
        restricted=doc.restricted,
        shared=doc.share_with_guests,
        on_list=lambda: acc.actor.id in allowed_ids(session, doc.id or 0),
    )


def _refused(
    actor: Actor,
    role: MeetingRole | None,
    manager: bool,
    *,
    restricted: bool,
    shared: bool,
    on_list: Callable[[], bool],
) -> str | None:
    """`refusal` on plain values (`readable` decides from a narrow row); `on_list()` is asked only when it counts."""
    if manager:
        return None
    if (actor.is_display or role == MeetingRole.guest) and not shared:  # is_guest_like
        # no title: who may not read a document is not told what it is called (the page answers as its API)
        return Msg("Tài liệu này không được chia sẻ với khách mời.")
    if restricted and (actor.is_display or not on_list()):
        return Msg("Tài liệu này là tài liệu hạn chế; bạn không có trong danh sách được xem.")
    return None


def _joined(*entities: Any) -> Select[Any]:
    """`entities` of the document `document_id`, its meeting and the participation of `user_id` in it (if any)."""
    stmt: Select[Any] = (
        select(*entities)
        .join(Meeting, col(Meeting.id) == col(Document.meeting_id))
        .outerjoin(
            Participant,
            and_(col(Participant.meeting_id) == col(Meeting.id), col(Participant.user_id) == bindparam("user_id")),
        )
        .where(col(Document.id) == bindparam("document_id"))
    )
    return stmt


# The decision: all that says whether the actor may read a document, and no more (no title, no time to parse),
# in one statement built once and run on the driver's cursor (infra/driver.py). It is the whole of the work
# for an id never used and for a document refused, whatever refuses it (its list, guests, a meeting the actor may
# not see), so that neither the answer nor its time tells them apart: only a reader's document is loaded. It
# always answers one row (from a one-row source), and for an id never used it still looks up a meeting (0, never
# used either), a participation in it and the list: the database walks the same indexes for both.
_MEETING_OF = func.coalesce(col(Document.meeting_id), literal_column("0"))
_DECIDE = DriverStatement(
    sa_select(
        col(Document.meeting_id),
        col(Document.restricted),
        col(Document.share_with_guests),
        col(Meeting.state),
        col(Participant.role),
        exists().where(
            col(DocumentAccess.document_id) == bindparam("document_id"),
            col(DocumentAccess.user_id) == bindparam("user_id"),
        ),
    )
    .select_from(select(literal_column("1").label("one")).subquery("wanted"))
    .outerjoin(Document, col(Document.id) == bindparam("document_id"))
    .outerjoin(Meeting, col(Meeting.id) == _MEETING_OF)
    .outerjoin(
        Participant,
        and_(col(Participant.meeting_id) == _MEETING_OF, col(Participant.user_id) == bindparam("user_id")),
    )
)
# What a reader gets: the document, its meeting and their participation, as the session's objects; for a write,
# with the meeting's row locked, as meetings.access.access(for_update=True) locks it (FOR UPDATE OF meeting).
_LOAD = DriverEntities(_joined(Document, Meeting, Participant))
_LOAD_FOR_UPDATE = DriverEntities(_joined(Document, Meeting, Participant).with_for_update(of=Meeting))


def readable(session: Session, actor: Actor, document_id: int, *, for_update: bool = False) -> DocAccess | None:
    """The document and the actor's access to its meeting if they may read it; None for a document that does
    not exist, one in a meeting they may not see (not invited, a draft, a display's meeting not yet published)
    and one `refusal` keeps from them: the same statement in every one of these cases (`_DECIDE`). A write
    (`for_update`) locks the meeting as it loads what it may read; who manages it is asked then, on what the
    lock holds (`write_access`)."""
    row = _DECIDE.first(session, document_id=document_id, user_id=actor.id)
    meeting_id, restricted, shared, state, role, on_list = row or (None, False, False, None, None, False)
    if meeting_id is None:
        return None
    role = None if role is None else MeetingRole(role)
    if not sees(actor, meeting_id, MeetingState(state), role) or _refused(
        actor, role, manages(actor, role), restricted=restricted, shared=shared, on_list=lambda: bool(on_list)
    ):
        return None
    loaded = (_LOAD_FOR_UPDATE if for_update else _LOAD).rows(session, document_id=document_id, user_id=actor.id)
    if not loaded:  # deleted by another transaction since
        return None
    doc, meeting, participant = loaded[0]
    return DocAccess(Access(actor, meeting, participant), doc)


def read_access(session: Session, actor: Actor, document_id: int) -> DocAccess:
    """The document, if the actor may read it; else the answer of a missing document (404 ABSENT), whatever kept
    it from them (its list, guests, a meeting they may not see), so that a document one may not read cannot be
    told from one that does not exist, by its answer or by the work done to give it (`readable`)."""
    found = readable(session, actor, document_id)
    if found is None:
        raise NotFound(ABSENT)
    return found


def write_access(session: Session, actor: Actor, document_id: int) -> DocAccess:
    """The document and its meeting (locked) for who manages the meeting. Who may not read it hears ABSENT, as
    for a missing document (the same statement: `readable`); who may read it but not manage it, the 403."""
    found = readable(session, actor, document_id, for_update=True)
    if found is None:
        raise NotFound(ABSENT)
    require_manage_documents(found.acc)
    return found


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
