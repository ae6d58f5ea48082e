"""Follow-up of the tasks conclusion notices assign: the list each reader may see, progress reports by the
assigned unit's users, the dashboard (what is open, due and late) and the overdue check.

Who sees which task: the secretariat every task; a chair the tasks of the notices of meetings they chaired;
a unit's users the tasks of their unit in issued notices.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole
from core.clock import DEFAULT_TIMEZONE, iso, utcnow
from core.errors import Conflict, Forbidden, NotFound
from meetings.models import MeetingRole, Participant
from notices.access import unit_of
from notices.models import ConclusionNotice, NoticeState, NoticeTask, TaskReport, TaskState
from notices.changes import record_change, tell_units
from notices.services import list_notices
from notices.shapes import Zone, task_data, today

DUE_SOON_DAYS = 3


def _visible(session: Session, actor: Actor) -> list[tuple[NoticeTask, ConclusionNotice]]:
    rows = session.exec(
        select(NoticeTask, ConclusionNotice)
        .join(ConclusionNotice, col(ConclusionNotice.id) == NoticeTask.notice_id)
        .order_by(col(NoticeTask.deadline), col(NoticeTask.id))
    ).all()
    if actor.is_staff:
        return list(rows)
    chaired = set(
        session.exec(
            select(Participant.meeting_id).where(Participant.user_id == actor.id, Participant.role == MeetingRole.chair)
        ).all()
    )
    unit = unit_of(session, actor)
    return [
        (t, n)
        for t, n in rows
        if n.meeting_id in chaired or (unit and t.unit == unit and n.state == NoticeState.issued)
    ]


def _require_follower(actor: Actor) -> None:
    if actor.is_display or actor.role == GlobalRole.guest:
        raise Forbidden("Khách mời không theo dõi nhiệm vụ.")


def list_tasks(
    *, session: Session, actor: Actor, state: str | None = None, tz: Zone = DEFAULT_TIMEZONE
) -> list[dict[str, Any]]:
    _require_follower(actor)
    now = today(tz)
    out = [task_data(t, now) for t, _ in _visible(session, actor)]
    if state == "late":
        return [t for t in out if t["late"]]
    return [t for t in out if state is None or t["state"] == state]


def report(
    *, session: Session, actor: Actor, task_id: int, percent: int, note: str, done: bool, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """A unit's user reports progress on their unit's task of an issued notice (append-only reports)."""
    _require_follower(actor)  # a guest of the unit follows no task: it neither reads nor writes its progress
    task = session.get(NoticeTask, task_id)
    notice = session.get(ConclusionNotice, task.notice_id) if task else None
    if task is None or notice is None or (task, notice) not in _visible(session, actor):
        raise NotFound("Không tìm thấy nhiệm vụ.", details={"task_id": task_id})
    if not (unit_of(session, actor) == task.unit and notice.state == NoticeState.issued):
        raise Forbidden("Chỉ cán bộ của cơ quan được giao nhiệm vụ được báo cáo tiến độ.")
    if task.state == TaskState.done:
        raise Conflict("Nhiệm vụ đã hoàn thành.", details={"task_id": task_id})
    percent = 100 if done else percent
    session.add(TaskReport(task_id=task_id, user_id=actor.id, percent=percent, note=note, done=done))
    task.percent, task.updated_at = percent, utcnow()
    if done:
        task.state, task.done_at = TaskState.done, utcnow()
    session.add(task)
    record_change(session, notice, actor, "task.reported", task_id=task_id, percent=percent, done=done)
    return task_data(task, today(tz))


def task_reports(*, session: Session, actor: Actor, task_id: int) -> list[dict[str, Any]]:
    _require_follower(actor)
    task = session.get(NoticeTask, task_id)
    notice = session.get(ConclusionNotice, task.notice_id) if task else None
    if task is None or notice is None or (task, notice) not in _visible(session, actor):
        raise NotFound("Không tìm thấy nhiệm vụ.", details={"task_id": task_id})
    rows = session.exec(select(TaskReport).where(TaskReport.task_id == task_id).order_by(col(TaskReport.id))).all()
    return [
        {"id": r.id, "user_id": r.user_id, "percent": r.percent, "note": r.note, "done": r.done, "at": iso(r.at)}
        for r in rows
    ]


def dashboard(*, session: Session, actor: Actor, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """Notices not yet issued (due date, at risk, late) and tasks open, due within DUE_SOON_DAYS, late."""
    _require_follower(actor)
    now = today(tz)
    notices = [n for n in list_notices(session=session, actor=actor, tz=tz) if n["state"] != NoticeState.issued.value]
    tasks = [task_data(t, now) for t, _ in _visible(session, actor)]
    open_ = [t for t in tasks if t["state"] == "open"]
    soon = now + timedelta(days=DUE_SOON_DAYS)
    return {
        "today": now.isoformat(),
        "my_unit": unit_of(session, actor) or None,  # the page offers progress reports on this unit's tasks
        "notices": notices,
        "tasks": {
            "due_soon": [t for t in open_ if not t["late"] and date.fromisoformat(t["deadline"]) <= soon],
            "open": [t for t in open_ if date.fromisoformat(t["deadline"]) > soon],  # the rest: each task listed once
            "late": [t for t in open_ if t["late"]],
            "done": [t for t in tasks if t["state"] == "done"],
        },
        "counts": {
            "notices_open": len(notices),
            "notices_at_risk": sum(1 for n in notices if n["at_risk"]),
            "tasks_open": len(open_),
            "tasks_late": sum(1 for t in open_ if t["late"]),
        },
    }


def mark_overdue(*, session: Session, tz: Zone = DEFAULT_TIMEZONE) -> list[int]:
    """Tasks of issued notices past their deadline and not done, not yet told: told once (task.overdue to the
    unit, the secretariat and the chair), with an audit entry. Idempotent: the flag is set in this transaction."""
    now = today(tz)
    rows = session.exec(
        select(NoticeTask, ConclusionNotice)
        .join(ConclusionNotice, col(ConclusionNotice.id) == NoticeTask.notice_id)
        .where(
            NoticeTask.state == TaskState.open,
            NoticeTask.deadline < now,
            col(NoticeTask.overdue_notified_at).is_(None),
            ConclusionNotice.state == NoticeState.issued,
        )
        .with_for_update()
    ).all()
    told = []
    for task, notice in rows:
        task.overdue_notified_at = utcnow()
        session.add(task)
        tell_units(session, task, "task.overdue")
        record_change(session, notice, None, "task.overdue", task_id=task.id, deadline=task.deadline.isoformat())
        told.append(task.id or 0)
    return told
