"""Private annotations: create / list / update / delete, author only, and never further than the author.

Each operation first checks that the actor may read the document (documents/access.py: a member outside a
restricted document's list, or who may not see its meeting, gets the missing document's 404 here too, even for
notes written while they could read it), then that the annotation is theirs. Private annotations are not
meeting events: nothing here calls meetings.services.emit for them, so they never reach the room, the event
log, the audit log or a snapshot. The edge (routes.py, socket.py) tells the author's own other sockets (room
user:<id>) after the commit.

Shared ink (shared = True) belongs to presenter mode (annotations/presenter.py): listed to every reader of
the document, created and deleted with `presenter.ink*` meeting events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, cast
from sqlmodel import Session, col, func, or_, select

from core.actor import Actor
from annotations import live, presenter
from annotations.models import Annotation
from annotations.schemas import AnnotationCreate, AnnotationUpdate, InkData, NoteData, check_content
from core.clock import iso, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from documents.access import read_access, readable
from documents.models import DocumentVersion
from documents.services import FileSource, download_source, version_of

MISSING = N_("Không tìm thấy ghi chú.")  # a missing note, someone else's, or one on a paper one may not read
MAX_PER_AUTHOR = 5000  # annotations of one author on one document version
# ...and what they may hold together, counted as listing them costs: geometry (JSON) and note text, plus ROW
# characters each for ids, dates and flags. 1 MB is ~38 000 pen points (hundreds of handwritten words, or 19
# strokes of the viewer's longest); listing it stays a fraction of a second, the annotated PDF about one.
BUDGET = 1_000_000
ROW = 250
SHARED_BUDGET = 2_000_000  # the presenters' shared ink on one document version: every reader's listing holds it


def public(a: Annotation) -> dict[str, Any]:
    return {
        "id": a.id,
        "document_id": a.document_id,
        "version": a.version,
        "page": a.page,
        "kind": a.kind,
        "data": a.data,
        "text": a.text,
        "shared": a.shared,
        "author_id": a.author_id,
        "created_at": iso(a.created_at),
        "updated_at": iso(a.updated_at),
    }


def check_page(v: DocumentVersion, page: int) -> None:
    if not 1 <= page <= v.page_count:
        raise ValidationFailed(
            "Tài liệu này (phiên bản {version}) có {page_count} trang; không có trang {page}.",
            version=v.version,
            page_count=v.page_count,
            page=page,
            details=[{"field": "page", "message": f"1..{v.page_count}", "type": "out_of_range"}],
        )


def list_annotations(
    *, session: Session, actor: Actor, document_id: int, version: int | None = None, page: int | None = None
) -> list[dict[str, Any]]:
    """The actor's own annotations on the document (one version) plus the presenters' shared ink."""
    da = read_access(session, actor, document_id)
    v = version_of(session, da.document, version)
    stmt = select(Annotation).where(
        Annotation.document_id == document_id,
        Annotation.version == v.version,
        or_(Annotation.author_id == actor.id, col(Annotation.shared).is_(True)),
    )
    if page is not None:
        stmt = stmt.where(Annotation.page == page)
    return [public(a) for a in session.exec(stmt.order_by(col(Annotation.page), col(Annotation.id))).all()]


def create_annotation(*, session: Session, actor: Actor, document_id: int, data: AnnotationCreate) -> dict[str, Any]:
    da = read_access(session, actor, document_id)
    if data.shared:  # presenter ink through REST: the same operation as the socket's presenter:ink
        assert isinstance(data.data, InkData)  # AnnotationCreate refuses shared notes, and non-notes carry ink
        return presenter.add_ink(
            session=session,
            actor=actor,
            meeting_id=da.document.meeting_id,
            page=data.page,
            kind=data.kind,
            data=data.data,
            document_id=document_id,
        )
    if actor.is_display:
        raise Forbidden("Màn hình phòng họp không ghi chú được.")
    v = version_of(session, da.document, data.version)
    check_page(v, data.page)
    count, used = _held(session, document_id, v.version, actor.id)
    if count >= MAX_PER_AUTHOR:
        raise Conflict("Đã có {count} ghi chú trên tài liệu này; hãy xóa bớt trước khi thêm.", count=count)
    geometry = data.data.model_dump(mode="json")
    _check_budget(used + ROW + _size(geometry, data.text))
    now = utcnow()
    a = Annotation(
        meeting_id=da.document.meeting_id,
        document_id=document_id,
        version=v.version,
        page=data.page,
        author_id=actor.id,
        kind=data.kind,
        data=geometry,
        text=data.text,
        created_at=now,
        updated_at=now,
    )
    session.add(a)
    session.flush()
    live.tell_author(session, actor.id, "annotation.created", public(a))
    return public(a)


def _size(data: dict[str, Any], text: str) -> int:
    """What an annotation holds: its geometry as the JSON column stores it (json.dumps) and its text."""
    return len(json.dumps(data)) + len(text)


def _held(session: Session, document_id: int, version: int, author_id: int | None) -> tuple[int, int]:
    """(how many, how much of the budget) the author's private annotations on the document version take; with no
    author, the shared ink of every presenter."""
    size = func.length(cast(Annotation.data, String)) + func.length(Annotation.text)
    whose = Annotation.author_id == author_id if author_id is not None else col(Annotation.shared).is_(True)
    count, chars = session.exec(
        select(func.count(), func.coalesce(func.sum(size), 0)).where(
            Annotation.document_id == document_id,
            Annotation.version == version,
            whose,
            col(Annotation.shared).is_(author_id is None),
        )
    ).one()
    return int(count), int(chars) + ROW * int(count)


def check_shared_ink(session: Session, document_id: int, version: int, data: dict[str, Any]) -> None:
    """Presenters' ink is listed to every reader of the paper: bounded per document version, like private notes."""
    if _held(session, document_id, version, None)[1] + ROW + _size(data, "") > SHARED_BUDGET:
        raise Conflict(
            "Nét vẽ trình chiếu trên tài liệu này đã đạt giới hạn {limit} kB; hãy xóa bớt trước khi vẽ thêm.",
            limit=SHARED_BUDGET // 1000,
        )


