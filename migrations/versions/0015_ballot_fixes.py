"""ballot fixes: vote.member_count (all members at close) and ballot_trustee_key.lost_at

A secret vote's outcome is computed when the key holders decrypt, maybe long after close: the rule's counts (all
members, members entitled to vote) are now fixed at close, as for open votes, and published on the board so the
verifier recomputes the outcome. Votes closed before this revision keep member_count NULL (their outcome, if not
yet decrypted, still takes the roster at decryption; their board keeps its old shape and fingerprint).
A trustee key whose holder's password an administrator reset is marked lost (its seal opens only with the old
password); a password changed by its holder re-seals the key (votes/ballot/custody.py).

Revision ID: 0015_ballot_fixes
Revises: 0014_dkg
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_ballot_fixes"
down_revision = "0014_dkg"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_count", sa.Integer(), nullable=True))
    with op.batch_alter_table("ballot_trustee_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballot_trustee_key", schema=None) as batch_op:
        batch_op.drop_column("lost_at")
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_column("member_count")
