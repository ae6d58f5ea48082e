"""dkg: the trustees' key ceremony (ballot_ceremony, ballot_ceremony_part) and ballot_election.ceremony_id

A secret vote now uses its meeting's joint key, made by the trustees' devices (votes/ballot/dkg.py); the
server no longer deals a key. Votes opened before this revision keep their dealt key (ceremony_id NULL) and
their server-side decryption step (docs/ballot-threat-model.md says so).

Revision ID: 0014_dkg
Revises: 0013_ballots
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014_dkg"
down_revision = "0013_ballots"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_ceremony",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("trustees", sa.JSON(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("public_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("complaints", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ballot_ceremony_meeting_id"), "ballot_ceremony", ["meeting_id"], unique=False)
    op.create_table(
        "ballot_ceremony_part",
        sa.Column("ceremony_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("commitments", sa.JSON(), nullable=False),
        sa.Column("proofs", sa.JSON(), nullable=False),
        sa.Column("shares", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ceremony_id"],
            ["ballot_ceremony.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("ceremony_id", "idx"),
    )
    with op.batch_alter_table("ballot_election", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ceremony_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_ballot_election_ceremony_id"), ["ceremony_id"], unique=False)
        batch_op.create_foreign_key("fk_ballot_election_ceremony_id", "ballot_ceremony", ["ceremony_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("ballot_election", schema=None) as batch_op:
        batch_op.drop_constraint("fk_ballot_election_ceremony_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_ballot_election_ceremony_id"))
        batch_op.drop_column("ceremony_id")
    op.drop_table("ballot_ceremony_part")
    op.drop_index(op.f("ix_ballot_ceremony_meeting_id"), table_name="ballot_ceremony")
    op.drop_table("ballot_ceremony")
