"""Follow-up of the tasks conclusion notices assign: the list each reader may see, progress reports by the
assigned unit's users, the dashboard (what is open, due and late) and the overdue check.

Who sees which task: the secretariat every task; a chair the tasks of the notices of meetings they chaired;
a unit's users (notices/access.py: never a guest) the tasks of their unit in issued notices.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole
from core.clock import DEFAULT_TIMEZONE, iso, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from meetings.models import MeetingRole, Participant
from notices.access import chair_of, same_unit, unit_of, unit_users
from notices.models import ConclusionNotice, NoticeState, NoticeTask, TaskReport, TaskState
from notices.changes import record_change, tell_units
from notifications.contract import notify
from notices.services import check_deadline, known_unit, list_notices
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
        if n.meeting_id in chaired or (same_unit(unit, t.unit) and n.state == NoticeState.issued)
    ]


def _require_follower(actor: Actor) -> None:
    if actor.is_display or actor.role == GlobalRole.guest:
        raise Forbidden("Khách mời không theo dõi nhiệm vụ.")


def list_tasks(
    *, session: Session, actor: Actor, state: str | None = None, tz: Zone = DEFAULT_TIMEZONE
) -> list[dict[str, Any]]:
    _require_follower(actor)
    now = today(tz)
    out = [task_data(t, now, tz) for t, _ in _visible(session, actor)]
    if state in ("late", "overdue", "done_late"):  # late: overdue now or done after the due day
        return [t for t in out if t[state]]
    return [t for t in out if state is None or t["state"] == state]


def report(
    *, session: Session, actor: Actor, task_id: int, percent: int, note: str, done: bool, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """A unit's user reports progress on their unit's task of an issued notice (append-only reports)."""
    _require_follower(actor)  # a guest of the unit follows no task: it neither reads nor writes its progress
    task = session.get(NoticeTask, task_id)
    notice = session.get(ConclusionNotice, task.notice_id) if task else None
    if task is None or notice is None or (task, notice) not in _visible(session, actor):
        raise NotFound("Không tìm thấy nhiệm vụ.")  # hidden or absent: one body, no id echoed
    if not (same_unit(unit_of(session, actor), task.unit) and notice.state == NoticeState.issued):
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
    return task_data(task, today(tz), tz)


def _issued_open_task(session: Session, actor: Actor, task_id: int, action: str) -> tuple[NoticeTask, ConclusionNotice]:
    """The secretariat's hold on a task of an issued notice that is not done yet (locked)."""
    if not actor.is_staff or actor.is_display:
        raise Forbidden("Chỉ Văn phòng được gia hạn hoặc giao lại nhiệm vụ.")
    task = session.exec(select(NoticeTask).where(NoticeTask.id == task_id).with_for_update()).first()
    notice = session.get(ConclusionNotice, task.notice_id) if task else None
    if task is None or notice is None:
        raise NotFound("Không tìm thấy nhiệm vụ.", details={"task_id": task_id})
    if notice.state != NoticeState.issued:  # before issue the draft's task is corrected (services.update_task)
        raise Conflict(
            "Thông báo chưa ban hành; hãy sửa nhiệm vụ trong dự thảo.",
            details={"task_id": task_id, "state": NoticeState(notice.state).value, "action": action},
        )
    if task.state == TaskState.done:
        raise Conflict("Nhiệm vụ đã hoàn thành.", details={"task_id": task_id, "action": action})
    return task, notice


def _tell(session: Session, task: NoticeTask, event: str, units: set[str], extra: dict[str, Any]) -> None:
    params = {
        "task_id": task.id,
        "notice_id": task.notice_id,
        "unit": task.unit,
        "what": task.what[:200],
        "deadline": task.deadline.isoformat(),
        **extra,
    }
    people = set(unit_users(session, units))
    n = session.get(ConclusionNotice, task.notice_id)
    chair = chair_of(session, n.meeting_id) if n else None
    if chair:
        people.add(chair)
    notify(
        session,
        event=event,
        ref=f"{event}:{task.id}:{uuid.uuid4().hex[:12]}",
        user_ids=people,
        params=params,
        link=f"/notices/{task.notice_id}",
    )


def extend_task(
    *, session: Session, actor: Actor, task_id: int, deadline: date, reason: str, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """The secretariat moves an issued notice's open task to a later deadline, with a reason (gia hạn): audited,
    the unit and the chair told; the overdue notice can go out again for the new deadline."""
    task, notice = _issued_open_task(session, actor, task_id, "extend_task")
    check_deadline(deadline, tz)
    old = task.deadline
    if deadline <= old:
        raise ValidationFailed(
            "Thời hạn mới phải sau thời hạn hiện tại.",
            details=[{"field": "deadline", "message": N_("phải muộn hơn thời hạn hiện tại")}],
        )
    task.deadline, task.updated_at, task.overdue_notified_at = deadline, utcnow(), None
    session.add(task)
    record_change(
        session,
        notice,
        actor,
        "task.extended",
        task_id=task_id,
        old_deadline=old.isoformat(),
        deadline=deadline.isoformat(),
        reason=reason,
        summary=f"Nhiệm vụ {task_id} ({task.unit}): gia hạn {old:%d/%m/%Y} → {deadline:%d/%m/%Y}. Lý do: {reason}",
    )
    _tell(session, task, "task.extended", {task.unit}, {"old_deadline": old.isoformat(), "reason": reason})
    return task_data(task, today(tz), tz)


def reassign_task(
    *, session: Session, actor: Actor, task_id: int, unit: str, reason: str, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """The secretariat gives an issued notice's open task to another unit, with a reason: audited; both units and
    the chair told. The reports made so far stay with the task."""
    task, notice = _issued_open_task(session, actor, task_id, "reassign_task")
    new = known_unit(session, unit)
    old = task.unit
    if same_unit(new, old):  # another spelling of the same unit: the same users, nothing to give again
        raise ValidationFailed(
            "Nhiệm vụ đã giao cho cơ quan này.", details=[{"field": "unit", "message": N_("trùng cơ quan hiện tại")}]
        )
    task.unit, task.updated_at = new, utcnow()
    session.add(task)
    record_change(
        session,
        notice,
        actor,
        "task.reassigned",
        task_id=task_id,
        old_unit=old,
        unit=new,
        reason=reason,
        summary=f"Nhiệm vụ {task_id}: giao lại từ {old} cho {new}. Lý do: {reason}",
    )
    _tell(session, task, "task.reassigned", {old, new}, {"old_unit": old, "reason": reason})
    return task_data(task, today(tz), tz)


def task_reports(*, session: Session, actor: Actor, task_id: int) -> list[dict[str, Any]]:
    _require_follower(actor)
    task = session.get(NoticeTask, task_id)
    notice = session.get(ConclusionNotice, task.notice_id) if task else None
    if task is None or notice is None or (task, notice) not in _visible(session, actor):
        raise NotFound("Không tìm thấy nhiệm vụ.")  # hidden or absent: one body, no id echoed
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
    tasks = [task_data(t, now, tz) for t, _ in _visible(session, actor)]
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
            "done": [t for t in tasks if t["state"] == "done"],  # each with done_late (hoàn thành quá hạn)
        },
        "counts": {
            "notices_open": len(notices),
            "notices_at_risk": sum(1 for n in notices if n["at_risk"]),
            "tasks_open": len(open_),
            "tasks_late": sum(1 for t in open_ if t["late"]),
            "tasks_done": sum(1 for t in tasks if t["state"] == "done"),
            "tasks_done_late": sum(1 for t in tasks if t["done_late"]),
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
