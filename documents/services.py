"""Document operations. Each: permission check -> state guard -> write -> event (sent after commit).

Heavy work never runs inside a write transaction: the HTTP edge streams the upload to disk, and
documents/ingest.py converts, checks, extracts text and stores the file first; `add_document` then only
writes rows. Reads that serve pages or PDFs answer where the file is and whose watermark to draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, col, delete, select

from core.actor import Actor
from accounts.models import User
from core import outbox
from core.clock import local, pdf_date, utcnow
from core.errors import Forbidden, NotFound, ValidationFailed
from documents.hooks import document_removed, document_saved, document_updated
from documents import live, serialize, render, textsearch
from documents.access import DocAccess, allowed_ids, read_access, renumbered, require_manage_documents, visible
from documents.access import write_access
from documents.models import Document, DocumentAccess, DocumentPage, DocumentVersion
from documents.schemas import DocumentUpdate, DocumentUpload, StoredFile
from documents.watermark import Viewer
from infra.db import memo
from meetings.access import Access, access
from meetings.models import AgendaItem, MeetingState, Participant
from meetings.services import require_state

_EDITABLE = (MeetingState.draft, MeetingState.published, MeetingState.started)


# --- reading ------------------------------------------------------------------------------------------


def list_documents(*, session: Session, actor: Actor, meeting_id: int, data_dir: Path) -> list[dict[str, Any]]:
    """The documents this viewer may read (restricted ones only for those on their list)."""
    acc = access(session, actor, meeting_id)
    docs = visible(session, acc, serialize.documents_of(session, meeting_id))
    versions = serialize.versions_of(session, [d.id or 0 for d in docs])
    positions = None if acc.can_manage else renumbered(docs)  # who edits the order works with the stored one
    out = []
    for d in docs:
        cur = serialize.current(versions[d.id or 0], d)
        row = {**serialize.summary(d, cur), "pages_ready": render.pages_ready(data_dir, cur.sha256, cur.page_count)}
        if positions is not None:
            row["position"] = positions[d.id or 0]
        out.append(row)
    return out


def get_document(*, session: Session, actor: Actor, document_id: int, data_dir: Path) -> dict[str, Any]:
    da = read_access(session, actor, document_id)
    cur = version_of(session, da.document, None)
    ready = render.pages_ready(data_dir, cur.sha256, cur.page_count)
    allowed = sorted(allowed_ids(session, document_id)) if da.acc.can_manage else None
    data = serialize.detail(session, da.document, pages_ready=ready, allowed_user_ids=allowed)
    if not da.acc.can_manage:  # its place among what this viewer may read (as in their list)
        docs = visible(session, da.acc, serialize.documents_of(session, da.document.meeting_id))
        data["position"] = renumbered(docs).get(document_id, 0)
    return data


@dataclass(frozen=True)
class FileSource:
    """Where a page image or a PDF comes from and whose watermark goes on it."""

    document_id: int
    version: int
    sha256: str
    page_count: int
    viewer: Viewer


def version_of(session: Session, doc: Document, version: int | None) -> DocumentVersion:
    """A version of the document (the current one when `version` is None), or NotFound."""
    number = doc.current_version if version is None else version
    found = memo(
        session,
        ("document_version", doc.id, number),
        lambda: session.exec(
            select(DocumentVersion).where(DocumentVersion.document_id == doc.id, DocumentVersion.version == number)
        ).first(),
    )
    if found is None:
        raise NotFound("Tài liệu này không có phiên bản {number}.", number=number)
    return found


STAMP = "%d/%m/%Y %H:%M"  # the watermark's time: the minute, in the organisation's time zone


def _viewer(session: Session, da: DocAccess, timezone: str) -> Viewer:
    user = session.get(User, da.actor.id) if da.actor.id else None
    now = utcnow()
    stamp = local(now, timezone).strftime(STAMP)
    return Viewer(
        user_id=da.actor.id,
        name=user.full_name if user else da.actor.full_name,
        unit=user.unit if user else "",
        stamp=stamp,
        restricted=da.document.restricted,
        issued=pdf_date(now, timezone),
    )


def page_source(
    *, session: Session, actor: Actor, document_id: int, page: int, version: int | None = None, timezone: str
) -> FileSource:
    da = read_access(session, actor, document_id)
    v = version_of(session, da.document, version)
    if not 1 <= page <= v.page_count:
        raise NotFound(
            "Tài liệu này (phiên bản {version}) có {page_count} trang; không có trang {page}.",
            version=v.version,
            page_count=v.page_count,
            page=page,
        )
    return FileSource(document_id, v.version, v.sha256, v.page_count, _viewer(session, da, timezone))


def download_source(
    *, session: Session, actor: Actor, document_id: int, version: int | None = None, timezone: str
) -> FileSource:
    da = read_access(session, actor, document_id)
    if da.document.restricted:
        raise Forbidden("Tài liệu hạn chế không được tải về; chỉ xem trên máy tính bảng trong phiên họp.")
    v = version_of(session, da.document, version)
    return FileSource(document_id, v.version, v.sha256, v.page_count, _viewer(session, da, timezone))


def search_text(
    *,
    session: Session,
    actor: Actor,
    document_id: int,
    q: str,
    version: int | None = None,
    limit: int = textsearch.LIMIT,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Diacritics-insensitive search in one document, at most `limit` matches (documents/textsearch.py)."""
    da = read_access(session, actor, document_id)
    v = version_of(session, da.document, version)
    return textsearch.search(session, da.document, v, q, limit=limit, cancelled=cancelled)


