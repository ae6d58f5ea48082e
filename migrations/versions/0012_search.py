"""search: search_entry and the dialect's full-text table search_fts (SQLite FTS5; PostgreSQL tsvector + GIN with
unaccent), filled from the meetings, agenda items and documents already stored

Revision ID: 0012_search
Revises: 0011_audience
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlmodel import Session

revision = "0012_search"
down_revision = "0011_audience"
branch_labels = None
depends_on = None

# Every word-like token type of the default parser goes through unaccent, then simple (lower case, no stop words).
_TOKENS = "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart"


def upgrade() -> None:
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_entry_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_entry_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_search_entry_meeting_id"), ["meeting_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE TEXT SEARCH CONFIGURATION ecabinet_vi (COPY = simple)")
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION ecabinet_vi ALTER MAPPING FOR {_TOKENS} WITH unaccent, simple")
        # meeting_id and document_id ride along, so the permission filter of a broad query (tens of thousands of
        # matching pages) joins only the small tables, never search_entry (bench/search.py: p95 1.1 s → see docs).
        op.execute(
            "CREATE TABLE search_fts (rowid integer PRIMARY KEY REFERENCES search_entry (id) ON DELETE CASCADE, "
            "meeting_id integer NOT NULL, document_id integer, tsv tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX search_fts_tsv ON search_fts USING gin (tsv)")
    from search.index import rebuild  # derived data: index what is already stored, as the application would

    rebuild(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.execute("DROP TABLE search_fts")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP TEXT SEARCH CONFIGURATION ecabinet_vi")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_entry_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_search_entry_document_id"))
        batch_op.drop_index(batch_op.f("ix_search_entry_agenda_item_id"))
    op.drop_table("search_entry")
