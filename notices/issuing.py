"""Issuing a conclusion notice: the chair approves it (it gets the next number of the year's register and its
PDF is frozen), then signs it with the minutes' signing machinery (issued: the participants are told, every
unit with a task is told of it); the PDF as it stands at each step. Each operation: permission -> state guard
-> write -> audit entry, live update and notifications in the same transaction (notices/changes.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE, local, utcnow
from core.errors import Conflict
from core.register import next_number
from core.officials import signature_lines
from core.text import nfc
from meetings.models import Meeting, Participant
from minutes.builder import CITY
from minutes.dates import vn_date
from minutes.fileinfo import FileInfo
from notices import pdf
from notices.access import chair_of, notice_access, require_chair, unit_users
from notices.changes import record_change, tell_units
from notices.models import ConclusionNotice, NoticeFile, NoticeNumber, NoticeState, NoticeTask
from notices.shapes import (
    ISSUERS,
    SYMBOL,
    Zone,
    notice_conclusions,
    notice_data,
    notice_number,
    number_code,
    require_notice_state,
    today,
)
from notifications.contract import notify

SIGN_REASON = "Ký ban hành thông báo kết luận"  # signed with stamp_name="" and no title: the PDF prints them


def _allocate(session: Session, n: ConclusionNotice, at: datetime, tz: Zone, actor_id: int) -> NoticeNumber:
    """The next number of the year (organisation's clock) in the notices' register; never given twice."""
    year = local(at, tz).year
    return next_number(
        session,
        NoticeNumber,
        year,
        lambda number: NoticeNumber(
            year=year, number=number, meeting_id=n.meeting_id, allocated_by=actor_id, allocated_at=at, symbol=SYMBOL
        ),
        Conflict("Sổ đăng ký thông báo đang bận; vui lòng duyệt lại."),
    )


def _document(session: Session, n: ConclusionNotice, tz: Zone) -> tuple[pdf.NoticeDoc, FileInfo]:
    """The notice as the chair signs it: issued under the Prime Minister's name (the symbol given with its number
    says which: ISSUERS), the chair's signature lines (core/officials.py), the name printed once below the field."""
    entry = session.get(NoticeNumber, n.number_id) if n.number_id else None
    symbol = entry.symbol if entry else SYMBOL
    chair_id = chair_of(session, n.meeting_id)
    chair = session.get(User, chair_id) if chair_id else None
    # Dated the day its number was given (core/register.py): a notice returned after approval and approved again keeps
    # its number, so it keeps that number's date too, and the date line's year is always the series' year.
    dated = entry.allocated_at if entry else n.approved_at
    tasks = session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id).order_by(col(NoticeTask.id))).all()
    doc = pdf.NoticeDoc(
        number=f"Số: {number_code(entry.number, entry.symbol)}" if entry else f"Số:      /{SYMBOL}",
        issuer=ISSUERS.get(symbol, pdf.AGENCY),
        place_date=f"{CITY}, {vn_date(dated, tz)}" if dated else f"{CITY}, ngày    tháng    năm",
        subject=n.subject,
        intro=n.intro,
        conclusions=[c.text for c in notice_conclusions(session, n.id or 0)],
        tasks=[pdf.TaskLine(t.unit, t.what, t.deadline.strftime("%d/%m/%Y")) for t in tasks],
        signer_lines=signature_lines(chair.title if chair else ""),
        signer_name=chair.full_name if chair else "",
    )
    return doc, FileInfo(title=nfc(f"Thông báo {n.subject}")[:250], subject=n.subject, created=n.approved_at, tz=tz)


def _store(session: Session, n: ConclusionNotice, step: str, data: bytes) -> None:
    session.add(
        NoticeFile(
            notice_id=n.id or 0, step=step, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data), data=data
        )
    )


def require_deadlines_ahead(session: Session, n: ConclusionNotice, tz: Zone, action: str) -> None:
    """A task due before the day the notice is approved or signed (organisation's clock) would reach its unit
    already overdue: refused, naming the task (the chair returns the notice to the secretariat, which corrects the
    task: notices/services.py return_to_draft, update_task)."""
    now = today(tz)
    for t in session.exec(select(NoticeTask).where(NoticeTask.notice_id == n.id).order_by(col(NoticeTask.id))).all():
        if t.deadline < now:
            raise Conflict(
                "Thời hạn của nhiệm vụ “{what}” ({unit}, {deadline}) đã qua; người chủ trì trả lại dự thảo "
                "để Văn phòng sửa thời hạn trước khi ban hành.",
                what=t.what[:120],
                unit=t.unit,
                deadline=t.deadline.strftime("%d/%m/%Y"),
                details={"notice_id": n.id, "task_id": t.id, "deadline": t.deadline.isoformat(), "action": action},
            )


def approve(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> dict[str, Any]:
    acc = notice_access(session, actor, notice_id, for_update=True)
    require_chair(acc)
    n = acc.notice
    require_notice_state(n, (NoticeState.submitted,), "approve")
    require_deadlines_ahead(session, n, tz, "approve")
    now = utcnow()
    if n.number_id is None:  # a notice returned after approval keeps the number it was given
        n.number_id = _allocate(session, n, now, tz, actor.id).id
    n.state, n.approved_by, n.approved_at = NoticeState.approved, actor.id, now
    session.add(n)
    session.flush()
    doc, info = _document(session, n, tz)
    _store(session, n, "final", pdf.render(doc, info))
    record_change(session, n, actor, "notice.approved", number=notice_number(session, n))
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


def prepare_signature(*, session: Session, actor: Actor, notice_id: int, tz: Zone = DEFAULT_TIMEZONE) -> SignJob:
    acc = notice_access(session, actor, notice_id)
    require_chair(acc)
    require_notice_state(acc.notice, (NoticeState.approved,), "sign")
    require_deadlines_ahead(session, acc.notice, tz, "sign")  # before the password is asked and the PDF signed
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
    require_deadlines_ahead(session, n, tz, "sign")
    _store(session, n, "signed", pdf_bytes)
    n.state, n.issued_by, n.issued_at = NoticeState.issued, actor.id, signed_at
    session.add(n)
    session.flush()
    number = notice_number(session, n)
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
        tell_units(session, task, "task.assigned")
    record_change(session, n, actor, "notice.issued", number=number, sha256=hashlib.sha256(pdf_bytes).hexdigest())
    return notice_data(session, n, tz, acc)
