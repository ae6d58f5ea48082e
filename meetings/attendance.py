"""Attendance as it really was: every change of a participant's attendance is a row of `attendance_change`
(when, from what to what, by whom, how), written with the participant's current state in one transaction.

Video and attendance. Opening the video does not by itself say where someone is:
- a participant recorded in the room who only watches (a receive-only connection, "Chỉ xem và nghe") is
  watching from their seat: nothing changes;
- anyone else who joins (not yet recorded, absent, a deputy recorded for them, or someone in the room who
  sends camera/microphone, i.e. takes part from elsewhere) is present remotely from that moment;
- leaving the video (or its connection expiring) restores what was recorded before that video join, but
  only while the video join is still the latest change: a check-in in the room or a correction by the
  secretariat made meanwhile stands.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.errors import ValidationFailed
from meetings.models import Attendance, AttendanceChange, AttendanceSource, Participant


def _note(attendance: Attendance, reason: str, deputy: str) -> str:
    return reason if attendance == Attendance.absent else deputy if attendance == Attendance.deputy else ""


def record_change(
    session: Session,
    p: Participant,
    *,
    by: int | None,
    attendance: Attendance,
    source: AttendanceSource,
    reason: str | None = None,
    deputy: str | None = None,
) -> bool:
    """Set the participant's attendance and append the change to the history; False when nothing changes."""
    reason = p.absence_reason if reason is None else reason
    deputy = p.deputy_name if deputy is None else deputy
    if attendance == Attendance.absent and not reason:
        raise ValidationFailed(
            "Vắng mặt phải có lý do.", details=[{"field": "absence_reason", "message": "bắt buộc khi vắng mặt"}]
        )
    if attendance == Attendance.deputy and not deputy:
        raise ValidationFailed(
            "Cần ghi họ tên đại biểu dự thay.", details=[{"field": "deputy_name", "message": "bắt buộc khi dự thay"}]
        )
    note = _note(attendance, reason, deputy)
    previous = Attendance(p.attendance)
    if previous == attendance and _note(previous, p.absence_reason, p.deputy_name) == note:
        return False
    now = utcnow()
    p.attendance, p.attendance_at, p.attendance_by = attendance, now, by
    p.absence_reason = reason if attendance == Attendance.absent else ""
    p.deputy_name = deputy if attendance == Attendance.deputy else ""
    session.add(p)
    session.add(
        AttendanceChange(
            meeting_id=p.meeting_id,
            user_id=p.user_id,
            at=now,
            previous=previous,
            attendance=attendance,
            note=note,
            source=source,
            actor_id=by,
        )
    )
    return True


def _changes_of(session: Session, p: Participant) -> list[AttendanceChange]:
    return list(
        session.exec(
            select(AttendanceChange)
            .where(AttendanceChange.meeting_id == p.meeting_id, AttendanceChange.user_id == p.user_id)
            .order_by(col(AttendanceChange.id).desc())
            .limit(2)
        ).all()
    )


def video_joined(session: Session, p: Participant, *, by: int | None, publishing: bool) -> bool:
    """See the module doc: watching from one's seat changes nothing; any other join is remote presence."""
    if p.attendance == Attendance.present_remote:
        return False
    if p.attendance == Attendance.present_room and not publishing:
        return False
    return record_change(session, p, by=by, attendance=Attendance.present_remote, source=AttendanceSource.video_join)


def video_left(session: Session, p: Participant, *, by: int | None, source: AttendanceSource) -> bool:
    """Back to what was recorded before the video join, if that join is still the latest change."""
    if p.attendance != Attendance.present_remote:
        return False
    latest = _changes_of(session, p)
    if not latest or latest[0].source != AttendanceSource.video_join:
        return False  # remote by check-in or by the secretariat: not the video's to undo
    before = latest[1] if len(latest) > 1 else None
    attendance = Attendance(before.attendance) if before else Attendance.unknown
    note = before.note if before else ""
    return record_change(
        session,
        p,
        by=by,
        attendance=attendance,
        source=source,
        reason=note if attendance == Attendance.absent else "",
        deputy=note if attendance == Attendance.deputy else "",
    )


def history(session: Session, meeting_id: int) -> dict[int, list[AttendanceChange]]:
    """Every participant's changes, oldest first."""
    out: dict[int, list[AttendanceChange]] = defaultdict(list)
    rows = session.exec(
        select(AttendanceChange)
        .where(AttendanceChange.meeting_id == meeting_id)
        .order_by(col(AttendanceChange.at), col(AttendanceChange.id))
    ).all()
    for row in rows:
        out[row.user_id].append(row)
    return dict(out)


def state_at(changes: list[AttendanceChange], moment: datetime) -> Attendance:
    """A participant's attendance at `moment`, from their changes (oldest first)."""
    state = Attendance.unknown
    for change in changes:
        if (as_utc(change.at) or moment) > moment:
            break
        state = Attendance(change.attendance)
    return state


def quorum_at(session: Session, meeting_id: int, moment: datetime) -> dict[str, int | bool]:
    """The quorum as it stood at `moment`: who was a member then (meetings/roster.py: the roles of that moment, not
    today's) and who of them was present then."""
    from meetings.rules import compute_quorum, get_rules
    from meetings.roster import at_time

    changes = history(session, meeting_id)
    then = [
        Participant(meeting_id=meeting_id, user_id=uid, role=role, attendance=state_at(changes.get(uid, []), moment))
        for uid, role in at_time(session, meeting_id, moment).items()
    ]
    return compute_quorum(then, get_rules(session)).model_dump()
