"""Conclusion notice operations (thông báo kết luận). Each: permission -> state guard -> write -> audit entry,
live update and notifications recorded in the same transaction (outbox), delivered after COMMIT.

Lifecycle: the secretariat drafts it from a held (ended) meeting's conclusions -> submits it -> the chair
approves it (it gets the next number of the year's register and its PDF is frozen) -> the chair signs it with
the minutes' signing machinery (issued: the participants are told, every unit with a task is told of it).
The notice is due on the 5th working day after the meeting (workdays/); the dashboard warns before that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from ledger.chain import append as audit_append
from core import outbox
from core.clock import DEFAULT_TIMEZONE, iso, local, utcnow
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.text import nfc
from meetings.access import access
from meetings.models import AgendaItem, Meeting, MeetingState, Participant
from minutes.builder import CITY, vn_date
from minutes.fileinfo import FileInfo
from minutes.models import Conclusion
from notices import pdf
from notices.access import (
    NoticeAccess,
    chair_of,
    notice_access,
    require_chair,
    require_staff,
    staff_users,
    unit_users,
)
from notices.models import (
    ConclusionNotice,
    NoticeConclusion,
    NoticeFile,
    NoticeNumber,
    NoticeState,
    NoticeTask,
    TaskState,
)
from notifications.contract import notify
from workdays.services import add_working_days, working_days_between

Zone = str | tzinfo
DUE_WORKING_DAYS = 5  # the notice is issued within 5 working days of the session
LIVE = "notices.changed"  # outbox kind: the pages of those who follow the notice refresh (notices/live.py)
SIGN_REASON = "Ký ban hành thông báo kết luận"


def number_code(number: int) -> str:
    """Số/ký hiệu: TB = thông báo, VPCP = Văn phòng Chính phủ; below 10 with a leading 0 (NĐ 30, Phụ lục I)."""
    return f"{number:02d}/TB-VPCP"


def today(tz: Zone) -> date:
    return local(utcnow(), tz).date()


# --- shapes -------------------------------------------------------------------------------------------


def task_data(t: NoticeTask, today_: date) -> dict[str, Any]:
    late = t.state == TaskState.open and t.deadline < today_
    return {
        "id": t.id,
        "notice_id": t.notice_id,
        "conclusion_id": t.conclusion_id,
        "unit": t.unit,
        "what": t.what,
        "deadline": t.deadline.isoformat(),
        "state": TaskState(t.state).value,
        "percent": t.percent,
        "late": late,
        "done_at": iso(t.done_at),
        "updated_at": iso(t.updated_at),
    }


def _number(session: Session, n: ConclusionNotice) -> str | None:
    entry = session.get(NoticeNumber, n.number_id) if n.number_id else None
    return number_code(entry.number) if entry else None


def notice_data(session: Session, n: ConclusionNotice, tz: Zone, acc: NoticeAccess | None = None) -> dict[str, Any]:
    assert n.id is not None
    now = today(tz)
    meeting = session.get(Meeting, n.meeting_id)
    conclusions = _conclusions(session, n.id)
    tasks = session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id).order_by(col(NoticeTask.id))).all()
    issued = n.state == NoticeState.issued
    left = working_days_between(session, now, n.due_on) if not issued else None
    return {
        "id": n.id,
        "meeting_id": n.meeting_id,
        "meeting_title": meeting.title if meeting else "",
        "state": NoticeState(n.state).value,
        "number": _number(session, n),
        "subject": n.subject,
        "intro": n.intro,
        "conclusions": [{"id": c.id, "position": c.position, "text": c.text} for c in conclusions],
        "tasks": [task_data(t, now) for t in tasks],
        "due_on": n.due_on.isoformat(),
        "working_days_left": left,
        "at_risk": not issued and left is not None and left <= 1,
        "late": not issued and n.due_on < now,
        "issued_on_time": (local(n.issued_at, tz).date() <= n.due_on) if issued and n.issued_at else None,
        "created_at": iso(n.created_at),
        "approved_at": iso(n.approved_at),
        "issued_at": iso(n.issued_at),
        "pdf_url": f"/api/notices/{n.id}/pdf",
        "can_edit": bool(acc and acc.can_edit),
        "is_chair": bool(acc and acc.is_chair),
    }


def _conclusions(session: Session, notice_id: int) -> list[NoticeConclusion]:
    return list(
        session.exec(
            select(NoticeConclusion)
            .where(NoticeConclusion.notice_id == notice_id)
            .order_by(col(NoticeConclusion.position))
        )
    )


def _require_notice_state(n: ConclusionNotice, allowed: tuple[NoticeState, ...], action: str) -> None:
    if n.state not in allowed:
        raise Conflict(
            "Trạng thái của thông báo kết luận không cho phép thao tác này.",
            details={"notice_id": n.id, "state": NoticeState(n.state).value, "action": action},
        )


# --- side effects in the same transaction -------------------------------------------------------------


def _audience(session: Session, n: ConclusionNotice) -> list[int]:
    """Whose pages follow this notice live: the secretariat, the chair and, once issued, the units' users."""
    people = set(staff_users(session))
    chair = chair_of(session, n.meeting_id)
    if chair:
        people.add(chair)
    if n.state == NoticeState.issued:
        units = set(session.exec(select(NoticeTask.unit).where(NoticeTask.notice_id == n.id)).all())
        people |= set(unit_users(session, units))
    return sorted(people)


