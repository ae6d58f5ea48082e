"""email confirm: `notification_address_change`, a new notification address awaiting its owner's confirmation link

A user's new address is used only once confirmed from the link mailed to it (notifications/address.py): the
SHA-256 of the link's token, its expiry, and how it ended (confirmed, cancelled, replaced, removed). At most one
open change per user (a partial unique index on user_id where ended_at is null).

Revision ID: 0021_email_confirm
Revises: 0020_search_vocab
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0021_email_confirm"
down_revision = "0020_search_vocab"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_address_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("notification_address_change", schema=None) as batch_op:
        batch_op.create_index(
            "uq_notification_address_change_pending",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
        batch_op.create_index("ix_notification_address_change_user_created", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_address_change", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_address_change_user_created")
        batch_op.drop_index("uq_notification_address_change_pending")
    op.drop_table("notification_address_change")
