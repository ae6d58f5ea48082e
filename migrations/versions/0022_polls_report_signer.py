"""polls: the summary report is signed by the Government Office, then the chair decides on it

- `poll_rules.report_signer_id`, `poll_rules.report_deputy_ids`: the head of the Government Office (Bộ trưởng, Chủ
  nhiệm), who signs the summary reports (BC-VPCP), and the Vice Chairmen allowed to sign them on his behalf (KT.).
- The state `reported` between `closed` and `decided`: the report is signed, the chair has not decided yet.
- `poll.report_signed_by`, `report_signed_at`, `report_on_behalf`, `report_digest`: who signed it, when, on whose
  behalf, and the digest of the report's content he was shown (polls/reporting.py).
- `poll.decided_by`, `decided_on_sha256`, `decision_note`: the chair's decision and the signed report (its file's
  SHA-256) it was made on. Polls decided before were decided by the chair's own signature on the report: their
  rows stay as they were (no signer, no decision row).

Revision ID: 0022_polls_report_signer
Revises: 0021_email_confirm
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0022_polls_report_signer"
down_revision = "0021_email_confirm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("ALTER TYPE pollstate ADD VALUE IF NOT EXISTS 'reported'")
    with op.batch_alter_table("poll_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_signer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_deputy_ids", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_foreign_key("fk_poll_rules_report_signer_id_user", "user", ["report_signer_id"], ["id"])
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_signed_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("report_signed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("report_on_behalf", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("report_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_on_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
        batch_op.create_foreign_key("fk_poll_report_signed_by_user", "user", ["report_signed_by"], ["id"])
        batch_op.create_foreign_key("fk_poll_decided_by_user", "user", ["decided_by"], ["id"])


def downgrade() -> None:
    # Below 0021 a closed poll with a signed report waits for the chair's signature: a `reported` poll goes back to
    # `closed`, keeping the Office's signed file (its report_sha256).
    op.execute("UPDATE poll SET state = 'closed' WHERE state = 'reported'")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_constraint("fk_poll_decided_by_user", type_="foreignkey")
        batch_op.drop_constraint("fk_poll_report_signed_by_user", type_="foreignkey")
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decided_on_sha256")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("report_digest")
        batch_op.drop_column("report_on_behalf")
        batch_op.drop_column("report_signed_at")
        batch_op.drop_column("report_signed_by")
    with op.batch_alter_table("poll_rules", schema=None) as batch_op:
        batch_op.drop_constraint("fk_poll_rules_report_signer_id_user", type_="foreignkey")
        batch_op.drop_column("report_deputy_ids")
        batch_op.drop_column("report_signer_id")