def _changed(session: Session, n: ConclusionNotice, actor: Actor | None, type_: str, **data: Any) -> None:
    """The audit entry and the live update of every change."""
    assert n.id is not None
    session.flush()
    audit_append(
        session,
        type=type_,
        data={"notice_id": n.id, **data},
        actor_id=actor.id if actor else None,
        meeting_id=n.meeting_id,
    )
    outbox.add(session, kind=LIVE, ref=n.id, payload={"type": type_, "user_ids": _audience(session, n)})


def _tell_units(session: Session, task: NoticeTask, event: str) -> None:
    params = {
        "task_id": task.id,
        "notice_id": task.notice_id,
        "unit": task.unit,
        "what": task.what[:200],
        "deadline": task.deadline.isoformat(),
    }
    people = set(unit_users(session, {task.unit}))
    if event == "task.overdue":
        n = session.get(ConclusionNotice, task.notice_id)
        people |= set(staff_users(session)) | ({c} if n and (c := chair_of(session, n.meeting_id)) else set())
    notify(session, event=event, ref=f"{event}:{task.id}", user_ids=people, params=params, link="/notices/dashboard")


# --- drafting -----------------------------------------------------------------------------------------


def _intro(session: Session, meeting: Meeting, chair: User | None, tz: Zone) -> str:
    assert meeting.id is not None
    presenters = []
    for item in session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(col(AgendaItem.position))
    ):
        if item.presenter and item.presenter not in presenters:
            presenters.append(item.presenter)
    who = f"{chair.title} {chair.full_name}".strip() if chair else "người chủ trì"
    when = vn_date(meeting.started_at or meeting.ended_at or utcnow(), tz)
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
    who = f"{chair.title} {chair.full_name}".strip() if chair else "người chủ trì"
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
    _changed(session, n, actor, "notice.created", meeting_id=meeting_id, due_on=n.due_on.isoformat())
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
    _require_notice_state(n, (NoticeState.draft,), "update")
    if subject is not None:
        n.subject = subject
    if intro is not None:
        n.intro = intro
    if conclusions is not None:
        old = _conclusions(session, notice_id)
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
    _changed(session, n, actor, "notice.updated")
    return notice_data(session, n, tz, acc)


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
    _require_notice_state(
        n, (NoticeState.draft,), "add_task"
    )  # the tasks are part of the text that is approved and signed
    if conclusion_id is not None:
        found = session.get(NoticeConclusion, conclusion_id)
        if found is None or found.notice_id != notice_id:
            raise NotFound("Không tìm thấy kết luận trong thông báo này.", details={"conclusion_id": conclusion_id})
    if deadline < today(tz):
        raise ValidationFailed("Thời hạn đã qua.", details=[{"field": "deadline", "message": "trước hôm nay"}])
    task = NoticeTask(
        notice_id=notice_id, conclusion_id=conclusion_id, unit=unit, what=what, deadline=deadline, created_by=actor.id
    )
    session.add(task)
    session.flush()  # the units are told when the notice is issued
    _changed(session, n, actor, "task.created", task_id=task.id, unit=unit, deadline=deadline.isoformat())
    return task_data(task, today(tz))


