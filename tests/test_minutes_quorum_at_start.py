"""The minutes say how many members were present when the chair opened the session, not only at its end: a
session opened without its quorum (the chair forcing the start) says so, even if members arrived later; and
someone who left early is counted as the list names them, with the reason they gave."""

from __future__ import annotations

from app.db import Database
from meetings import participation, services as meetings
from meetings.models import Attendance
from meetings.schemas import ParticipantUpdate
from minutes.attendance import attendance_text, figures, groups, tally
from minutes.facts import gather
from tests.factories import call, make_cabinet
from tests.vote_helpers import check_in


def test_a_session_opened_without_its_quorum_says_so_though_members_came_later(db: Database) -> None:
    c = make_cabinet(db, n_members=6)  # 7 members with the chair: 5 needed
    check_in(db, c, [c.chair, c.members[0]])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)  # 2 of 7: forced
    check_in(db, c, c.members[1:5])  # later, 6 of 7: the quorum at the end
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    lines = figures(db.run_read(lambda session: gather(session, c.meeting_id)).quorum)
    assert "đủ điều kiện tiến hành phiên họp." in lines[1]  # at the end
    assert lines[2] == (
        "Khi khai mạc phiên họp: có mặt 2/7 thành viên; chưa đủ số thành viên tối thiểu; chủ tọa quyết định khai mạc "
        "phiên họp."
    )


def test_a_session_opened_with_its_quorum_says_that(db: Database) -> None:
    c = make_cabinet(db, n_members=6)
    check_in(db, c, [c.chair, *c.members[:4]])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    lines = figures(db.run_read(lambda session: gather(session, c.meeting_id)).quorum)
    assert lines[2] == "Khi khai mạc phiên họp: có mặt 5/7 thành viên; đủ số thành viên tối thiểu."


def test_a_member_who_left_early_is_listed_and_counted_alike_with_a_reason_given(db: Database) -> None:
    """Listed among those present (they were, until they left), counted among them in the figures (which say how
    many left before the end), and that they gave a reason printed beside their name, never the reason itself (the
    signed minutes go to every participant, guests included: minutes/facts.py)."""
    c = make_cabinet(db, n_members=6)  # 7 members with the chair
    check_in(db, c, [c.chair, *c.members[:5]])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id)
    leaving = c.members[0]
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=leaving.id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Đi công tác đột xuất"),
    )
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    facts = db.run_read(lambda session: gather(session, c.meeting_id))
    g = groups(facts.people, facts.started_at)
    lines = figures(facts.quorum, tally(facts.people))
    assert len(g["present_room"]) == 6 and len(g["absent"]) == 1
    assert lines[0] == (
        "Tổng số thành viên: 7; có mặt: 6 (tại phòng họp: 6; trực tuyến: 0; trong đó 1 thành viên rời phiên họp trước "
        "khi kết thúc); vắng mặt: 1."
    )
    assert "khi kết thúc phiên họp có mặt 5/7 thành viên; đủ điều kiện tiến hành phiên họp." in lines[1]
    line = next(x for x in attendance_text(g).splitlines() if leaving.full_name in x)
    assert "đến " in line and line.endswith(", rời phiên họp có lý do);")  # one pair of brackets
    assert "Đi công tác đột xuất" not in attendance_text(g)
    assert line.count("(") == 1
