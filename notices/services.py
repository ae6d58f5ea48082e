"""Conclusion notice operations (thông báo kết luận). Each: permission -> state guard -> write -> audit entry,
live update and notifications recorded in the same transaction (outbox), delivered after COMMIT.

Lifecycle: the secretariat drafts it from a held (ended) meeting's conclusions -> submits it -> the chair
approves it (it gets the next number of the year's register and its PDF is frozen) -> the chair signs it with
the minutes' signing machinery (issued: the participants are told, every unit with a task is told of it).
This module drafts and reads notices; notices/issuing.py approves and signs them.
The notice is due on the 5th working day after the meeting (workdays/); the dashboard warns before that.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE, local, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.i18n import N_
from core.officials import named
from core.text import nfc
from meetings.access import access
from meetings.models import AgendaItem, Meeting, MeetingRole, MeetingState, Participant
from minutes.builder import CITY
from minutes.dates import vn_date
from minutes import replaced
from minutes.models import Conclusion
from notices.access import (
    chair_of,
    notice_access,
    require_chair,
    require_staff,
    same_unit,
    unit_key,
    unit_of,
    unit_names,
)
from notices.changes import record_change
from notices.models import ConclusionNotice, NoticeConclusion, NoticeFile, NoticeState, NoticeTask
from notifications.contract import notify
from notices.shapes import Zone, notice_conclusions, notice_data, require_notice_state, task_data, today
from workdays.services import add_working_days

DUE_WORKING_DAYS = 5  # the notice is issued within 5 working days of the session


# --- drafting -----------------------------------------------------------------------------------------


def chair_named(chair: User | None) -> str:
    """'Thủ tướng Chính phủ Nguyễn Văn Thành': the full title (core/officials.py) and the name."""
    return (named(chair.title, chair.full_name) if chair else "") or "người chủ trì"


def meeting_day(meeting: Meeting) -> datetime:
    """When the session was held: its actual start, else the time it was scheduled for (the intro gives its date
    on the organisation's clock)."""
    return meeting.started_at or meeting.scheduled_at or meeting.ended_at or utcnow()


def _intro(session: Session, meeting: Meeting, chair: User | None, tz: Zone) -> str:
    assert meeting.id is not None
    presenters = []
    for item in session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(col(AgendaItem.position))
    ):
        if item.presenter and item.presenter not in presenters:
            presenters.append(item.presenter)
    who = chair_named(chair)
    when = vn_date(meeting_day(meeting), tz)
    heard = ", ".join(presenters) if presenters else "các cơ quan trình"
    return nfc(
        f"Ngày {when.removeprefix('ngày ')}, tại {meeting.place or CITY}, {who} chủ trì {meeting.title}. "
        f"Sau khi nghe {heard} báo cáo và ý kiến phát biểu của các thành viên dự họp, {who} đã kết luận như sau:"
    )