def submit(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    require_staff(actor)
    acc = notice_access(session, actor, notice_id, for_update=True)
    _require_notice_state(acc.notice, (NoticeState.draft,), "submit")
    if not _conclusions(session, notice_id):
        raise Conflict("Thông báo chưa có kết luận nào.", details={"notice_id": notice_id})
    acc.notice.state, acc.notice.submitted_at = NoticeState.submitted, utcnow()
    session.add(acc.notice)
    _changed(session, acc.notice, actor, "notice.submitted")
    return notice_data(session, acc.notice, tz, acc)


def return_to_draft(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """The chair sends a submitted notice back to the secretariat (to be reworked)."""
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_chair(acc)
    _require_notice_state(acc.notice, (NoticeState.submitted,), "return")
    acc.notice.state = NoticeState.draft
    session.add(acc.notice)
    _changed(session, acc.notice, actor, "notice.returned")
    return notice_data(session, acc.notice, tz, acc)


# --- approving, the PDF, signing ----------------------------------------------------------------------


def _allocate(session: Session, n: ConclusionNotice, at: datetime, tz: Zone, actor_id: int) -> NoticeNumber:
    """The next number of the year (organisation's clock) in the notices' register; never given twice."""
    year = local(at, tz).year
    for _ in range(20):
        last = session.exec(select(func.max(NoticeNumber.number)).where(NoticeNumber.year == year)).one()
        row = NoticeNumber(
            year=year, number=(last or 0) + 1, meeting_id=n.meeting_id, allocated_by=actor_id, allocated_at=at
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            continue
    raise Conflict("Sổ đăng ký thông báo đang bận; vui lòng duyệt lại.")


def _document(session: Session, n: ConclusionNotice, tz: Zone) -> tuple[pdf.NoticeDoc, FileInfo]:
    number = _number(session, n)
    chair_id = chair_of(session, n.meeting_id)
    chair = session.get(User, chair_id) if chair_id else None
    dated = n.approved_at
    tasks = session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id).order_by(col(NoticeTask.id))).all()
    doc = pdf.NoticeDoc(
        number=f"Số: {number}" if number else "Số:      /TB-VPCP",
        place_date=f"{CITY}, {vn_date(dated, tz)}" if dated else f"{CITY}, ngày    tháng    năm",
        subject=n.subject,
        intro=n.intro,
        conclusions=[c.text for c in _conclusions(session, n.id or 0)],
        tasks=[pdf.TaskLine(t.unit, t.what, t.deadline.strftime("%d/%m/%Y")) for t in tasks],
        signer_role=(chair.title if chair and chair.title else "Người chủ trì"),
        signer_name=chair.full_name if chair else "",
    )
    return doc, FileInfo(title=nfc(f"Thông báo {n.subject}")[:250], subject=n.subject, created=dated, tz=tz)


def _store(session: Session, n: ConclusionNotice, step: str, data: bytes) -> None:
    session.add(
        NoticeFile(
            notice_id=n.id or 0, step=step, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), data=data
        )
    )


