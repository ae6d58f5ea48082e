"""Smaller defects of the attendance record (real services, real SQLite): a guest the chair gave the floor is listed
among those who attended though nobody checked them in; after someone left with a reason, the next stretch reads as
a return, not as part of the reason; a session that runs past midnight dates every time that is not on its day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import col, select

from app.db import Database
from meetings import participation, services as meetings
from meetings.events import MeetingEvent
from meetings.models import Attendance, AttendanceChange, Meeting
from meetings.schemas import CheckInRequest, ParticipantUpdate
from minutes import services
from speakers import services as speakers
from speakers.models import SpeakerRequest
from speakers.schemas import SpeakRequest
from tests.factories import Cabinet, call, make_cabinet
from tests.vote_helpers import check_in

EVE = datetime(2026, 12, 3, 16, 50, tzinfo=timezone.utc)  # 23:50 on 3 December 2026 in Hà Nội


def _sections(db: Database, c: Cabinet) -> dict[str, str]:
    draft = db.run_read(services.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    return {s["key"]: s["effective"] for s in draft["sections"]}


def _leave_and_return(db: Database, c: Cabinet) -> None:
    leaving = c.members[0]
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=leaving.id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Tiếp khách quốc tế"),
    )
    call(db, participation.check_in, actor=leaving, meeting_id=c.meeting_id, data=CheckInRequest())


def _session(db: Database) -> Cabinet:
    """Chair and members in the room; the chair gives the floor to the guest (never checked in) on the first item,
    moves to the second; a member leaves with a reason and comes back; the session ends."""
    c = make_cabinet(db, n_members=3, n_items=2)
    check_in(db, c, [c.chair, *c.members])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id)
    call(db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.guest.id))
    call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    _leave_and_return(db, c)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    return c


def test_a_guest_given_the_floor_is_listed_and_a_return_is_a_return(db: Database) -> None:
    c = _session(db)
    attendance = _sections(db, c)["attendance"]
    guests = attendance.split("Khách mời (1):")[1]
    assert f"{c.guest.full_name}, Bộ trưởng" not in guests  # a guest account: no title
    assert c.guest.full_name in guests and "có phát biểu tại phiên họp" in guests
    line = next(x for x in attendance.splitlines() if c.members[0].full_name in x)
    assert ", rời phiên họp có lý do, sau đó trở lại từ " in line, line
    assert "có lý do và từ" not in line and "Tiếp khách" not in line


def test_times_past_midnight_carry_their_date(db: Database) -> None:
    """The same session moved to 23:50-00:20: the guest speaks 23:55-00:02, the second item is taken up at 00:02,
    the member leaves at 00:05 and is back at 00:10. Times on the meeting's day stay bare."""
    c = _session(db)
    at = {"start": EVE, "speech_end": EVE + timedelta(minutes=12), "leave": EVE + timedelta(minutes=15)}
    with db.write_session() as session:
        m = session.get(Meeting, c.meeting_id)
        assert m is not None
        m.started_at, m.ended_at = EVE, EVE + timedelta(minutes=30)
        session.add(m)
        for r in session.exec(select(SpeakerRequest).where(SpeakerRequest.meeting_id == c.meeting_id)):
            r.started_at, r.ended_at = EVE + timedelta(minutes=5), at["speech_end"]
            session.add(r)
        moments = {"meeting.started": EVE, "agenda.current_changed": at["speech_end"], "meeting.ended": m.ended_at}
        for e in session.exec(select(MeetingEvent).where(MeetingEvent.meeting_id == c.meeting_id)):
            if e.type in moments:
                e.at = moments[e.type]
                session.add(e)
        changes = session.exec(
            select(AttendanceChange)
            .where(AttendanceChange.meeting_id == c.meeting_id)
            .order_by(col(AttendanceChange.id))
        ).all()
        leaver = [x for x in changes if x.user_id == c.members[0].id]
        for x in changes:
            x.at = EVE - timedelta(minutes=5)  # checked in before the start
            session.add(x)
        leaver[1].at, leaver[2].at = at["leave"], at["leave"] + timedelta(minutes=5)
        session.commit()
    s = _sections(db, c)
    line = next(x for x in s["attendance"].splitlines() if c.members[0].full_name in x)
    assert "từ 23:45 đến 00:05 ngày 04/12/2026, rời phiên họp có lý do, sau đó trở lại từ 00:10 ngày 04/12/2026" in line
    summary = s[f"item:{c.item_ids[0]}:summary"]
    assert "từ 23:50 đến 00:02 ngày 04/12/2026" in summary
    assert "(23:55 - 00:02 ngày 04/12/2026)" in summary
    second = s[f"item:{c.item_ids[1]}:summary"]
    assert "từ 00:02 ngày 04/12/2026 đến 00:20 ngày 04/12/2026" in second
    assert s["closing"] == "Cuộc họp kết thúc vào 00 giờ 20, ngày 04 tháng 12 năm 2026."
