"""polls: written opinion polls (phiếu lấy ý kiến): polls, questions, voters, answers, deadline extensions,
documents, and the organisation's poll rules

Revision ID: 0013_polls
Revises: 0013_workdays
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013_polls"
down_revision = "0013_workdays"  # the lead re-chains the 0013_* migrations at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("silence_default", sa.Enum("agree", "none", name="silence"), nullable=False),
        sa.Column("require_signed_answers", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "poll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "state", sa.Enum("draft", "submitted", "open", "closed", "decided", name="pollstate"), nullable=False
        ),
        sa.Column("chair_id", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("silence_counts_as", sa.Enum("agree", "none", name="silence"), nullable=False),
        sa.Column("require_signature", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["chair_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.create_index("ix_poll_state_deadline", ["state", "deadline_at"], unique=False)

    op.create_table(
        "poll_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("restricted", sa.Boolean(), nullable=False),
        sa.Column("allowed_user_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_document_poll_id"), ["poll_id"], unique=False)

    op.create_table(
        "poll_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("old_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll_extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_extension_poll_id"), ["poll_id"], unique=False)

    op.create_table(
        "poll_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll_question", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_question_poll_id"), ["poll_id"], unique=False)

    op.create_table(
        "poll_voter",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("sheet_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("answers_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("poll_id", "user_id"),
    )
    with op.batch_alter_table("poll_voter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_voter_user_id"), ["user_id"], unique=False)

    op.create_table(
        "poll_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Enum("agree", "disagree", "other", name="choice"), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["poll.id"],
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["poll_question.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("question_id", "user_id"),
    )
    with op.batch_alter_table("poll_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_poll_answer_poll_id"), ["poll_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("poll_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_answer_poll_id"))

    op.drop_table("poll_answer")
    with op.batch_alter_table("poll_voter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_voter_user_id"))

    op.drop_table("poll_voter")
    with op.batch_alter_table("poll_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_question_poll_id"))

    op.drop_table("poll_question")
    with op.batch_alter_table("poll_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_extension_poll_id"))

    op.drop_table("poll_extension")
    with op.batch_alter_table("poll_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_document_poll_id"))

    op.drop_table("poll_document")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_state_deadline")

    op.drop_table("poll")
    op.drop_table("poll_rules")
    if op.get_bind().dialect.name != "sqlite":
        for name in ("choice", "pollstate", "silence"):
            op.execute(f"DROP TYPE IF EXISTS {name}")
