"""Tasks of conclusion notices: a task done after its due day stays "done late" (hoàn thành quá hạn, compared on the
organisation's clock at the end of the due day); tasks corrected while drafted; deadlines extended or tasks
reassigned after issue, with a reason; deadlines checked again when the notice is approved and signed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session, col, select

from app.db import Database
from ledger.models import AuditEntry
from core import outbox
from core.clock import local, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from infra.settings import Settings
from notices import issuing, tasks
from notices import services as notices
from notices.models import NoticeTask, TaskState
from notices.shapes import task_data
from notifications.texts import render
from tests.factories import call, denied_then_allowed
from tests.notice_helpers import UNIT, held_meeting, issued_notice, signed_by, unit_user


def _task(deadline: date, done_at: datetime | None) -> NoticeTask:
    return NoticeTask(
        id=1,
        notice_id=1,
        unit="Bộ Tài chính",
        what="Báo cáo",
        deadline=deadline,
        state=TaskState.done if done_at else TaskState.open,
        percent=100 if done_at else 0,
        done_at=done_at,
    )


def test_done_late_is_counted_at_the_end_of_the_due_day_on_the_organisations_clock() -> None:
    due = date(2026, 12, 7)
    today = date(2026, 12, 10)
    on_time = task_data(_task(due, datetime(2026, 12, 7, 16, 59, tzinfo=timezone.utc)), today)  # 23:59 in Hà Nội
    assert (on_time["late"], on_time["done_late"], on_time["overdue"]) == (False, False, False)
    late = task_data(_task(due, datetime(2026, 12, 7, 17, 1, tzinfo=timezone.utc)), today)  # 00:01 on the 8th
    assert (late["late"], late["done_late"], late["overdue"]) == (True, True, False)
    still_open = task_data(_task(due, None), today)
    assert (still_open["late"], still_open["done_late"], still_open["overdue"]) == (True, False, True)


def test_a_task_done_after_its_deadline_stays_done_late(settings: Settings, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    today = local(utcnow()).date()
    nid, task_id = issued_notice(db, h, settings.data_dir, today + timedelta(days=2))

    def time_passes(session: Session) -> None:  # the deadline is now behind us (the clock cannot be moved)
        task = session.get(NoticeTask, task_id)
        assert task is not None
        task.deadline = today - timedelta(days=1)
        session.add(task)

    db.run_write(time_passes)
    done = call(db, tasks.report, actor=h.ministry, task_id=task_id, percent=100, note="Đã xong", done=True)
    assert done["state"] == "done" and done["late"] is True and done["done_late"] is True and done["overdue"] is False
    dash = call(db, tasks.dashboard, actor=c.chair)
    assert dash["counts"]["tasks_done_late"] == 1 and dash["counts"]["tasks_late"] == 0
    assert [t["done_late"] for t in dash["tasks"]["done"]] == [True]
    assert [t["id"] for t in call(db, tasks.list_tasks, actor=c.staff, state="done_late")] == [task_id]
    assert [t["id"] for t in call(db, tasks.list_tasks, actor=c.staff, state="late")] == [task_id]
    assert call(db, tasks.list_tasks, actor=c.staff, state="overdue") == []


def _draft_with_task(db: Database, h, deadline: date) -> tuple[int, int]:
    c = h.cabinet
    nid = call(db, notices.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]
    task_id = call(
        db,
        notices.add_task,
        actor=c.staff,
        notice_id=nid,
        conclusion_id=None,
        unit=UNIT,
        what="Báo cáo kết quả rà soát dự toán.",
        deadline=deadline,
    )["id"]
    return nid, task_id


@pytest.mark.service_pair("notices.services.update_task", "notices.services.delete_task")
def test_a_drafts_tasks_are_corrected_and_deleted_by_the_secretariat_only(db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    today = local(utcnow()).date()
    nid, task_id = _draft_with_task(db, h, today + timedelta(days=10))
    fixed = denied_then_allowed(
        db,
        notices.update_task,
        c.chair,
        c.staff,
        notice_id=nid,
        task_id=task_id,
        what="Báo cáo kết quả rà soát dự toán năm 2027.",
        deadline=today + timedelta(days=20),
    )
    assert fixed["what"].endswith("2027.") and fixed["deadline"] == (today + timedelta(days=20)).isoformat()
    with pytest.raises(ValidationFailed):  # a typo of the year is refused, not printed in the signed PDF
        call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=task_id, deadline=date(2999, 12, 31))
    with pytest.raises(ValidationFailed):
        call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=task_id, deadline=today - timedelta(1))
    with pytest.raises(NotFound):  # a task of another notice
        call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=10**6, what="x")
    after = denied_then_allowed(db, notices.delete_task, c.members[0], c.staff, notice_id=nid, task_id=task_id)
    assert after["tasks"] == []
    task2 = call(
        db,
        notices.add_task,
        actor=c.staff,
        notice_id=nid,
        conclusion_id=None,
        unit=UNIT,
        what="Nhiệm vụ thứ hai.",
        deadline=today + timedelta(days=5),
    )["id"]
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    with pytest.raises(Conflict):  # submitted: the text is the chair's to approve
        call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=task2, what="Khác")
    with pytest.raises(Conflict):
        call(db, notices.delete_task, actor=c.staff, notice_id=nid, task_id=task2)
    with db.read_session() as s:
        kinds = [e.type for e in s.exec(select(AuditEntry).where(col(AuditEntry.type).like("task.%"))).all()]
    assert "task.updated" in kinds and "task.deleted" in kinds


@pytest.mark.service_pair("notices.tasks.extend_task", "notices.tasks.reassign_task")
def test_after_issue_the_secretariat_extends_or_reassigns_a_task_with_a_reason(
    settings: Settings, db: Database
) -> None:
    h = held_meeting(db)
    c = h.cabinet
    other = unit_user(db, unit="Bộ Tư pháp", name="Phạm Thị Tư Pháp")
    today = local(utcnow()).date()
    nid, task_id = issued_notice(db, h, settings.data_dir, today + timedelta(days=2))
    new_deadline = today + timedelta(days=30)
    got = denied_then_allowed(
        db,
        tasks.extend_task,
        c.chair,
        c.staff,
        task_id=task_id,
        deadline=new_deadline,
        reason="Chờ ý kiến Bộ Tư pháp",
    )
    assert got["deadline"] == new_deadline.isoformat()
    with pytest.raises(ValidationFailed):  # earlier: not an extension
        call(db, tasks.extend_task, actor=c.staff, task_id=task_id, deadline=today + timedelta(days=3), reason="x")
    with pytest.raises(Forbidden):  # the unit cannot move its own deadline
        call(db, tasks.extend_task, actor=h.ministry, task_id=task_id, deadline=new_deadline, reason="x")
    got = denied_then_allowed(
        db, tasks.reassign_task, h.ministry, c.staff, task_id=task_id, unit="bộ tư pháp", reason="Đúng chức năng"
    )
    assert got["unit"] == "Bộ Tư pháp"
    with pytest.raises(ValidationFailed):
        call(db, tasks.reassign_task, actor=c.staff, task_id=task_id, unit="Bộ Tư pháp", reason="lại")
    jobs = _notify_jobs(db)
    extended = [j for j in jobs if j["event"] == "task.extended"]
    assert len(extended) == 1 and h.ministry.id in extended[0]["user_ids"] and c.chair.id in extended[0]["user_ids"]
    assert extended[0]["params"]["reason"] == "Chờ ý kiến Bộ Tư pháp"
    moved = [j for j in jobs if j["event"] == "task.reassigned"]
    assert len(moved) == 1 and {h.ministry.id, other.id} <= set(moved[0]["user_ids"])
    subject, body = render("task.reassigned", moved[0]["params"], "vi")
    assert "Bộ Tài chính" in body and "Bộ Tư pháp" in body and "Đúng chức năng" in body
    with db.read_session() as s:
        audit = {e.type: e.summary for e in s.exec(select(AuditEntry).where(col(AuditEntry.type).like("task.%"))).all()}
    assert (
        "Chờ ý kiến Bộ Tư pháp" in audit["task.extended"]
        and "từ Bộ Tài chính cho Bộ Tư pháp" in audit["task.reassigned"]
    )
    # the new unit reports; once done it is no longer extended
    call(db, tasks.report, actor=other, task_id=task_id, percent=100, note="", done=True)
    with pytest.raises(Conflict):
        call(db, tasks.extend_task, actor=c.staff, task_id=task_id, deadline=new_deadline + timedelta(1), reason="x")


def test_a_deadline_passed_by_approval_or_signature_is_refused_naming_the_task(
    settings: Settings, db: Database
) -> None:
    h = held_meeting(db)
    c = h.cabinet
    today = local(utcnow()).date()
    nid, task_id = _draft_with_task(db, h, today + timedelta(days=3))
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    submitted = [j for j in _notify_jobs(db) if j["event"] == "notice.submitted"]
    assert len(submitted) == 1 and submitted[0]["user_ids"] == [c.chair.id]  # the chair is told

    def time_passes(session: Session) -> None:
        task = session.get(NoticeTask, task_id)
        assert task is not None
        task.deadline = today - timedelta(days=1)
        session.add(task)

    db.run_write(time_passes)
    with pytest.raises(Conflict) as refused:
        call(db, issuing.approve, actor=c.chair, notice_id=nid)
    assert refused.value.details["task_id"] == task_id and "Báo cáo kết quả rà soát" in str(refused.value.message)
    # the chair returns it, the secretariat corrects the deadline, it is approved; then the deadline passes again
    call(db, notices.return_to_draft, actor=c.chair, notice_id=nid)
    call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=task_id, deadline=today + timedelta(days=3))
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    from tests.minutes_helpers import signer_keys

    signer_keys(settings.data_dir, c)
    number = call(db, issuing.approve, actor=c.chair, notice_id=nid)["number"]
    db.run_write(time_passes)
    with pytest.raises(Conflict):
        db.run_read(issuing.prepare_signature, actor=c.chair, notice_id=nid)
    # an approved notice goes back too (it keeps its number); corrected, it is approved and signed
    back = call(db, notices.return_to_draft, actor=c.chair, notice_id=nid)
    assert back["state"] == "draft" and back["number"] == number
    call(db, notices.update_task, actor=c.staff, notice_id=nid, task_id=task_id, deadline=today + timedelta(days=3))
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    assert call(db, issuing.approve, actor=c.chair, notice_id=nid)["number"] == number
    job, signed, at = signed_by(db, c.chair, nid, settings.data_dir)
    assert (
        call(db, issuing.store_signature, actor=c.chair, job=job, pdf_bytes=signed, signed_at=at)["state"] == "issued"
    )


def _notify_jobs(db: Database) -> list[dict]:
    with db.read_session() as s:
        return [
            p
            for k, r in outbox.all_keys(session=s)
            if k == "notify"
            for _, p in outbox.pending(session=s, kind=k, ref=r)
        ]
