"""Presenter mode (trình chiếu): one person shows a document to the room; every following tablet jumps there.

Who may present: whoever conducts the meeting (chair, secretary, the secretariat), and, while an agenda item
is current, a participant of the meeting whose unit (User.unit) is that item's presenter agency
(AgendaItem.presenter, compared case- and diacritics-insensitively): the minister presenting "Bộ Tài chính"'s
report may turn the room's pages. The meeting must be in session. A restricted document is never presented:
the room is one audience (documents/serialize.py), and its existence is not the room's to know.

State: one PresenterState row per meeting = the "presenter" snapshot slice
{document_id, version, page, presenter_user_id, presenter_name} or None. Every change is a meeting event
`presenter.changed` carrying the slice (so applying it equals a fresh snapshot). Shared ink is stored as
Annotation(shared=True) and announced as `presenter.ink` {annotation} / `presenter.ink_removed` {annotation_id,
...}; it is not part of the slice (clients list it over REST and apply these events). The laser pointer is
ephemeral: annotations/socket.py relays it after `pointer_target` says the sender presents right now.
A change of the current agenda item (and the end of the meeting) ends presenting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from annotations.models import Annotation, PresenterState
from annotations.schemas import InkData
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.text import fold
from documents.access import readable, refusal
from documents.models import Document, DocumentVersion
from infra.driver import DriverStatement
from meetings.access import Access, access
from meetings.events import CONDUCTORS, MEMBERS, classes
from meetings.models import AgendaItem, Meeting, MeetingState
from meetings.services import emit, require_state

RESTRICTED = N_("Không trình chiếu tài liệu hạn chế cho cả phòng họp; thành viên trong danh sách tự mở tài liệu.")
REFUSED = N_("Chỉ chủ trì, thư ký hoặc đại diện cơ quan trình nội dung đang thảo luận được trình chiếu tài liệu.")


def slice_of(state: PresenterState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "document_id": state.document_id,
        "version": state.version,
        "page": state.page,
        "presenter_user_id": state.presenter_user_id,
        "presenter_name": state.presenter_name,
    }


def presenter_slice(session: Session, meeting: Meeting) -> dict[str, Any] | None:
    return slice_of(session.get(PresenterState, meeting.id))


def may_present(session: Session, acc: Access) -> bool:
    if acc.actor.is_display:
        return False
    if acc.can_conduct:
        return True
    if acc.participant is None or acc.meeting.state != MeetingState.started or acc.meeting.current_item_id is None:
        return False
    item = session.get(AgendaItem, acc.meeting.current_item_id)
    user = session.get(User, acc.actor.id)
    agency = fold(" ".join((item.presenter if item else "").split()))
    return bool(agency) and user is not None and fold(" ".join(user.unit.split())) == agency


def _presenting(session: Session, actor: Actor, meeting_id: int) -> Access:
    acc = access(session, actor, meeting_id, for_update=True)
    if not may_present(session, acc):
        raise Forbidden(REFUSED)
    require_state(acc.meeting, (MeetingState.started,), "trình chiếu tài liệu trong")
    return acc


def _current(session: Session, acc: Access) -> PresenterState:
    state = session.get(PresenterState, acc.meeting_id)
    if state is None:
        raise Conflict("Chưa có ai trình chiếu tài liệu trong cuộc họp “{title}”.", title=acc.meeting.title)
    return state


def _shown(session: Session, state: PresenterState, acc: Access) -> Document:
    """The presented document, refused once it is restricted (made so while presented: documents/hooks.py ends
    the presentation; this is asked again on every page turn, stroke and pointer all the same), and to anyone who
    may not read it (a guest's unit presenting, once the paper is no longer shared with guests)."""
    doc = session.get(Document, state.document_id)
    if doc is None or doc.restricted:
        raise Forbidden(RESTRICTED)
    why = refusal(session, acc, doc)
    if why:
        raise Forbidden(why)
    return doc


def _page_count(session: Session, document_id: int, version: int) -> int:
    v = session.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id, DocumentVersion.version == version)
    ).first()
    if v is None:
        raise NotFound("Tài liệu này không có phiên bản {version}.", version=version)
    return v.page_count


def _check_page(count: int, page: int) -> None:
    if not 1 <= page <= count:
        raise ValidationFailed(
            "Tài liệu có {count} trang; không có trang {page}.",
            count=count,
            page=page,
            details=[{"field": "page", "message": f"1..{count}", "type": "out_of_range"}],
        )


