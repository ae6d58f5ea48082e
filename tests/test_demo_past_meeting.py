"""The demo's ended session (tháng 10/2026) is recorded on its own day: it began at 08:00 on 04/11/2026 (Hà Nội),
members checked in before, each item took its planned time, and it ended that morning. A reviewer found its
notice and minutes dated the day the demo was loaded and every item "from 21:13 to 21:13" (all recorded in the
same second): what every demo user reads first as the example of the record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.db import Database
from app.demo.seed import PAST_AT, PAST_TITLE
from accounts.models import User
from core.actor import Actor
from core.clock import as_utc, utcnow
from meetings.models import Meeting
from minutes import services as minutes

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_the_demo_past_session_reads_its_own_day_and_hours(tmp_path: Path) -> None:
    env = {**os.environ, "ECABINET_DATA_DIR": str(tmp_path)}
    env.pop("ECABINET_DEMO_BARE", None)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    db = Database(f"sqlite:///{tmp_path / 'ecabinet.db'}")
    try:
        with db.read_session() as s:
            meeting = s.exec(select(Meeting).where(Meeting.title == PAST_TITLE)).one()
            office = s.exec(select(User).where(User.username == "vanphong")).one()
        started, ended = as_utc(meeting.started_at), as_utc(meeting.ended_at)
        assert started is not None and ended is not None
        assert PAST_AT <= started < PAST_AT.replace(minute=1)
        assert started < ended < PAST_AT.replace(hour=6), "it ends that morning (before 13:00 in Hà Nội)"
        assert ended - started >= timedelta(hours=1), "its items took their planned time"
        assert utcnow() > ended  # and the clock is today's again after the demo's past
        draft = db.run_read(minutes.get_draft, actor=Actor.of(office), meeting_id=meeting.id)
        text = json.dumps(draft, ensure_ascii=False)
        assert "04/11/2026" in text or "ngày 04 tháng 11 năm 2026" in text, text[:2000]
        today = utcnow().astimezone(HANOI).strftime("%d/%m/%Y")
        assert today not in text, "nothing of the past session is dated the day the demo was loaded"
        assert "08:00" in text
    finally:
        db.engine.dispose()