def _check_budget(total: int) -> None:
    if total > BUDGET:
        raise Conflict(
            "Chưa lưu: ghi chú của bạn trên tài liệu này sẽ vượt giới hạn dung lượng {limit} kB; "
            "hãy xóa bớt nét vẽ hoặc ghi chú trước khi thêm.",
            limit=BUDGET // 1000,
        )


# Who wrote an annotation, where, and whether it is shared: what `_own` asks before anything else, without the
# ink itself (a stroke's points can be hundreds of kB: reading them would make someone else's note slower to
# refuse than a missing one).
_WHOSE = select(Annotation.author_id, Annotation.shared, Annotation.document_id).where(
    col(Annotation.id) == bindparam("annotation_id")
)
NOWHERE = 0  # a document id never used: what `_own` resolves for an annotation that is not the actor's to touch


def _own(session: Session, actor: Actor, annotation_id: int) -> Annotation:
    """The annotation if it is the actor's and they may still read its document. Someone else's private
    annotation answers exactly like a missing one: its existence is its author's business; so does shared ink on
    a document the actor may not read, wherever it is (a restricted paper, a meeting they may not see): that
    document's existence is not theirs to learn. The same statements run in every one of those cases (the
    annotation's owner, then documents/access.py `readable` for its document or for NOWHERE), so that the time
    of the answer does not tell them apart either."""
    row = session.exec(_WHOSE, params={"annotation_id": annotation_id}).first()
    document_id = row[2] if row is not None and (row[0] == actor.id or row[1]) else None
    if readable(session, actor, NOWHERE if document_id is None else document_id) is None or document_id is None:
        raise NotFound(MISSING)
    a = session.get(Annotation, annotation_id)
    if a is None:  # deleted by another transaction since
        raise NotFound(MISSING)
    if a.author_id != actor.id:
        raise Forbidden("Chỉ người vẽ được sửa hoặc xóa nét vẽ trình chiếu này.")
    return a


def update_annotation(*, session: Session, actor: Actor, annotation_id: int, data: AnnotationUpdate) -> dict[str, Any]:
    a = _own(session, actor, annotation_id)
    if a.shared:
        raise Conflict("Nét vẽ trình chiếu đã được cả phòng họp nhìn thấy nên không sửa được; hãy xóa rồi vẽ lại.")
    changes = data.model_dump(exclude_unset=True)
    new_data: InkData | NoteData = (
        data.data
        if data.data is not None
        else (NoteData.model_validate(a.data) if a.kind == "note" else InkData.model_validate(a.data))
    )
    new_text = data.text if data.text is not None else a.text
    try:
        check_content(a.kind, new_data, new_text)
    except ValueError as exc:
        raise ValidationFailed(
            "Dữ liệu gửi lên không hợp lệ.", details=[{"field": "body", "message": exc.args[0] if exc.args else ""}]
        ) from None
    geometry = data.data.model_dump(mode="json") if "data" in changes and data.data is not None else a.data
    grows = _size(geometry, new_text) - _size(a.data, a.text)
    if grows > 0:
        _check_budget(_held(session, a.document_id, a.version, actor.id)[1] + grows)
    a.data = geometry
    a.text = new_text
    a.updated_at = utcnow()
    session.add(a)
    session.flush()
    live.tell_author(session, actor.id, "annotation.updated", public(a))
    return public(a)


def delete_annotation(*, session: Session, actor: Actor, annotation_id: int) -> dict[str, Any]:
    a = _own(session, actor, annotation_id)
    gone = {"id": a.id, "document_id": a.document_id, "version": a.version, "page": a.page, "shared": a.shared}
    if a.shared:
        presenter.remove_ink(session=session, actor=actor, annotation=a)
    else:
        live.tell_author(session, actor.id, "annotation.deleted", gone)
    session.delete(a)
    session.flush()
    return gone


@dataclass(frozen=True)
class AnnotatedSource:
    file: FileSource
    annotations: list[dict[str, Any]]


def annotated_source(
    *, session: Session, actor: Actor, document_id: int, version: int | None, timezone: str
) -> AnnotatedSource:
    """What the annotated PDF is made of: the watermarked document and the actor's own private notes.
    A restricted document is refused: no PDF of it leaves the server, annotated or not."""
    da = read_access(session, actor, document_id)
    if da.document.restricted:
        raise Forbidden(
            "Không thể xuất bản PDF có ghi chú của tài liệu hạn chế: không tệp PDF nào của tài liệu hạn chế được "
            "rời máy chủ. Ghi chú của bạn vẫn được lưu và xem được trong trình xem tài liệu."
        )
    src = download_source(session=session, actor=actor, document_id=document_id, version=version, timezone=timezone)
    rows = session.exec(
        select(Annotation)
        .where(
            Annotation.document_id == document_id,
            Annotation.version == src.version,
            Annotation.author_id == actor.id,
            col(Annotation.shared).is_(False),
        )
        .order_by(col(Annotation.page), col(Annotation.id))
    ).all()
    return AnnotatedSource(src, [public(a) for a in rows])
