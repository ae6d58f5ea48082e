"""Public views of documents, and the viewer-independent snapshot slice "documents".

The live room is one audience (every socket that joined meeting:<id>: members, guests, the room display), so
anything in the slice or in an event's data reaches all of them. Hence:

- the "documents" slice lists only documents every viewer of the meeting may read: not restricted AND shared
  with guests. Everything else a viewer may read comes from GET /api/meetings/{id}/documents, which answers
  per viewer (clients fetch it on join and whenever a document event arrives);
- a change to a document is announced by documents/live.py: to those who may read it on one side of the
  change as `document.added` / `document.updated` / `document.removed` with {document_id, version, change} —
  an opaque id and a number, never a title — plus the slice (`document.updated` with change "version" is the
  "a new version was uploaded" signal); a change to a document restricted before and after is no meeting event
  at all (its readers are told on their own sockets): its existence is not told to anyone else;
- positions in what a viewer receives are its own (0, 1, ... per agenda item): a gap would count the documents
  it may not read.

Clients: on any event whose type starts with "document" (and on the `documents` socket event), refetch the list
over REST.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from accounts.models import User
from core.clock import iso
from documents.models import Document, DocumentVersion
from meetings.models import AgendaItem, Meeting


def documents_of(session: Session, meeting_id: int) -> list[Document]:
    """Meeting-level documents first, then by agenda order, then by position."""
    docs = list(session.exec(select(Document).where(Document.meeting_id == meeting_id)).all())
    items = {
        i.id: i.position for i in session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all()
    }
    return sorted(docs, key=lambda d: (d.agenda_item_id in items, items.get(d.agenda_item_id, -1), d.position, d.id))


def versions_of(session: Session, document_ids: list[int]) -> dict[int, list[DocumentVersion]]:
    out: dict[int, list[DocumentVersion]] = {i: [] for i in document_ids}
    if document_ids:
        stmt = (
            select(DocumentVersion)
            .where(col(DocumentVersion.document_id).in_(document_ids))
            .order_by(col(DocumentVersion.version))
        )
        for v in session.exec(stmt).all():
            out[v.document_id].append(v)
    return out


def current(versions: list[DocumentVersion], doc: Document) -> DocumentVersion:
    return next(v for v in versions if v.version == doc.current_version)


def summary(doc: Document, version: DocumentVersion) -> dict[str, Any]:
    """What a list shows (and what the slice carries)."""
    return {
        "id": doc.id,
        "meeting_id": doc.meeting_id,
        "agenda_item_id": doc.agenda_item_id,
        "title": doc.title,
        "position": doc.position,
        "version": doc.current_version,
        "page_count": version.page_count,
        "restricted": doc.restricted,
        "share_with_guests": doc.share_with_guests,
        "updated_at": iso(doc.updated_at),
    }


def version_data(v: DocumentVersion, names: dict[int, str]) -> dict[str, Any]:
    return {
        "version": v.version,
        "page_count": v.page_count,
        "size_bytes": v.size_bytes,
        "source_name": v.source_name,
        "source_kind": v.source_kind,
        "uploaded_by": {"user_id": v.uploaded_by, "full_name": names.get(v.uploaded_by or 0, "")},
        "created_at": iso(v.created_at),
    }


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        u.id: u.full_name  # type: ignore[misc]
        for u in session.exec(select(User).where(User.id.in_(ids))).all()  # type: ignore[union-attr]
    }


def detail(session: Session, doc: Document, *, pages_ready: bool, allowed_user_ids: list[int] | None) -> dict[str, Any]:
    """GET /api/documents/{id}: the summary, every version (oldest first) and who uploaded them."""
    versions = versions_of(session, [doc.id or 0])[doc.id or 0]
    names = user_names(session, {v.uploaded_by for v in versions if v.uploaded_by})
    cur = current(versions, doc)
    data = summary(doc, cur)
    data.update(
        pages_ready=pages_ready,
        created_at=iso(doc.created_at),
        uploaded_by=version_data(cur, names)["uploaded_by"],
        versions=[version_data(v, names) for v in versions],
    )
    if allowed_user_ids is not None:  # the access list is shown to those who manage the meeting only
        data["allowed_user_ids"] = allowed_user_ids
    return data


def documents_slice(session: Session, meeting: Meeting) -> list[dict[str, Any]]:
    assert meeting.id is not None
    docs = [d for d in documents_of(session, meeting.id) if not d.restricted and d.share_with_guests]
    versions = versions_of(session, [d.id or 0 for d in docs])
    out: list[dict[str, Any]] = []
    seen: dict[int | None, int] = {}  # positions renumbered within the slice (documents/access.py renumbered)
    for d in docs:
        n = seen.get(d.agenda_item_id, 0)
        seen[d.agenda_item_id] = n + 1
        out.append({**summary(d, current(versions[d.id or 0], d)), "position": n})
    return out