def create_notice(*, session: Session, actor: Actor, meeting_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    require_staff(actor)
    acc = access(session, actor, meeting_id, for_update=True)
    meeting = acc.meeting
    if meeting.state != MeetingState.ended:
        raise Conflict(
            "Chỉ soạn thông báo kết luận cho cuộc họp đã kết thúc.",
            details={"meeting_id": meeting_id, "state": MeetingState(meeting.state).value},
        )
    if session.exec(select(ConclusionNotice.id).where(ConclusionNotice.meeting_id == meeting_id)).first() is not None:
        raise Conflict("Cuộc họp này đã có thông báo kết luận.", details={"meeting_id": meeting_id})
    chair_id = chair_of(session, meeting_id)
    chair = session.get(User, chair_id) if chair_id else None
    who = chair_named(chair)
    ended = local(meeting.ended_at or utcnow(), tz).date()
    n = ConclusionNotice(
        meeting_id=meeting_id,
        subject=nfc(f"Kết luận của {who} tại {meeting.title}")[:500],
        intro=_intro(session, meeting, chair, tz),
        due_on=add_working_days(session, ended, DUE_WORKING_DAYS),
        created_by=actor.id,
    )
    session.add(n)
    session.flush()
    assert n.id is not None
    rows = session.exec(
        select(AgendaItem, Conclusion)
        .join(Conclusion, col(Conclusion.agenda_item_id) == AgendaItem.id)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(col(AgendaItem.position))
    ).all()
    position = 0
    for item, concl in rows:
        text = (concl.published_text or concl.text or "").strip()
        if text:
            position += 1
            session.add(NoticeConclusion(notice_id=n.id, position=position, text=nfc(f"Về {item.title}: {text}")))
    record_change(session, n, actor, "notice.created", meeting_id=meeting_id, due_on=n.due_on.isoformat())
    return notice_data(session, n, tz, notice_access(session, actor, n.id))


def update_notice(
    *,
    session: Session,
    actor: Actor,
    notice_id: int,
    subject: str | None,
    intro: str | None,
    conclusions: list[str] | None,
    tz: Zone = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """Conclusions are replaced in order: the i-th text goes to the i-th conclusion (tasks keep theirs); extra
    ones are added, missing ones removed (their tasks then belong to the notice as a whole)."""
    require_staff(actor)
    acc = notice_access(session, actor, notice_id, for_update=True)
    n = acc.notice
    require_notice_state(n, (NoticeState.draft,), "update")
    if subject is not None:
        n.subject = subject
    if intro is not None:
        n.intro = intro
    if conclusions is not None:
        old = notice_conclusions(session, notice_id)
        for i, text in enumerate(conclusions, start=1):
            row = old[i - 1] if i <= len(old) else NoticeConclusion(notice_id=notice_id, position=i, text="")
            row.text = text
            session.add(row)
        for row in old[len(conclusions) :]:
            for task in session.exec(select(NoticeTask).where(NoticeTask.conclusion_id == row.id)):
                task.conclusion_id = None
                session.add(task)
            session.flush()
            session.delete(row)
    n.updated_at = utcnow()
    session.add(n)
    record_change(session, n, actor, "notice.updated")
    return notice_data(session, n, tz, acc)


def known_unit(session: Session, unit: str) -> str:
    """The unit of a task, as printed on the notice: what the secretariat typed when a user's record spells it so,
    else (another case, no diacritics, extra spaces) the unit's canonical spelling (accounts/units.py: the one most
    of its users have, never the last record read). A task is reported on by the users of its unit, so a unit
    nobody belongs to ("Bộ Tài chánh", a typo) would be a task no one is told of nor can report on."""
    names = unit_names(session).get(unit_key(unit))  # the users of a unit: notices/access.py
    found = names.spell(unit) if names is not None else None
    if found is None:
        raise ValidationFailed(
            "Không có cán bộ nào thuộc cơ quan “{unit}”; hãy ghi đúng tên cơ quan như trong hồ sơ người dùng.",
            unit=unit,
            details=[{"field": "unit", "message": N_("không có cán bộ nào của cơ quan này"), "type": "unknown_unit"}],
        )
    return found


TASK_HORIZON_YEARS = 5  # a deadline further ahead is a typo (31/12/2999), not a task


def check_deadline(deadline: date, tz: Zone, field: str = "deadline") -> None:
    """A task's deadline: from today (organisation's clock) to TASK_HORIZON_YEARS ahead."""
    now = today(tz)
    if deadline < now:
        raise ValidationFailed("Thời hạn đã qua.", details=[{"field": field, "message": N_("trước hôm nay")}])
    if deadline > now.replace(year=now.year + TASK_HORIZON_YEARS, day=min(now.day, 28)):
        raise ValidationFailed(
            "Thời hạn nhiệm vụ không được quá {years} năm kể từ hôm nay.",
            years=TASK_HORIZON_YEARS,
            details=[{"field": field, "message": N_("quá xa"), "type": "too_far"}],
        )


def _draft_task(session: Session, actor: Actor, notice_id: int, task_id: int, action: str) -> tuple[Any, NoticeTask]:
    """The notice (locked, still a draft: its tasks are part of the text approved and signed) and its task."""
    require_staff(actor)
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_notice_state(acc.notice, (NoticeState.draft,), action)
    task = session.get(NoticeTask, task_id)
    if task is None or task.notice_id != notice_id:
        raise NotFound("Không tìm thấy nhiệm vụ trong thông báo này.", details={"task_id": task_id})
    return acc, task


def update_task(
    *,
    session: Session,
    actor: Actor,
    notice_id: int,
    task_id: int,
    unit: str | None = None,
    what: str | None = None,
    deadline: date | None = None,
    tz: Zone = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    """Corrects a task while the notice is a draft (after issue: extend_task / reassign_task, with a reason)."""
    acc, task = _draft_task(session, actor, notice_id, task_id, "update_task")
    changed: dict[str, Any] = {}
    if unit is not None:
        task.unit = changed["unit"] = known_unit(session, unit)
    if what is not None:
        task.what = changed["what"] = what
    if deadline is not None:
        check_deadline(deadline, tz)
        task.deadline = deadline
        changed["deadline"] = deadline.isoformat()
    task.updated_at = utcnow()
    session.add(task)
    record_change(session, acc.notice, actor, "task.updated", task_id=task_id, **changed)
    return task_data(task, today(tz), tz)


def delete_task(
    *, session: Session, actor: Actor, notice_id: int, task_id: int, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Removes a task while the notice is a draft (nobody was told of it yet); the notice as it is now."""
    acc, task = _draft_task(session, actor, notice_id, task_id, "delete_task")
    gone = {"task_id": task_id, "unit": task.unit, "what": task.what[:200], "deadline": task.deadline.isoformat()}
    session.delete(task)
    session.flush()
    record_change(
        session, acc.notice, actor, "task.deleted", summary=f"Xóa nhiệm vụ {task_id} ({task.unit}) khỏi dự thảo", **gone
    )
    return notice_data(session, acc.notice, tz, acc)


def add_task(
    *,
    session: Session,
    actor: Actor,
    notice_id: int,
    conclusion_id: int | None,
    unit: str,
    what: str,
    deadline: date,
    tz: Zone = DEFAULT_TIMEZONE,
) -> dict[str, Any]:
    require_staff(actor)
    acc = notice_access(session, actor, notice_id, for_update=True)
    n = acc.notice
    require_notice_state(
        n, (NoticeState.draft,), "add_task"
    )  # the tasks are part of the text that is approved and signed
    if conclusion_id is not None:
        found = session.get(NoticeConclusion, conclusion_id)
        if found is None or found.notice_id != notice_id:
            raise NotFound("Không tìm thấy kết luận trong thông báo này.", details={"conclusion_id": conclusion_id})
    check_deadline(deadline, tz)
    unit = known_unit(session, unit)
    task = NoticeTask(
        notice_id=notice_id, conclusion_id=conclusion_id, unit=unit, what=what, deadline=deadline, created_by=actor.id
    )
    session.add(task)
    session.flush()  # the units are told when the notice is issued
    record_change(session, n, actor, "task.created", task_id=task.id, unit=unit, deadline=deadline.isoformat())
    return task_data(task, today(tz), tz)


def submit(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    require_staff(actor)
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_notice_state(acc.notice, (NoticeState.draft,), "submit")
    if not notice_conclusions(session, notice_id):
        raise Conflict("Thông báo chưa có kết luận nào.", details={"notice_id": notice_id})
    acc.notice.state, acc.notice.submitted_at = NoticeState.submitted, utcnow()
    session.add(acc.notice)
    record_change(session, acc.notice, actor, "notice.submitted")
    chair = chair_of(session, acc.notice.meeting_id)
    meeting = session.get(Meeting, acc.notice.meeting_id)
    if chair is not None:  # the chair approves it: told, not only on an open page
        notify(
            session,
            event="notice.submitted",
            ref=f"notice.submitted:{notice_id}:{acc.notice.submitted_at.isoformat()}",
            user_ids=[chair],
            params={"notice_id": notice_id, "title": meeting.title if meeting else acc.notice.subject},
            link=f"/notices/{notice_id}",
        )
    return notice_data(session, acc.notice, tz, acc)


def return_to_draft(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """The chair sends a submitted notice, or an approved one not signed yet, back to the secretariat (to be
    reworked: a mistake seen before signing, a task deadline that has passed). An approved notice keeps its number
    (approving it again reuses it); its frozen PDF is dropped and made again at the next approval."""
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_chair(acc)
    require_notice_state(acc.notice, (NoticeState.submitted, NoticeState.approved), "return")
    was = NoticeState(acc.notice.state).value
    if acc.notice.state == NoticeState.approved:
        for f in session.exec(select(NoticeFile).where(NoticeFile.notice_id == notice_id, NoticeFile.step == "final")):
            replaced.record(session, kind="notice", sha256=f.sha256, ref_id=notice_id, issued_at=f.created_at)
            session.delete(f)
        acc.notice.approved_by = acc.notice.approved_at = None
    acc.notice.state = NoticeState.draft
    session.add(acc.notice)
    record_change(session, acc.notice, actor, "notice.returned", was=was)
    return notice_data(session, acc.notice, tz, acc)


# --- reading ------------------------------------------------------------------------------------------


def get_notice(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    acc = notice_access(session, actor, notice_id)
    return notice_data(session, acc.notice, tz, acc)


def list_notices(*, session: Session, actor: Actor, tz: Zone = DEFAULT_TIMEZONE) -> list[dict[str, Any]]:
    """The notices the caller may read, newest first. Only those notice_access may admit are read at all (the
    meetings he chairs; issued ones of meetings he attends or with a task of his unit), so the work, and its time,
    never grows with notices he may not know of (drafts of other meetings)."""
    if actor.is_display:
        return []
    stmt = select(ConclusionNotice).order_by(col(ConclusionNotice.id).desc())
    if not actor.is_staff:
        stmt = stmt.where(_maybe_readable(session, actor))
    out = []
    for n in session.exec(stmt):
        try:
            acc = notice_access(session, actor, n.id or 0)
        except (NotFound, Forbidden):  # not this reader's
            continue
        out.append(notice_data(session, n, tz, acc))
    return out


def _maybe_readable(session: Session, actor: Actor) -> Any:
    """A WHERE clause admitting every notice notice_access lets a non-staff actor read (it still decides)."""
    mine = select(Participant.meeting_id).where(Participant.user_id == actor.id)
    chaired = mine.where(Participant.role == MeetingRole.chair)
    issued = col(ConclusionNotice.state) == NoticeState.issued
    shown = col(ConclusionNotice.meeting_id).in_(chaired) | (issued & col(ConclusionNotice.meeting_id).in_(mine))
    unit = unit_of(session, actor)
    if unit:  # units compare folded (notices/access.py same_unit): the issued notices' tasks, matched here
        tasks = select(NoticeTask.notice_id, NoticeTask.unit).join(
            ConclusionNotice, col(ConclusionNotice.id) == NoticeTask.notice_id
        )
        ids = {nid for nid, u in session.exec(tasks.where(issued)).all() if same_unit(unit, u)}
        if ids:
            shown = shown | (issued & col(ConclusionNotice.id).in_(ids))
    return shown
