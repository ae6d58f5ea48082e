"""Every reader of an issued notice sees what it assigns to whom and by when; a task's progress (how far, done,
late) only its unit, the secretariat and the chair see (notices/shapes.py), as on the task list itself."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.db import Database
from core.clock import local, utcnow
from infra.settings import Settings
from notices import services
from notices.models import NoticeTask
from sqlmodel import Session
from tests.notice_helpers import UNIT, held_meeting, issued_notice


async def test_another_units_progress_is_not_shown_to_a_reader_of_the_notice(settings: Settings, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    today = local(utcnow()).date()
    nid, task_id = await asyncio.to_thread(issued_notice, db, h, settings.data_dir, today + timedelta(days=5))

    def halfway(session: Session) -> None:
        task = session.get(NoticeTask, task_id)
        assert task is not None
        task.percent = 50
        session.add(task)

    db.run_write(halfway)

    def task_as(actor) -> dict:
        notice = db.run_read(services.get_notice, actor=actor, notice_id=nid)
        return next(t for t in notice["tasks"] if t["id"] == task_id)

    for follower in (h.ministry, c.staff, c.chair):  # its unit, the secretariat, the chair: the progress
        seen = task_as(follower)
        assert seen["unit"] == UNIT and seen["percent"] == 50 and seen["state"] == "open"
    seen = task_as(c.members[0])  # a participant of the meeting, of another unit: what, by whom, by when
    assert seen["unit"] == UNIT and seen["what"] and seen["deadline"]
    assert seen["percent"] is None and seen["state"] is None and seen["done_at"] is None


async def test_a_guest_of_the_unit_neither_reads_nor_reports_its_tasks(settings: Settings, db: Database) -> None:
    from accounts.models import GlobalRole, User
    from core.actor import Actor
    from core.errors import Forbidden
    from notices import tasks

    h = held_meeting(db)
    today = local(utcnow()).date()
    nid, task_id = await asyncio.to_thread(issued_notice, db, h, settings.data_dir, today + timedelta(days=5))

    def as_guest(session: Session) -> None:
        user = session.get(User, h.ministry.id)
        assert user is not None
        user.role = GlobalRole.guest

    db.run_write(as_guest)
    guest = Actor(id=h.ministry.id, username=h.ministry.username, full_name=h.ministry.full_name, role=GlobalRole.guest)
    with pytest.raises(Forbidden):
        db.run_read(tasks.task_reports, actor=guest, task_id=task_id)
    with pytest.raises(Forbidden):
        db.run_write(tasks.report, actor=guest, task_id=task_id, percent=100, note="xong", done=True)
    with db.read_session() as s:
        task = s.get(NoticeTask, task_id)
        assert task is not None and task.state == "open"  # not closed by the guest


def test_a_task_goes_to_a_unit_its_users_belong_to_spelled_as_they_are(db: Database) -> None:
    from core.errors import ValidationFailed
    from notices.services import known_unit

    held_meeting(db)  # its ministry user belongs to UNIT
    with db.read_session() as session:
        assert known_unit(session, "bộ  tài CHÍNH") == UNIT  # case and spaces: the records' spelling
        assert known_unit(session, "Bo Tai chinh") == UNIT  # typed without diacritics
        for wrong in ("Bộ Tài chánh", "Bộ Không Có"):
            with pytest.raises(ValidationFailed) as refused:
                known_unit(session, wrong)
            assert refused.value.details[0]["field"] == "unit"
