"""The minutes say how many members were present when the chair opened the session, not only at its end: a
session opened without its quorum (the chair forcing the start) says so, even if members arrived later."""

from __future__ import annotations

from app.db import Database
from meetings import services as meetings
from minutes.attendance import figures
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
