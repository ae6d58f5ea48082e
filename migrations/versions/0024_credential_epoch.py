"""credential epoch: `user.credential_epoch`; a hall-display link's fixed lifetime and its creator's epoch

`user.credential_epoch` is bumped by a password change or reset, a deactivation and a change of global role
(accounts/services.py: end_credentials). Device cookies are bound to it (accounts/devices.py), and so is a
hall-display link (`display_token.creator_epoch`, the creator's epoch when it was made): a bumped epoch ends them
for good. Existing accounts and links start at 0.

`display_token.valid_until`: a link's lifetime, fixed when it is made (meetings/display_rules.py): the end of the
organisation's day (ECABINET_TIMEZONE) of its meeting's scheduled date, or of the day it was made if later.
Existing links get the same from their meeting's scheduled date and their own creation time.

Revision ID: 0024_credential_epoch
Revises: 0022_polls_report_signer
Create Date: 2026-12-05
"""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0024_credential_epoch"
down_revision = "0022_polls_report_signer"
branch_labels = None
depends_on = None

_TOKEN = sa.table(
    "display_token",
    sa.column("id", sa.Integer()),
    sa.column("meeting_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("valid_until", sa.DateTime(timezone=True)),
)
_MEETING = sa.table("meeting", sa.column("id", sa.Integer()), sa.column("scheduled_at", sa.DateTime(timezone=True)))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _end_of_day(moment: datetime, zone: ZoneInfo) -> datetime:
    day = _utc(moment).astimezone(zone).date()
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)


def upgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_epoch", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("display_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("creator_epoch", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
    # The lifetime existing links would have been given (meetings/display_rules.py valid_until), on the
    # organisation's clock as configured for this server (the app's default when unset).
    zone = ZoneInfo(os.environ.get("ECABINET_TIMEZONE") or "Asia/Ho_Chi_Minh")
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_TOKEN.c.id, _TOKEN.c.created_at, _MEETING.c.scheduled_at).select_from(
            _TOKEN.outerjoin(_MEETING, _MEETING.c.id == _TOKEN.c.meeting_id)
        )
    ).all()
    for token_id, created_at, scheduled_at in rows:
        made = _utc(created_at)
        until = _end_of_day(max(_utc(scheduled_at or made), made), zone)
        bind.execute(sa.update(_TOKEN).where(_TOKEN.c.id == token_id).values(valid_until=until))
    with op.batch_alter_table("display_token", schema=None) as batch_op:
        batch_op.alter_column("valid_until", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("display_token", schema=None) as batch_op:
        batch_op.drop_column("valid_until")
        batch_op.drop_column("creator_epoch")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("credential_epoch")
