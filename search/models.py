"""One row per searchable unit: a meeting (title, description), an agenda item (title, presenter, notes), a
document's title, or one page of a document's current version. The words themselves live in the dialect's
full-text table `search_fts` (search/index.py), whose row id is this row's id; it is not an ORM table.

`document_id`, `agenda_item_id` and `version_id` carry no foreign key, like documents.agenda_item_id: the
index is derived data that the owning domains' hooks keep in step (search/index.py).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class SearchEntry(SQLModel, table=True):
    __tablename__ = "search_entry"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # meeting | agenda_item | document
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, index=True)
    document_id: int | None = Field(default=None, index=True)
    version_id: int | None = None
    page: int | None = None  # None for a document's title


FTS_TABLE = "search_fts"


def is_index_object(name: str | None) -> bool:
    """The dialect's full-text objects (FTS5 table and its shadow tables; the PostgreSQL tsvector table), which
    the migration creates outside the ORM metadata: alembic's comparison leaves them alone."""
    return bool(name) and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))  # type: ignore[union-attr]
