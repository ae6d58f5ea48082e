"""participants: who they were at the meeting (name, title, unit), frozen when it ends

`participant.name_at_end`, `title_at_end`, `unit_at_end`: copied from the account as the meeting ends
(meetings/services.py end_meeting), so that minutes generated later (a draft shown for signature, a correction)
print people as they were at the meeting, not as renamed, promoted or moved since (minutes/facts.py). NULL: not
frozen (a meeting not ended yet); the account row stands.

Meetings already ended get today's account values: the best there is (what they read at the meeting was not kept),
and what their minutes printed until now; from here on a rename no longer changes them.

Revision ID: 0026_minutes_identity
Revises: 0025_search_fts4
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0026_minutes_identity"
down_revision = "0025_search_fts4"
branch_labels = None
depends_on = None

COLUMNS = (("name_at_end", "full_name"), ("title_at_end", "title"), ("unit_at_end", "unit"))


def upgrade() -> None:
    for column, _ in COLUMNS:
        op.add_column("participant", sa.Column(column, sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    values = ", ".join(
        f'{column} = (SELECT "user".{source} FROM "user" WHERE "user".id = participant.user_id)'
        for column, source in COLUMNS
    )
    op.execute(f"UPDATE participant SET {values} WHERE meeting_id IN (SELECT id FROM meeting WHERE state = 'ended')")


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        for column, _ in reversed(COLUMNS):
            batch_op.drop_column(column)
