"""trustee passphrase: ballot_trustee_key.sealing, how a trustee key's secret half is sealed

A trustee key may now be drawn on the trustee's tablet and sealed there with a trustee passphrase the server never
sees (`passphrase`): the server receives only the public half and the sealed blob, and an account password change
or an administrator's reset leaves such a key alone. Keys enrolled before this revision were drawn by the server and
sealed with the account password: they keep today's behaviour (re-sealed on a password change, lost on a reset) and
are marked `account_password` (docs/ballot-spec.md §7, docs/ballot-threat-model.md).

Revision ID: 0016_trustee_passphrase
Revises: 0015_ballot_fixes
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016_trustee_passphrase"
down_revision = "0015_ballot_fixes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ballot_trustee_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sealing",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="account_password",  # every key enrolled so far: drawn and sealed by the server
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ballot_trustee_key", schema=None) as batch_op:
        batch_op.drop_column("sealing")