def _changed(session: Session, acc: Access, state: PresenterState | None) -> dict[str, Any] | None:
    """presenter.changed: to the whole room, or to its members when the document is not shared with guests (the
    guests and the hall display are then told the presentation ended for them: meetings/events.py hidden)."""
    session.flush()
    data = slice_of(state)
    audience = None if state is None or _for_guests(session, state.document_id) else MEMBERS
    emit(session, acc, "presenter.changed", audience=audience, presenter=data)
    return data


def _for_guests(session: Session, document_id: int) -> bool:
    doc = session.get(Document, document_id)
    return doc is not None and doc.share_with_guests and not doc.restricted


def outsiders_slice(session: Session, meeting: Meeting, presented: dict[str, Any] | None) -> dict[str, Any] | None:
    """The snapshot's slice for guests and the hall display: a document not shared with guests is not shown."""
    return presented if presented is not None and _for_guests(session, presented["document_id"]) else None


def start(*, session: Session, actor: Actor, meeting_id: int, document_id: int, page: int = 1) -> dict[str, Any] | None:
    acc = _presenting(session, actor, meeting_id)
    # One answer for a paper of another meeting, one that does not exist and one the presenter may not read (a
    # restricted paper off their list, a paper not shared with a guest): its existence is not theirs to learn,
    # and `readable` does the same work for each.
    found = readable(session, actor, document_id)
    if found is None or found.document.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy tài liệu trong cuộc họp này.")
    doc = found.document
    if doc.restricted:
        raise Forbidden(RESTRICTED)
    _check_page(_page_count(session, document_id, doc.current_version), page)
    user = session.get(User, actor.id)
    state = session.get(PresenterState, meeting_id) or PresenterState(
        meeting_id=meeting_id,
        document_id=document_id,
        version=doc.current_version,
        page=page,
        presenter_user_id=actor.id,
    )
    state.document_id, state.version, state.page = document_id, doc.current_version, page
    state.presenter_user_id, state.presenter_name = actor.id, user.full_name if user else actor.full_name
    state.updated_at = utcnow()
    session.add(state)
    return _changed(session, acc, state)


def set_page(*, session: Session, actor: Actor, meeting_id: int, page: int) -> dict[str, Any] | None:
    acc = _presenting(session, actor, meeting_id)
    state = _current(session, acc)
    _shown(session, state, acc)
    _check_page(_page_count(session, state.document_id, state.version), page)
    if state.page == page and state.presenter_user_id == actor.id:
        return slice_of(state)  # nothing changed: no event
    state.page, state.presenter_user_id, state.updated_at = page, actor.id, utcnow()
    user = session.get(User, actor.id)
    state.presenter_name = user.full_name if user else actor.full_name
    session.add(state)
    return _changed(session, acc, state)


def stop(*, session: Session, actor: Actor, meeting_id: int) -> None:
    acc = _presenting(session, actor, meeting_id)
    state = _current(session, acc)
    session.delete(state)
    _changed(session, acc, None)


def add_ink(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    page: int,
    kind: str,
    data: InkData,
    document_id: int | None = None,
) -> dict[str, Any]:
    """Shared ink on the presented document (any page of it): stored, and sent to the room with a seq."""
    from annotations.services import check_shared_ink, public  # services imports this module

    acc = _presenting(session, actor, meeting_id)
    state = _current(session, acc)
    doc = _shown(session, state, acc)
    if document_id is not None and document_id != state.document_id:
        raise Conflict(
            "Tài liệu này không phải tài liệu đang trình chiếu; chỉ vẽ chung trên tài liệu đang trình chiếu.",
        )
    _check_page(_page_count(session, state.document_id, state.version), page)
    geometry = data.model_dump(mode="json")
    check_shared_ink(session, state.document_id, state.version, geometry)
    now = utcnow()
    a = Annotation(
        meeting_id=meeting_id,
        document_id=state.document_id,
        version=state.version,
        page=page,
        author_id=actor.id,
        kind=kind,
        data=geometry,
        shared=True,
        created_at=now,
        updated_at=now,
    )
    session.add(a)
    session.flush()
    out = public(a)
    emit(session, acc, "presenter.ink", audience=_ink_audience(doc), annotation=out)
    return out


def _ink_audience(doc: Document | None) -> str | None:
    """Shared ink is the document's content: guests receive it only on a document shared with guests; of a
    restricted document (ink taken off after it was restricted) only those who conduct hear."""
    if doc is None or doc.restricted:
        return CONDUCTORS
    return None if doc.share_with_guests else MEMBERS


