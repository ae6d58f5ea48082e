"""conclusions (kết luận) and minutes (biên bản): section edits, frozen versions, their PDF files

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conclusion",
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published_text", sa.Text(), nullable=True),
        sa.Column("published_revision", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("agenda_item_id"),
    )
    op.create_index(op.f("ix_conclusion_meeting_id"), "conclusion", ["meeting_id"], unique=False)
    op.create_table(
        "minutes_edit",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("section_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("meeting_id", "section_key"),
    )
    op.create_table(
        "minutes_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum("final", "secretary_signed", "signed", name="minutesstate"), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("finalised_by", sa.Integer(), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("secretary_id", sa.Integer(), nullable=True),
        sa.Column("secretary_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("chair_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["chair_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["finalised_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["secretary_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["superseded_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "version"),
    )
    op.create_index(op.f("ix_minutes_version_meeting_id"), "minutes_version", ["meeting_id"], unique=False)
    op.create_table(
        "minutes_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["minutes_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "step"),
    )
    op.create_index(op.f("ix_minutes_file_version_id"), "minutes_file", ["version_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_minutes_file_version_id"), table_name="minutes_file")
    op.drop_table("minutes_file")
    op.drop_index(op.f("ix_minutes_version_meeting_id"), table_name="minutes_version")
    op.drop_table("minutes_version")
    sa.Enum(name="minutesstate").drop(op.get_bind(), checkfirst=True)
    op.drop_table("minutes_edit")
    op.drop_index(op.f("ix_conclusion_meeting_id"), table_name="conclusion")
    op.drop_table("conclusion")
