"""The reminder one working day before the deadline goes once, to those who have not answered everything, and
is recorded as a "notify" outbox job in the same transaction (so a restart neither loses nor repeats it)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from app.db import Database
from core import outbox
from polls import closing
from polls.models import Poll
from tests.factories import call
from tests.poll_helpers import answer, make_board, make_poll
from workdays.services import add_working_days

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _notify_jobs(db: Database, event: str) -> list[dict]:
    with db.read_session() as s:
        return [
            p
            for k, r in outbox.all_keys(session=s)
            if k == "notify"
            for _, p in outbox.pending(session=s, kind=k, ref=r)
            if p["event"] == event
        ]


def test_reminder_once_one_working_day_before(db: Database) -> None:
    b = make_board(db, n_members=3)
    with db.read_session() as s:
        day = add_working_days(s, (datetime.now(VN) + timedelta(days=10)).date(), 1)
        expected_day = add_working_days(s, day, -1)
    deadline = datetime(day.year, day.month, day.day, 17, 0, tzinfo=VN)
    poll = make_poll(db, b, deadline=deadline)
    answer(db, poll, b.members[0], "agree", "agree")
    answer(db, poll, b.members[1], "agree")  # one question left
    with db.read_session() as s:
        remind_at = s.get(Poll, poll["id"]).remind_at  # type: ignore[union-attr]
    assert remind_at is not None
    assert remind_at.replace(tzinfo=timezone.utc).astimezone(VN) == datetime(
        expected_day.year, expected_day.month, expected_day.day, 17, 0, tzinfo=VN
    )
    before = remind_at.replace(tzinfo=timezone.utc) - timedelta(seconds=1)
    assert call(db, closing.due_reminders, now=before) == []
    assert call(db, closing.send_reminder, poll_id=poll["id"], now=before) is False
    at = before + timedelta(seconds=2)
    assert call(db, closing.due_reminders, now=at) == [poll["id"]]
    assert call(db, closing.send_reminder, poll_id=poll["id"], now=at) is True
    assert call(db, closing.send_reminder, poll_id=poll["id"], now=at) is False  # another node, or after a restart
    assert call(db, closing.due_reminders, now=at) == []
    jobs = _notify_jobs(db, "poll.reminder")
    assert len(jobs) == 1
    assert jobs[0]["user_ids"] == sorted([b.chair.id, b.members[1].id, b.members[2].id])
    assert jobs[0]["params"]["poll_id"] == poll["id"] and jobs[0]["link"] == f"/polls/{poll['id']}"
    assert call(db, closing.next_wakeup) == deadline.astimezone(timezone.utc)


def test_an_urgent_poll_has_no_reminder(db: Database) -> None:
    b = make_board(db, n_members=2)
    poll = make_poll(db, b, deadline=datetime.now(timezone.utc) + timedelta(minutes=50))
    with db.read_session() as s:
        assert s.get(Poll, poll["id"]).remind_at is None  # type: ignore[union-attr]