def remove_ink(*, session: Session, actor: Actor, annotation: Annotation) -> None:
    """The room is told that its author took shared ink off (the caller, delete_annotation, deletes the row)."""
    acc = access(session, actor, annotation.meeting_id, for_update=True)
    if annotation.author_id != actor.id:  # delete_annotation asked it already; asked here too, as every service does
        raise Forbidden("Chỉ người vẽ được sửa hoặc xóa nét vẽ trình chiếu này.")
    # Shared ink is part of the session's record (the minutes list it): taken off during the session only.
    require_state(acc.meeting, (MeetingState.started,), "xóa nét vẽ trình chiếu của")
    emit(
        session,
        acc,
        "presenter.ink_removed",
        audience=_ink_audience(session.get(Document, annotation.document_id)),
        annotation_id=annotation.id,
        document_id=annotation.document_id,
        version=annotation.version,
        page=annotation.page,
    )


def viewer_slice(session: Session, acc: Access) -> dict[str, Any] | None:
    """The slice as this viewer may see it: what their snapshot says (guests and the hall display get the
    outsiders' slice), and None as well for anyone who may not read the presented document (a restricted paper
    off their list): which paper, which page and who presents it are not theirs to learn."""
    presented = presenter_slice(session, acc.meeting)
    if presented is None:
        return None
    if MEMBERS not in classes(acc):
        presented = outsiders_slice(session, acc.meeting, presented)
    doc = session.get(Document, presented["document_id"]) if presented is not None else None
    if doc is None or refusal(session, acc, doc):
        return None
    return presented


def status(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """GET /api/meetings/{id}/presenter: the slice as this viewer may see it and whether they may present now."""
    acc = access(session, actor, meeting_id)
    return {
        "presenter": viewer_slice(session, acc),
        "may_present": may_present(session, acc),
        "meeting_state": MeetingState(acc.meeting.state).value,
    }


def pointer_target(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Where a laser pointer from this actor goes (the presented document and page, and whether guests see that
    document: else the pointer goes to the members only), or Forbidden."""
    acc = access(session, actor, meeting_id)
    state = session.get(PresenterState, meeting_id)
    if state is None:
        raise Conflict("Chưa có ai trình chiếu tài liệu trong cuộc họp “{title}”.", title=acc.meeting.title)
    if not may_present(session, acc):
        raise Forbidden(REFUSED)
    doc = _shown(session, state, acc)
    where = {"document_id": state.document_id, "version": state.version, "page": state.page}
    return {**where, "guests": doc.share_with_guests}


# Built once and run on the driver's cursor (infra/driver.py): every move of the chair's runs it.
_PRESENTING = PresenterState.__table__  # type: ignore[attr-defined]  # the table: no ORM bulk-delete work
_END_PRESENTING = DriverStatement(delete(_PRESENTING).where(_PRESENTING.c.meeting_id == bindparam("meeting_id")))


def on_current_item_changed(session: Session, acc: Access, previous_item_id: int | None) -> dict[str, Any]:
    """Meetings hook: a new item (or the end of the meeting) ends presenting. One prebuilt DELETE, whose row
    count says whether anything was presented (every tap of the chair's runs it; most find nothing)."""
    loaded = session.identity_map.get(identity_key(PresenterState, acc.meeting.id))
    if loaded is not None:  # a copy this transaction read: the ORM forgets it (the row is deleted below)
        session.expunge(loaded)
    return {"presenter": None} if _END_PRESENTING.run(session, meeting_id=acc.meeting.id) else {}


def on_document_removed(session: Session, acc: Access, document_id: int) -> None:
    """Documents hook: a removed document takes its notes (private and shared) with it and stops being presented."""
    session.exec(delete(Annotation).where(col(Annotation.document_id) == document_id))
    state = session.get(PresenterState, acc.meeting.id)
    if state is not None and state.document_id == document_id:
        session.delete(state)
        _changed(session, acc, None)


def on_document_updated(session: Session, acc: Access, document_id: int) -> None:
    """Documents hook: a presented document made restricted stops being presented (the room is one audience)."""
    state = session.get(PresenterState, acc.meeting.id)
    doc = session.get(Document, document_id)
    if state is not None and state.document_id == document_id and doc is not None and doc.restricted:
        session.delete(state)
        _changed(session, acc, None)
