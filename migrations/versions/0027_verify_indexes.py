"""verify indexes: the public check's lookups by SHA-256 use an index; issued files replaced later are kept

The public check (/api/minutes/verify, anyone, no login) looks an upload's SHA-256 up among the minutes' files,
the notices' files, the polls' signed reports and signed answer sheets: without an index on those columns each
anonymous upload made the server scan the tables. `replaced_file` keeps the SHA-256 of an issued file whose row is
overwritten or dropped when it is replaced (a voter's later sheet, a returned notice's frozen PDF), so the check
says "issued, then replaced" (minutes/replaced.py). Files replaced before this migration were not kept.

Revision ID: 0027_verify_indexes
Revises: 0026_minutes_identity
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_verify_indexes"
down_revision = "0026_minutes_identity"  # re-chained: one line of revisions
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_minutes_file_sha256", "minutes_file", "sha256"),
    ("ix_notice_file_sha256", "notice_file", "sha256"),
    ("ix_poll_report_sha256", "poll", "report_sha256"),
    ("ix_poll_voter_sheet_sha256", "poll_voter", "sheet_sha256"),
)


def upgrade() -> None:
    for name, table, column in _INDEXES:
        op.create_index(name, table, [column], unique=False)
    op.create_table(
        "replaced_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_replaced_file_sha256", "replaced_file", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_replaced_file_sha256", table_name="replaced_file")
    op.drop_table("replaced_file")
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
