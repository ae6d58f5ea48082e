"""display links of creators who lost their meeting role: revoked for good

Since this revision a hall-display link ends for good when the person who made it loses the meeting role he made
it with (meetings/display_ends.py). Links made before, whose creator is neither the secretariat nor that
meeting's secretary today, only stopped working while that lasted: made secretary again, he would bring them
back. They are revoked now, as they would have been at the role change.

Revision ID: 0028_display_links_orphaned
Revises: 0027_verify_indexes
Create Date: 2026-12-05
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0028_display_links_orphaned"
down_revision = "0027_verify_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.get_bind().execute(
        sa.text(
            "UPDATE display_token SET revoked_at = :now WHERE revoked_at IS NULL "
            "AND created_by NOT IN (SELECT id FROM \"user\" WHERE role IN ('admin', 'secretariat')) "
            "AND NOT EXISTS (SELECT 1 FROM participant p WHERE p.meeting_id = display_token.meeting_id "
            "AND p.user_id = display_token.created_by AND p.role = 'secretary')"
        ),
        {"now": datetime.now(timezone.utc)},
    )


def downgrade() -> None:
    pass  # a revoked link stays revoked: nothing to undo
