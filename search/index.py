"""Keeping the full-text index in step with meetings, agenda items and documents (called from their hooks, in
the writer's own transaction, so the index never disagrees with what was committed).

The text handed to the database is `index_form(text)`: NFC, đ/Đ folded to d/D (not a combining mark, so neither
the tokenizer's remove_diacritics nor every unaccent rule set would fold it), anything but letters and digits
turned into spaces (so both dialects split words exactly where search/query.py splits the query). The database
folds the rest: SQLite FTS4 `unicode61 "remove_diacritics=2"` (FTS5 before migration 0025), PostgreSQL the
`ecabinet_vi` text search configuration (simple + unaccent), both lower-casing. Only the current version of a
document is indexed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, delete, select

from documents.models import Document, DocumentPage, DocumentVersion
from meetings.models import AgendaItem, Meeting
from search.models import FTS_TABLE, SearchEntry

_NOT_WORD = re.compile(r"[\W_]+")
PG_CONFIG = "ecabinet_vi"


def index_form(value: str) -> str:
    folded = unicodedata.normalize("NFC", value).replace("đ", "d").replace("Đ", "D")
    return _NOT_WORD.sub(" ", folded).strip()


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _insert_sql(session: Session) -> str:
    if is_sqlite(session):
        return f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (:id, :body)"
    return (
        f"INSERT INTO {FTS_TABLE} (rowid, meeting_id, document_id, tsv) "
        f"VALUES (:id, :meeting_id, :document_id, to_tsvector('{PG_CONFIG}', :body))"
    )


def add(session: Session, rows: Iterable[tuple[SearchEntry, str]]) -> None:
    """Index each entry with its text (entries without a word are not stored)."""
    pending = [(entry, index_form(body)) for entry, body in rows]
    pending = [(e, b) for e, b in pending if b]
    if not pending:
        return
    for entry, _ in pending:
        session.add(entry)
    session.flush()
    params = [{"id": e.id, "meeting_id": e.meeting_id, "document_id": e.document_id, "body": b} for e, b in pending]
    session.connection().execute(text(_insert_sql(session)), params)


def drop(session: Session, *conditions: object) -> None:
    ids = list(session.exec(select(SearchEntry.id).where(*conditions)).all())  # type: ignore[arg-type]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True))
        session.connection().execute(stmt, {"ids": chunk})
        session.exec(delete(SearchEntry).where(col(SearchEntry.id).in_(chunk)))


def _join(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def meeting_rows(meeting: Meeting, items: list[AgendaItem]) -> list[tuple[SearchEntry, str]]:
    assert meeting.id is not None
    rows = [(SearchEntry(kind="meeting", meeting_id=meeting.id), _join(meeting.title, meeting.description))]
    rows += [(SearchEntry(kind="agenda_item", meeting_id=meeting.id, agenda_item_id=i.id), item_text(i)) for i in items]
    return rows


def item_text(item: AgendaItem) -> str:
    return _join(item.title, item.presenter, item.notes)


def index_meeting(session: Session, meeting_id: int) -> None:
    """(Re)index a meeting's title and description and its agenda items (a handful of rows: cheap)."""
    drop(session, SearchEntry.meeting_id == meeting_id, col(SearchEntry.kind).in_(("meeting", "agenda_item")))
    meeting = session.get(Meeting, meeting_id)
    if meeting is not None:
        items = list(session.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)).all())
        add(session, meeting_rows(meeting, items))


def document_rows(doc: Document, version: DocumentVersion, pages: list[DocumentPage]) -> list[tuple[SearchEntry, str]]:
    def entry(page: int | None) -> SearchEntry:
        return SearchEntry(
            kind="document", meeting_id=doc.meeting_id, document_id=doc.id, version_id=version.id, page=page
        )

    return [(entry(None), doc.title), *((entry(p.page), p.text) for p in pages)]


def index_document(session: Session, document_id: int) -> None:
    """(Re)index a document's title and the pages of its current version; older versions' pages leave the index."""
    drop_document(session, document_id)
    doc = session.get(Document, document_id)
    if doc is None:
        return
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.version == doc.current_version
        )
    ).first()
    if version is None:
        return
    pages = list(session.exec(select(DocumentPage).where(DocumentPage.version_id == version.id)).all())
    add(session, document_rows(doc, version, pages))


def drop_document(session: Session, document_id: int) -> None:
    drop(session, SearchEntry.document_id == document_id)


def rebuild(session: Session) -> None:
    """Index everything from scratch (the migration that creates the index; `ecabinet` data loaded before it)."""
    drop(session, SearchEntry.id > 0)  # type: ignore[operator]
    for meeting_id in session.exec(select(Meeting.id)).all():
        index_meeting(session, meeting_id)  # type: ignore[arg-type]
    for document_id in session.exec(select(Document.id)).all():
        index_document(session, document_id)  # type: ignore[arg-type]
