"""audit log: keyed MAC per row, stored facts for the state check

Existing rows keep mac NULL (written before the key existed); the application anchors them under the key
with an 'audit.anchored' row on its first write after this upgrade (ledger/chain.py, docs/audit.md).

Revision ID: 0009_audit
Revises: 0008_record
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009_audit"
down_revision = "0008_record"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("mac", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("mac")
        batch_op.drop_column("data")
