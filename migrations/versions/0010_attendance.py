"""attendance: attendance_change (the history of each participant's attendance), filled from the current state

Revision ID: 0010_attendance
Revises: 0009_audit
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010_attendance"
down_revision = "0009_audit"
branch_labels = None
depends_on = None

ATTENDANCE = ("unknown", "present_room", "present_remote", "absent", "deputy")
SOURCES = ("check_in", "video_join", "video_leave", "video_lost", "correction", "deputy", "migrated")


def _attendance() -> sa.types.TypeEngine:
    # The type 'attendance' exists since 0001 (participant.attendance); PostgreSQL must not create it again.
    return sa.Enum(*ATTENDANCE, name="attendance").with_variant(
        postgresql.ENUM(*ATTENDANCE, name="attendance", create_type=False), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "attendance_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", _attendance(), nullable=False),
        sa.Column("attendance", _attendance(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("source", sa.Enum(*SOURCES, name="attendancesource"), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("attendance_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_change_meeting_id"), ["meeting_id"], unique=False)
    # What was recorded before the history was kept becomes its first row (how it came about is unknown).
    op.execute(
        "INSERT INTO attendance_change (meeting_id, user_id, at, previous, attendance, note, source, actor_id) "
        "SELECT p.meeting_id, p.user_id, COALESCE(p.attendance_at, m.started_at, m.created_at), "
        "'unknown', p.attendance, "
        "CASE WHEN p.attendance = 'absent' THEN p.absence_reason "
        "WHEN p.attendance = 'deputy' THEN p.deputy_name ELSE '' END, "
        "'migrated', p.attendance_by "
        "FROM participant p JOIN meeting m ON m.id = p.meeting_id WHERE p.attendance <> 'unknown' ORDER BY p.id"
    )


def downgrade() -> None:
    with op.batch_alter_table("attendance_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_change_meeting_id"))
    op.drop_table("attendance_change")
    sa.Enum(name="attendancesource").drop(op.get_bind(), checkfirst=True)
