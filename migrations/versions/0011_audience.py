"""audience: meeting_event.audience, meeting.access_seq, outbox_job

Every meeting event names who may receive it; the meeting remembers the seq of the last event that changed
who may see what; after-commit work is a row of the transaction that asked for it (core/outbox.py).

Revision ID: 0011_audience
Revises: 0010_attendance
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011_audience"
down_revision = "0010_attendance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meeting_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="viewers")
        )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_seq", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "outbox_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_job_kind_ref", ["kind", "ref"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_job_kind_ref")
    op.drop_table("outbox_job")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("access_seq")
    with op.batch_alter_table("meeting_event", schema=None) as batch_op:
        batch_op.drop_column("audience")
