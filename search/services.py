"""GET /api/search: ranked hits over what the caller may see, permission rules inside the SQL query.

Who sees what (the same rules as meetings/access.py and documents/access.py, written as one WHERE clause in
search/rank.py, which also ranks the visible hits by their own words only: nothing in the answer depends on
rows the caller may not read):
- meetings: admin/secretariat every meeting; others the meetings they are invited to, once published (the
  meeting's secretary also its drafts); the room display searches nothing;
- documents: the secretariat and the meeting's secretary all; guests only those shared with guests; a
  restricted document only those on its list (and the secretariat);
- a restricted document's hit names the document and the page but carries no snippet: its text leaves the
  server only as the watermarked page image (the client opens the viewer at that page).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from core.actor import Actor
from core.clock import iso
from core.errors import Forbidden
from documents.models import Document, DocumentPage
from meetings.models import AgendaItem, Meeting
from search import index, rank, snippet
from search.models import FTS_TABLE
from search.query import Terms, parse

MAX_TOTAL = 1000  # a broad query counts its visible hits up to here ("1000+"); paging stops there too


def _matches_sql(session: Session) -> str:
    """(id, meeting_id, document_id) of every match; PostgreSQL keeps the two ids in its index table."""
    if index.is_sqlite(session):
        return (
            f"SELECT e.id, e.meeting_id, e.document_id FROM {FTS_TABLE} "
            f"JOIN search_entry e ON e.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH :match"
        )
    return (
        f"SELECT rowid AS id, meeting_id, document_id "
        f"FROM {FTS_TABLE}, to_tsquery('{index.PG_CONFIG}', :match) q WHERE tsv @@ q"
    )


def search(*, session: Session, actor: Actor, q: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    if actor.is_display:
        raise Forbidden("Màn hình phòng họp không tìm kiếm được.")
    terms = parse(q)
    params: dict[str, Any] = {"uid": actor.id, "staff": actor.is_staff, "limit": limit, "offset": offset}
    if index.is_sqlite(session):
        page, words = rank.sqlite_page(terms)
        params |= {"match": terms.fts5(), **words}
    else:
        page = rank.postgres_page(index.PG_CONFIG)
        params["match"] = terms.tsquery()
    rows = session.connection().execute(text(page), params).all()
    counted = (
        f"SELECT count(*) FROM (SELECT 1 FROM ({_matches_sql(session)}) h {rank.VISIBLE_HITS} LIMIT {MAX_TOTAL + 1}) c"
    )
    total = session.connection().execute(text(counted), params).scalar_one()
    return {"items": _present(session, rows, terms), "total": min(total, MAX_TOTAL), "more": total > MAX_TOTAL}


def _by_id(session: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    ids.discard(None)
    return {r.id: r for r in session.exec(select(model).where(col(model.id).in_(ids))).all()} if ids else {}


def _present(session: Session, rows: Sequence[Any], terms: Terms) -> list[dict[str, Any]]:
    meetings = _by_id(session, Meeting, {r.meeting_id for r in rows})
    docs = _by_id(session, Document, {r.document_id for r in rows})
    items = _by_id(session, AgendaItem, {r.agenda_item_id for r in rows} | {d.agenda_item_id for d in docs.values()})
    pages = _page_texts(session, [(r.version_id, r.page) for r in rows if r.page is not None])
    out = []
    for r in rows:
        m, d = meetings[r.meeting_id], docs.get(r.document_id)
        item = items.get(r.agenda_item_id if d is None else d.agenda_item_id)
        marks: list[list[int]]
        if d is not None and d.restricted:
            snip, marks = None, []
        else:
            snip, marks = snippet.make(_source(r, m, d, item, pages), terms)
        out.append(
            {
                "kind": r.kind,
                "meeting": {
                    "id": m.id,
                    "title": m.title,
                    "scheduled_at": iso(m.scheduled_at) if m.scheduled_at else None,
                },
                "agenda_item": {"id": item.id, "title": item.title} if item else None,
                "document": {"id": d.id, "title": d.title, "restricted": d.restricted} if d else None,
                "page": r.page,
                "snippet": snip,
                "highlights": marks,
            }
        )
    return out


def _source(r: Any, m: Meeting, d: Document | None, item: AgendaItem | None, pages: dict[tuple[int, int], str]) -> str:
    if d is not None:
        return pages.get((r.version_id, r.page), "") if r.page is not None else d.title
    if r.kind == "agenda_item" and item is not None:
        return index.item_text(item)
    return "\n".join(p for p in (m.title, m.description) if p)


def _page_texts(session: Session, keys: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    out: dict[tuple[int, int], str] = {}
    for version_id in {v for v, _ in keys}:
        wanted = [n for v, n in keys if v == version_id]
        stmt = select(DocumentPage).where(DocumentPage.version_id == version_id, col(DocumentPage.page).in_(wanted))
        out.update({(p.version_id, p.page): p.text for p in session.exec(stmt).all()})
    return out
