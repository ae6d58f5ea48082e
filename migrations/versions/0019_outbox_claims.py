"""outbox claims: a run holds its jobs, a failed run writes its back-off (core/outbox.py, infra/outbox.py)

- `outbox_job.claimed_until`: nobody else starts the job before this: the lease of the run holding it (renewed
  while it runs; a node that dies stops renewing it) or the back-off after a failed run. Null: nobody holds it.
- `outbox_job.attempts`: the job's failed runs so far; its back-off grows with them.

Revision ID: 0019_outbox_claims
Revises: 0018_document_numbers
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_outbox_claims"
down_revision = "0018_document_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox_job", schema=None) as batch_op:
        batch_op.drop_column("attempts")
        batch_op.drop_column("claimed_until")