# --- writing ------------------------------------------------------------------------------------------


def authorize_upload(*, session: Session, actor: Actor, meeting_id: int) -> None:
    """The cheap checks before a file is even read (repeated by add_document inside its transaction)."""
    acc = access(session, actor, meeting_id)
    require_manage_documents(acc)
    require_state(acc.meeting, _EDITABLE, "thêm tài liệu cho")


def _check_item(session: Session, meeting_id: int, item_id: int | None) -> None:
    if item_id is not None:
        item = session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting_id:
            raise ValidationFailed("Nội dung họp đã chọn không thuộc cuộc họp này.")


def _set_allowed(session: Session, doc: Document, user_ids: list[int]) -> None:
    wanted = set(user_ids)
    invited = set(session.exec(select(Participant.user_id).where(Participant.meeting_id == doc.meeting_id)).all())
    strangers = sorted(wanted - invited)
    if strangers:
        raise ValidationFailed(
            "Có người được chọn không tham dự cuộc họp này; chỉ cho phép xem tài liệu hạn chế với người tham dự.",
            details={"user_ids": strangers},
        )
    session.exec(delete(DocumentAccess).where(col(DocumentAccess.document_id) == doc.id))
    assert doc.id is not None  # flushed
    for uid in sorted(wanted):
        session.add(DocumentAccess(document_id=doc.id, user_id=uid))


