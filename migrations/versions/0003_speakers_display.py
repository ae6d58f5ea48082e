"""speaker queue (đăng ký phát biểu), speech time limits, room display tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speech_limit_seconds", sa.Integer(), nullable=True))
    with op.batch_alter_table("org_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("speech_limit_seconds", sa.Integer(), nullable=False, server_default="300"))

    op.create_table(
        "speaker_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Enum("waiting", "speaking", "done", "withdrawn", name="speakerstate"), nullable=False),
        sa.Column("direct", sa.Boolean(), nullable=False),
        sa.Column("deputy_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("limit_seconds", sa.Integer(), nullable=True),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agenda_item_id"], ["agenda_item.id"]),
        sa.ForeignKeyConstraint(["ended_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["granted_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("speaker_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speaker_request_agenda_item_id"), ["agenda_item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speaker_request_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speaker_request_user_id"), ["user_id"], unique=False)

    op.create_table(
        "display_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("display_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_display_token_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_display_token_token_hash"), ["token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("display_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_display_token_token_hash"))
        batch_op.drop_index(batch_op.f("ix_display_token_meeting_id"))
    op.drop_table("display_token")
    with op.batch_alter_table("speaker_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speaker_request_user_id"))
        batch_op.drop_index(batch_op.f("ix_speaker_request_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_speaker_request_agenda_item_id"))
    op.drop_table("speaker_request")
    sa.Enum(name="speakerstate").drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("org_rules", schema=None) as batch_op:
        batch_op.drop_column("speech_limit_seconds")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("speech_limit_seconds")
