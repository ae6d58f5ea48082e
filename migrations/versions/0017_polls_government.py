"""polls of the Government: who chairs them, the majority's base, withdrawing a poll

- `poll_rules.chair_id`, `poll_rules.deputy_ids`: who chairs the Government (the Prime Minister) and the deputies
  he designated to chair written polls; a poll's chair must be one of them (polls/access.py: government).
- `poll.members_total`: every member of the Government when the poll was sent, the base of the majority
  (polls/rules.py). Null on the polls sent before: their results stay counted as they were.
- `poll.withdrawn_at`, `poll.withdraw_reason` and the state `withdrawn`: the secretariat withdraws a poll before
  it closes, with a reason.

Revision ID: 0017_polls_government
Revises: 0016_trustee_passphrase
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0017_polls_government"
down_revision = "0016_trustee_passphrase"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE pollstate ADD VALUE IF NOT EXISTS 'withdrawn'")
    with op.batch_alter_table("poll_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chair_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deputy_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_foreign_key("fk_poll_rules_chair_id_user", "user", ["chair_id"], ["id"])
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("members_total", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdraw_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE poll SET state = 'closed' WHERE state = 'withdrawn'")  # no withdrawn state below 0017
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("withdraw_reason")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("members_total")
    with op.batch_alter_table("poll_rules", schema=None) as batch_op:
        batch_op.drop_constraint("fk_poll_rules_chair_id_user", type_="foreignkey")
        batch_op.drop_column("deputy_ids")
        batch_op.drop_column("chair_id")
