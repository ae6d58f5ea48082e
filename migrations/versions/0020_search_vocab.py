"""search vocab: `search_fts_instance`, the FTS5 vocabulary table that lists each word's occurrences (row, offset)

SQLite only. search/rank.py counts a query word's occurrences in each visible hit from it, so the ranking uses
nothing but the hit's own words (FTS5's bm25() also uses the whole index's statistics, hidden rows included).
It stores nothing: a view on search_fts's own index. PostgreSQL ranks with ts_rank, which reads only the row.

Revision ID: 0020_search_vocab
Revises: 0019_outbox_claims
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0020_search_vocab"
down_revision = "0019_outbox_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts_instance USING fts5vocab(search_fts, instance)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts_instance")
