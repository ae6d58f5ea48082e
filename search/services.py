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
A broad query ranks, counts and pages its rank.RANKED (1000) most recent visible hits; `more` says there are
others. A query runs a fixed handful of statements, whatever it finds (no query per hit or per document).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, or_, text
from sqlmodel import Session, col, select

from core.actor import Actor
from core.clock import iso
from core.errors import Forbidden
from documents.models import Document, DocumentPage
from meetings.models import AgendaItem, Meeting
from search import index, rank, snippet
from search.query import Terms, parse


def search(*, session: Session, actor: Actor, q: str, limit: int = 20, offset: int = 0) -> dict[str, Any]:
    if actor.is_display:
        raise Forbidden("Màn hình phòng họp không tìm kiếm được.")
    terms = parse(q)
    ranked = rank.RANKED
    params: dict[str, Any] = {"uid": actor.id, "staff": actor.is_staff, "cap": ranked + 1}
    db = session.connection()
    if index.is_sqlite(session):
        found = db.execute(text(rank.SQLITE_CANDIDATES), params | {"match": terms.fts4()}).all()
        total, rows = len(found), _entries(session, rank.sqlite_order(found)[offset : offset + limit])
    else:
        params |= {"match": terms.tsquery(), "ranked": ranked, "limit": limit, "offset": offset}
        answer = db.execute(text(rank.postgres_page(index.PG_CONFIG)), params).all()
        total, rows = answer[0].total, [r for r in answer if r.id is not None]
    return {"items": _present(session, rows, terms), "total": min(total, ranked), "more": total > ranked}


def _entries(session: Session, ids: list[int]) -> list[Any]:
    """The search_entry rows of `ids`, in that order (one query)."""
    if not ids:
        return []
    stmt = text(f"SELECT {rank.ENTRY} FROM search_entry e WHERE e.id IN :ids")
    found = session.connection().execute(stmt.bindparams(bindparam("ids", expanding=True)), {"ids": ids}).all()
    by_id = {r.id: r for r in found}
    return [by_id[i] for i in ids]


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
    """The text of each (version_id, page), in one query of primary-key lookups (SQLite reads a row-value IN
    list by scanning the whole table)."""
    if not keys:
        return {}
    wanted = or_(*(and_(col(DocumentPage.version_id) == v, col(DocumentPage.page) == n) for v, n in set(keys)))
    stmt = select(DocumentPage.version_id, DocumentPage.page, DocumentPage.text).where(wanted)
    return {(v, n): t for v, n, t in session.exec(stmt).all()}
