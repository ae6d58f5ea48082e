"""What a conclusion notice and its tasks look like to a reader (the JSON the API and the pages get), the notice's
number in the register, and the guard on the notice's state that every operation checks first."""

from __future__ import annotations

from datetime import date, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import GlobalRole
from core.clock import DEFAULT_TIMEZONE, iso, local, utcnow
from core.errors import Conflict
from meetings.models import Meeting
from notices.access import NoticeAccess, same_unit
from notices.models import ConclusionNotice, NoticeConclusion, NoticeNumber, NoticeState, NoticeTask, TaskState
from workdays.services import working_days_between

Zone = str | tzinfo


SYMBOL = "TB-TTg"  # TB = thông báo, TTg = Thủ tướng Chính phủ: the chair signs it (docs/notices-and-notifications.md)
ISSUERS = {"TB-TTg": "THỦ TƯỚNG CHÍNH PHỦ", "TB-VPCP": "VĂN PHÒNG CHÍNH PHỦ"}  # "TB-VPCP": numbers given before 0018


def number_code(number: int, symbol: str = SYMBOL) -> str:
    """Số/ký hiệu: the number, below 10 with a leading 0, and the symbol given with it (NĐ 30, Phụ lục I)."""
    return f"{number:02d}/{symbol}"


def today(tz: Zone) -> date:
    return local(utcnow(), tz).date()


def done_late(t: NoticeTask, tz: Zone = DEFAULT_TIMEZONE) -> bool:
    """Done after the end of its due day on the organisation's clock (hoàn thành quá hạn)."""
    return t.state == TaskState.done and t.done_at is not None and local(t.done_at, tz).date() > t.deadline


def task_data(t: NoticeTask, today_: date, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    """`late`: past its due day, open (quá hạn) or done after it (`done_late`: hoàn thành quá hạn, which stays
    so: declaring it done does not clear the delay); `overdue`: open and past its due day."""
    overdue = t.state == TaskState.open and t.deadline < today_
    finished_late = done_late(t, tz)
    return {
        "id": t.id,
        "notice_id": t.notice_id,
        "conclusion_id": t.conclusion_id,
        "unit": t.unit,
        "what": t.what,
        "deadline": t.deadline.isoformat(),
        "state": TaskState(t.state).value,
        "percent": t.percent,
        "late": overdue or finished_late,
        "overdue": overdue,
        "done_late": finished_late,
        "done_at": iso(t.done_at),
        "updated_at": iso(t.updated_at),
    }


# A task's progress (how far, done or late) is its unit's, the secretariat's and the chair's business (as the task
# list and the reports: notices/tasks.py); every reader of an issued notice sees what it assigns to whom and by when.
_PROGRESS = ("state", "percent", "late", "overdue", "done_late", "done_at", "updated_at")


def _follows(acc: NoticeAccess | None, t: NoticeTask) -> bool:
    if acc is None or acc.can_follow:
        return True
    return acc.actor.role != GlobalRole.guest and bool(acc.unit) and same_unit(acc.unit, t.unit)  # guests follow none


def _assigned(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, **dict.fromkeys(_PROGRESS)}


def notice_number(session: Session, n: ConclusionNotice) -> str | None:
    entry = session.get(NoticeNumber, n.number_id) if n.number_id else None
    return number_code(entry.number, entry.symbol) if entry else None


def notice_data(session: Session, n: ConclusionNotice, tz: Zone, acc: NoticeAccess | None = None) -> dict[str, Any]:
    assert n.id is not None
    now = today(tz)
    meeting = session.get(Meeting, n.meeting_id)
    conclusions = notice_conclusions(session, n.id)
    tasks = session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id).order_by(col(NoticeTask.id))).all()
    issued = n.state == NoticeState.issued
    left = working_days_between(session, now, n.due_on) if not issued else None
    return {
        "id": n.id,
        "meeting_id": n.meeting_id,
        "meeting_title": meeting.title if meeting else "",
        "state": NoticeState(n.state).value,
        "number": notice_number(session, n),
        "subject": n.subject,
        "intro": n.intro,
        "conclusions": [{"id": c.id, "position": c.position, "text": c.text} for c in conclusions],
        "tasks": [task_data(t, now, tz) if _follows(acc, t) else _assigned(task_data(t, now, tz)) for t in tasks],
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


def notice_conclusions(session: Session, notice_id: int) -> list[NoticeConclusion]:
    return list(
        session.exec(
            select(NoticeConclusion)
            .where(NoticeConclusion.notice_id == notice_id)
            .order_by(col(NoticeConclusion.position))
        )
    )


def require_notice_state(n: ConclusionNotice, allowed: tuple[NoticeState, ...], action: str) -> None:
    if n.state not in allowed:
        raise Conflict(
            "Trạng thái của thông báo kết luận không cho phép thao tác này.",
            details={"notice_id": n.id, "state": NoticeState(n.state).value, "action": action},
        )
