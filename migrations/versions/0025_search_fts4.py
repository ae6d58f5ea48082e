"""search on SQLite: the full-text table `search_fts` becomes FTS4 (was FTS5), for matchinfo()

A visible hit is ranked by its own words only (search/rank.py). FTS4's matchinfo(search_fts, 'yl') hands each
matching row's own word counts and length straight from the index, in C; FTS5 has no such function callable from
Python (its bm25() also reads the whole index's statistics), so the counts were read row by row from the fts5vocab
table `search_fts_instance` (migration 0020), which walked every occurrence of each query word in the whole index
and made a broad query 3-4 times slower than before (docs/performance.md, "Search across documents").

The same tokenizer (unicode61 removing diacritics, version 2) and the same rows and texts: the text is copied from
the FTS5 table as it was indexed. The vocabulary table goes. PostgreSQL is untouched.

Revision ID: 0025_search_fts4
Revises: 0024_credential_epoch
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0025_search_fts4"
down_revision = "0024_credential_epoch"
branch_labels = None
depends_on = None

FTS4 = 'CREATE VIRTUAL TABLE search_fts USING fts4(body, tokenize=unicode61 "remove_diacritics=2")'
FTS5 = "CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"


def _rebuild(create: str, rowid: str) -> None:
    """Recreate search_fts with `create`, keeping every row id and text."""
    op.execute("CREATE TEMP TABLE search_fts_copy AS SELECT rowid AS id, body FROM search_fts")
    op.execute("DROP TABLE search_fts")
    op.execute(create)
    op.execute(f"INSERT INTO search_fts ({rowid}, body) SELECT id, body FROM search_fts_copy ORDER BY id")
    op.execute("DROP TABLE search_fts_copy")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts_instance")
        _rebuild(FTS4, "docid")
        op.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")  # one segment: the copy's merges done


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(FTS5, "rowid")
        op.execute("CREATE VIRTUAL TABLE search_fts_instance USING fts5vocab(search_fts, instance)")
