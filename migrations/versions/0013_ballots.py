"""ballots: encrypted secret ballots (ballot_secret, ballot_election, ballot_trustee_share, ballot_trustee_key,
vote.trustee_ids) replace the per-option counters of secret votes (vote_secret_tally is dropped)

Existing secret votes move to the new storage without their counters' history: a closed or published one
keeps its result (already in vote.result) and has no board (it was cast before encryption existed); an open
one cannot be turned into encrypted ballots, so it goes back to draft with its voter records removed and is
opened again (members vote again, encrypted).

Revision ID: 0013_ballots
Revises: 0012_search
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013_ballots"
down_revision = "0013_notices"  # re-chained at merge
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_secret",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["vote.id"],
        ),
        sa.PrimaryKeyConstraint("vote_id", "receipt"),
        sa.UniqueConstraint("vote_id", "token"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ballot_election",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("params_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("total", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["vote.id"],
        ),
        sa.PrimaryKeyConstraint("vote_id"),
    )
    op.create_table(
        "ballot_trustee_share",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partial", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["vote.id"],
        ),
        sa.PrimaryKeyConstraint("vote_id", "idx"),
    )
    op.create_table(
        "ballot_trustee_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sealed", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trustee_ids", sa.JSON(), nullable=True))
    # Open secret votes: their plaintext counters cannot become ballots; back to draft, voters vote again.
    op.execute("DELETE FROM vote_voter WHERE vote_id IN (SELECT id FROM vote WHERE kind = 'secret' AND state = 'open')")
    op.execute(
        "UPDATE vote SET state = 'draft', voted_count = 0, revision = 0, tally_revision = 0, opened_at = NULL "
        "WHERE kind = 'secret' AND state = 'open'"
    )
    op.drop_table("vote_secret_tally")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's rowid of vote_voter was the order of voting: the table becomes WITHOUT ROWID (key order).
        op.execute(
            "CREATE TABLE vote_voter_new (vote_id INTEGER NOT NULL, user_id INTEGER NOT NULL, "
            'PRIMARY KEY (vote_id, user_id), FOREIGN KEY(user_id) REFERENCES "user" (id), '
            "FOREIGN KEY(vote_id) REFERENCES vote (id)) WITHOUT ROWID"
        )
        op.execute(
            "INSERT INTO vote_voter_new (vote_id, user_id) "
            "SELECT vote_id, user_id FROM vote_voter ORDER BY vote_id, user_id"
        )
        op.execute("DROP TABLE vote_voter")
        op.execute("ALTER TABLE vote_voter_new RENAME TO vote_voter")


def downgrade() -> None:
    op.create_table(
        "vote_secret_tally",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["vote_option.id"],
        ),
        sa.ForeignKeyConstraint(
            ["vote_id"],
            ["vote.id"],
        ),
        sa.PrimaryKeyConstraint("vote_id", "option_id"),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_column("trustee_ids")
    op.drop_table("ballot_trustee_key")
    op.drop_table("ballot_trustee_share")
    op.drop_table("ballot_election")
    op.drop_table("ballot_secret")
