"""Search tests: documents written through the real service with given page texts (no PDF needed), on
SQLite or PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

from core.actor import Actor
from app.db import Database
from core.text import fold
from documents import services as documents
from documents.schemas import DocumentUpload, StoredFile
from search import services as search
from tests.factories import Cabinet

_n = itertools.count(1)


def add_doc(db: Database, c: Cabinet, pages: list[str], **fields: Any) -> int:
    data = DocumentUpload.model_validate({"title": fields.pop("title", "Tờ trình"), **fields})
    sha = hashlib.sha256(f"doc-{next(_n)}".encode()).hexdigest()
    stored = StoredFile(sha, len(pages), 1, "t.pdf", "pdf", [(i, t, fold(t)) for i, t in enumerate(pages, 1)])
    out = db.run_write(
        documents.add_document,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=data,
        stored=stored,
        data_dir=Path("/nonexistent"),
    )
    return out.result["id"]


def find(db: Database, actor: Actor, q: str, **kw: Any) -> dict[str, Any]:
    return db.run_read(search.search, actor=actor, q=q, **kw)


def hits(db: Database, actor: Actor, q: str) -> set[tuple[str, int | None, int | None]]:
    """(kind, document id or agenda item id or meeting id, page) of every hit."""
    out = set()
    for h in find(db, actor, q, limit=50)["items"]:
        key = (
            h["document"]["id"] if h["document"] else h["agenda_item"]["id"] if h["agenda_item"] else h["meeting"]["id"]
        )
        out.add((h["kind"], key, h["page"]))
    return out