def approve(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_chair(acc)
    n = acc.notice
    _require_notice_state(n, (NoticeState.submitted,), "approve")
    now = utcnow()
    n.number_id = _allocate(session, n, now, tz, actor.id).id
    n.state, n.approved_by, n.approved_at = NoticeState.approved, actor.id, now
    session.add(n)
    session.flush()
    doc, info = _document(session, n, tz)
    _store(session, n, "final", pdf.render(doc, info))
    _changed(session, n, actor, "notice.approved", number=_number(session, n))
    return notice_data(session, n, tz, acc)


@dataclass(frozen=True)
class FileOut:
    data: bytes
    filename: str


def get_pdf(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> FileOut:
    """The signed notice once issued; before that (secretariat and chair only) the frozen or draft PDF."""
    acc = notice_access(session, actor, notice_id)
    n = acc.notice
    files = {f.step: f for f in session.exec(select(NoticeFile).where(NoticeFile.notice_id == notice_id))}
    chosen = files.get("signed") or files.get("final")
    name = f"thong-bao-ket-luan-{notice_id}.pdf"
    if chosen is not None:
        return FileOut(chosen.data, name)
    doc, info = _document(session, n, tz)
    return FileOut(pdf.render(doc, info), name)


@dataclass(frozen=True)
class SignJob:
    notice_id: int
    pdf: bytes
    username: str
    full_name: str
    title: str


def prepare_signature(*, session: Session, actor: Actor, notice_id: int) -> SignJob:
    acc = notice_access(session, actor, notice_id)
    require_chair(acc)
    _require_notice_state(acc.notice, (NoticeState.approved,), "sign")
    final = session.exec(select(NoticeFile).where(NoticeFile.notice_id == notice_id, NoticeFile.step == "final")).one()
    user = session.get(User, actor.id)
    assert user is not None
    return SignJob(notice_id, final.data, user.username, user.full_name, user.title)


def store_signature(
    *, session: Session, actor: Actor, job: SignJob, pdf_bytes: bytes, signed_at: datetime, tz: Zone = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """Keeps the signed file if nothing moved since prepare_signature; the notice is issued: participants and
    the units with tasks are told."""
    acc = notice_access(session, actor, job.notice_id, for_update=True)
    require_chair(acc)
    n = acc.notice
    if n.state != NoticeState.approved:
        raise Conflict("Thông báo đã thay đổi trong lúc ký; hãy tải lại trang.", details={"notice_id": n.id})
    _store(session, n, "signed", pdf_bytes)
    n.state, n.issued_by, n.issued_at = NoticeState.issued, actor.id, signed_at
    session.add(n)
    session.flush()
    number = _number(session, n)
    meeting = session.get(Meeting, n.meeting_id)
    people = set(session.exec(select(Participant.user_id).where(Participant.meeting_id == n.meeting_id)).all())
    tasks = session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id)).all()
    people |= set(unit_users(session, {t.unit for t in tasks}))
    notify(
        session,
        event="notice.issued",
        ref=f"notice.issued:{n.id}",
        user_ids=people - {actor.id},
        params={"notice_id": n.id, "number": number, "title": meeting.title if meeting else n.subject},
        link=f"/notices/{n.id}",
    )
    for task in tasks:
        _tell_units(session, task, "task.assigned")
    _changed(session, n, actor, "notice.issued", number=number, sha256=hashlib.sha256(pdf_bytes).hexdigest())
    return notice_data(session, n, tz, acc)


# --- reading ------------------------------------------------------------------------------------------


def get_notice(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    acc = notice_access(session, actor, notice_id)
    return notice_data(session, acc.notice, tz, acc)


def list_notices(*, session: Session, actor: Actor, tz: Zone = DEFAULT_TIMEZONE) -> list[dict[str, Any]]:
    out = []
    for n in session.exec(select(ConclusionNotice).order_by(col(ConclusionNotice.id).desc())):
        try:
            acc = notice_access(session, actor, n.id or 0)
        except (NotFound, Forbidden):  # not this reader's
            continue
        out.append(notice_data(session, n, tz, acc))
    return out
