"""minutes register: minutes_number (unique per year and number) and minutes_version.number_id

Revision ID: 0008_record
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_record"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "minutes_number",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("first_version", sa.Integer(), nullable=False),
        sa.Column("allocated_by", sa.Integer(), nullable=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["allocated_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "number"),
    )
    op.create_index(op.f("ix_minutes_number_meeting_id"), "minutes_number", ["meeting_id"], unique=False)
    with op.batch_alter_table("minutes_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_minutes_version_number_id", "minutes_number", ["number_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("minutes_version", schema=None) as batch_op:
        batch_op.drop_constraint("fk_minutes_version_number_id", type_="foreignkey")
        batch_op.drop_column("number_id")
    op.drop_index(op.f("ix_minutes_number_meeting_id"), table_name="minutes_number")
    op.drop_table("minutes_number")
