"""document numbers: the notices' symbol kept with each number, the register of the polls' summary reports

- `notice_number.symbol`: the ký hiệu given with the number. A conclusion notice is signed by the meeting's chair,
  so it is issued under the Prime Minister's name ("TB-TTg", docs/notices-and-notifications.md); the numbers given
  before keep the "TB-VPCP" printed on their PDFs.
- `poll_report_number`: Số: NN/BC-VPCP of a poll's summary report, unique per (year, number), one per poll.

Revision ID: 0018_document_numbers
Revises: 0017_polls_government
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0018_document_numbers"
down_revision = "0017_polls_government"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notice_number", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("symbol", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="TB-VPCP")
        )
    op.create_table(
        "poll_report_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "number"),
        sa.UniqueConstraint("poll_id"),
    )


def downgrade() -> None:
    op.drop_table("poll_report_number")
    with op.batch_alter_table("notice_number", schema=None) as batch_op:
        batch_op.drop_column("symbol")