def add_document(
    *, session: Session, actor: Actor, meeting_id: int, data: DocumentUpload, stored: StoredFile, data_dir: Path
) -> dict[str, Any]:
    """A new document, or (with replaces_document_id) a new version of one: the old versions stay as history."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage_documents(acc)
    require_state(acc.meeting, _EDITABLE, "thêm tài liệu cho")
    now = utcnow()
    if data.replaces_document_id is not None:
        doc = session.get(Document, data.replaces_document_id)
        if doc is None or doc.meeting_id != meeting_id:
            raise NotFound("Không tìm thấy tài liệu cần thay thế trong cuộc họp này.")
        before, verb = live.Before(session, doc), "updated"
        doc.current_version += 1
        doc.title, doc.updated_at = data.title, now
    else:
        _check_item(session, meeting_id, data.agenda_item_id)
        before, verb = live.Before(session, None), "added"
        if data.position is None:
            same = [d for d in serialize.documents_of(session, meeting_id) if d.agenda_item_id == data.agenda_item_id]
            position = max((d.position for d in same), default=-1) + 1
        else:
            position = data.position
        doc = Document(
            meeting_id=meeting_id,
            agenda_item_id=data.agenda_item_id,
            title=data.title,
            position=position,
            restricted=data.restricted,
            share_with_guests=data.share_with_guests,
            created_by=actor.id,
            created_at=now,
            updated_at=now,
        )
    session.add(doc)
    session.flush()
    assert doc.id is not None
    if verb == "added" and (data.restricted or data.allowed_user_ids):
        _set_allowed(session, doc, data.allowed_user_ids)
    version = DocumentVersion(
        document_id=doc.id,
        version=doc.current_version,
        sha256=stored.sha256,
        page_count=stored.page_count,
        size_bytes=stored.size_bytes,
        source_name=stored.source_name,
        source_kind=stored.source_kind,
        uploaded_by=actor.id,
        created_at=now,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    for page, text, folded in stored.texts:
        session.add(DocumentPage(version_id=version.id, page=page, text=text, folded=folded))
    session.flush()
    document_saved(session, doc.id or 0)  # the search index takes the new pages (and drops the old version's)
    live.announce(session, acc, doc, verb, change="version" if verb == "updated" else "added", before=before)
    # Its pages are rendered after commit, and again after a crash until done (documents/hooks.py).
    outbox.add(session, kind="document.render", ref=stored.sha256, payload={"page_count": stored.page_count})
    ready = render.pages_ready(data_dir, stored.sha256, stored.page_count)
    return serialize.detail(session, doc, pages_ready=ready, allowed_user_ids=sorted(allowed_ids(session, doc.id or 0)))


def update_document(
    *, session: Session, actor: Actor, document_id: int, data: DocumentUpdate, data_dir: Path
) -> dict[str, Any]:
    doc, acc = _load_for_write(session, actor, document_id)
    require_state(acc.meeting, _EDITABLE, "sửa tài liệu của")
    changes = data.model_dump(exclude_unset=True)
    if "agenda_item_id" in changes:
        _check_item(session, doc.meeting_id, changes["agenda_item_id"])
    before = live.Before(session, doc)
    for key in ("title", "position", "restricted", "share_with_guests"):
        if changes.get(key) is not None:
            setattr(doc, key, changes[key])
    if "agenda_item_id" in changes:
        doc.agenda_item_id = changes["agenda_item_id"]
    if changes.get("allowed_user_ids") is not None:
        _set_allowed(session, doc, changes["allowed_user_ids"])
    doc.updated_at = utcnow()
    session.add(doc)
    session.flush()
    document_saved(session, document_id)
    document_updated(session, acc, document_id)
    live.announce(session, acc, doc, "updated", change="metadata", before=before)
    cur = version_of(session, doc, None)
    ready = render.pages_ready(data_dir, cur.sha256, cur.page_count)
    return serialize.detail(session, doc, pages_ready=ready, allowed_user_ids=sorted(allowed_ids(session, document_id)))


def delete_document(*, session: Session, actor: Actor, document_id: int) -> list[str]:
    """Remove the document with all its versions; answer the files no version refers to any more."""
    doc, acc = _load_for_write(session, actor, document_id)
    require_state(acc.meeting, _EDITABLE, "xóa tài liệu của")
    before = live.Before(session, doc)
    versions = serialize.versions_of(session, [document_id])[document_id]
    shas = {v.sha256 for v in versions}
    for v in versions:
        session.exec(delete(DocumentPage).where(col(DocumentPage.version_id) == v.id))
        session.delete(v)
    session.exec(delete(DocumentAccess).where(col(DocumentAccess.document_id) == document_id))
    document_removed(session, acc, document_id)  # notes on it go, and it stops being presented
    session.delete(doc)
    session.flush()
    live.announce(session, acc, doc, "removed", change="removed", before=before)
    still = set(session.exec(select(DocumentVersion.sha256).where(col(DocumentVersion.sha256).in_(shas))).all())
    return sorted(shas - still)


def unreferenced(*, session: Session, shas: list[str]) -> list[str]:
    """Of `shas`, those no document version refers to (an upload whose write failed cleans up with it)."""
    still = set(session.exec(select(DocumentVersion.sha256).where(col(DocumentVersion.sha256).in_(shas))).all())
    return [s for s in shas if s not in still]


def _load_for_write(session: Session, actor: Actor, document_id: int) -> tuple[Document, Access]:
    """The document and its meeting (locked) for who manages the meeting (documents/access.py write_access: who
    may not read it is refused as for a missing document, anyone else who does not manage it as not staff)."""
    da = write_access(session, actor, document_id)
    return da.document, da.acc
