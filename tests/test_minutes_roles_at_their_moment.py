"""The record states each fact as it was at its moment, not as today's roster reads it (minutes/roles.py,
meetings/roster.py): a change of role during the session does not rewrite the quorum at the opening, the attendance
list, nor who a vote counted. Through the real services on a real SQLite file, as the minutes tests run a session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.db import Database
from meetings import attendance, participation, services as meetings
from meetings.models import Attendance, MeetingRole
from meetings.schemas import ParticipantCreate, ParticipantUpdate
from minutes import services
from tests.factories import Cabinet, call, make_cabinet, make_user
from tests.vote_helpers import check_in
from votes import casting, services as votes
from votes.models import VoteKind, VoteRule
from votes.schemas import VoteCreate


def _sections(db: Database, c: Cabinet) -> dict[str, str]:
    draft = db.run_read(services.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    return {s["key"]: s["effective"] for s in draft["sections"]}


def _role(db: Database, c: Cabinet, user_id: int, role: MeetingRole) -> None:
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=user_id,
        data=ParticipantUpdate(role=role),
    )


def _vote(db: Database, c: Cabinet, kind: VoteKind, rule: VoteRule, voters: list, *, force: bool = False) -> dict:
    vote = call(
        db,
        votes.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(
            agenda_item_id=c.item_ids[0], question=f"Biểu quyết {kind.value} {rule.value}?", kind=kind, rule=rule
        ),
    )
    vote = call(db, votes.open_vote, actor=c.chair, vote_id=vote["id"], force=force)
    ids = {o["kind"]: o["id"] for o in vote["options"]}
    for actor, choice in voters:
        call(db, casting.cast, actor=actor, vote_id=vote["id"], option_id=ids[choice])
    return vote


def test_members_made_guests_after_a_forced_opening_do_not_make_the_quorum(db: Database) -> None:
    """3 of 6 members present, the chair forces the start and a vote; then the 3 absent members are made guests.
    The opening still reads 3/6 without the quorum; they are still counted and listed as members (absent), with the
    change of role and its time, which the figures (not editable) state too; the vote counted 6 members."""
    c = make_cabinet(db, n_members=5, n_items=1)  # 6 members with the chair: 4 needed
    present, away = c.members[:2], c.members[2:]
    check_in(db, c, [c.chair, *present])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    vote = _vote(db, c, VoteKind.open, VoteRule.all_members, [(a, "yes") for a in (c.chair, *present)], force=True)
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    for m in away:
        _role(db, c, m.id, MeetingRole.guest)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)

    s = _sections(db, c)
    lines = s["figures"].splitlines()
    assert lines[0] == "Tổng số thành viên: 6; có mặt: 3 (tại phòng họp: 3; trực tuyến: 0); vắng mặt: 3."
    assert lines[1] == (
        "Số thành viên tối thiểu để tiến hành phiên họp (2/3 tổng số thành viên): 2 (trên 3 thành viên khi kết thúc "
        "phiên họp); khi kết thúc phiên họp có mặt 3/3 thành viên; đủ điều kiện tiến hành phiên họp."
    )
    assert lines[2] == (
        "Khi khai mạc phiên họp: có mặt 3/6 thành viên (tối thiểu 4); chưa đủ số thành viên tối thiểu; chủ tọa quyết "
        "định khai mạc phiên họp."
    )
    assert lines[3].startswith("Thay đổi thành phần trong phiên họp: lúc ")
    for m in away:
        assert f"{m.full_name} chuyển từ thành viên sang khách mời" in lines[3]
    absent = s["attendance"].split("Vắng mặt (3):")[1]
    for m in away:
        assert m.full_name in absent and "chuyển sang khách mời từ " in absent
    assert "Khách mời (" not in s["attendance"]  # nobody was a guest only: they are listed as the members they were
    record = s[f"item:{c.item_ids[0]}:votes"]
    assert "tổng số thành viên khi kết thúc biểu quyết: 6" in record
    assert "Thành viên không tham gia biểu quyết: 3." in record


def test_a_voter_whose_role_changed_and_a_member_invited_after_the_vote(db: Database) -> None:
    """All 6 members present and voting by name; then one is made secretary, one a guest, and a new member is
    invited. The two voters stay in the attendance list among the members (with when their role changed), the named
    vote does not list the newcomer as not voting, and the opening reads 6/6."""
    c = make_cabinet(db, n_members=5, n_items=1)
    everyone = [c.chair, *c.members]
    check_in(db, c, everyone)
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id)
    vote = _vote(db, c, VoteKind.named, VoteRule.all_members, [(a, "yes") for a in everyone])
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    newcomer = make_user(db, name="Đoàn Thị Đến Sau")
    call(
        db,
        participation.invite,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=ParticipantCreate(user_id=newcomer.id, role=MeetingRole.member),
    )
    to_secretary, to_guest = c.members[0], c.members[1]
    _role(db, c, c.secretary.id, MeetingRole.guest)  # the secretary's chair is taken: one secretary is enough
    _role(db, c, to_secretary.id, MeetingRole.secretary)
    _role(db, c, to_guest.id, MeetingRole.guest)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)

    s = _sections(db, c)
    room = s["attendance"].split("Có mặt tại phòng họp (6):")[1].split("Vắng mặt")[0]
    assert f"{to_secretary.full_name}, Bộ trưởng (chuyển sang thư ký từ " in room
    assert f"{to_guest.full_name}, Bộ trưởng (chuyển sang khách mời từ " in room
    guests = s["attendance"].split("Khách mời (")[1] if "Khách mời (" in s["attendance"] else ""
    assert to_guest.full_name not in guests.split("Vắng mặt")[0]
    absent = s["attendance"].split("Vắng mặt (1):")[1]
    assert newcomer.full_name in absent and "được mời dự họp từ " in absent
    record = s[f"item:{c.item_ids[0]}:votes"]
    assert newcomer.full_name not in record
    assert "Thành viên không tham gia biểu quyết: 0." in record
    assert f"{to_guest.full_name} - Tán thành" in record and f"{to_secretary.full_name} - Tán thành" in record
    lines = s["figures"].splitlines()
    assert lines[0] == "Tổng số thành viên: 7; có mặt: 6 (tại phòng họp: 6; trực tuyến: 0); vắng mặt: 1."
    assert lines[2] == "Khi khai mạc phiên họp: có mặt 6/6 thành viên (tối thiểu 4); đủ số thành viên tối thiểu."
    assert f"{newcomer.full_name} được mời dự họp với vai trò thành viên" in lines[3]
    assert f"{to_secretary.full_name} chuyển từ thành viên sang thư ký" in lines[3]
    assert c.secretary.full_name not in lines[3]  # secretary -> guest: no member's change


def test_a_vote_states_when_its_members_and_those_present_were_counted(db: Database) -> None:
    """Rule 'present': five ballots, then three of the voters are recorded absent before the close. The record says
    the present count is the close's (so five ballots beside two present is not a contradiction left unexplained)."""
    c = make_cabinet(db, n_members=5, n_items=1)
    check_in(db, c, [c.chair, *c.members])
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id)
    voters = [(c.chair, "yes"), *[(m, "yes") for m in c.members[:3]], (c.members[3], "no")]
    vote = _vote(db, c, VoteKind.open, VoteRule.present, voters)
    for m in c.members[:3]:
        call(
            db,
            participation.update,
            actor=c.staff,
            meeting_id=c.meeting_id,
            user_id=m.id,
            data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Có việc đột xuất"),
        )
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    record = _sections(db, c)[f"item:{c.item_ids[0]}:votes"]
    assert "(số thành viên có mặt khi kết thúc biểu quyết: 3; số phiếu tán thành cần có: 2)" in record
    assert "Số phiếu: Tán thành: 4; Không tán thành: 1; Không biểu quyết: 0." in record


def test_the_quorum_at_a_moment_counts_the_members_of_that_moment(db: Database) -> None:
    """meetings/attendance.py quorum_at: members made guests later are still members at a moment before."""
    c = make_cabinet(db, n_members=5, n_items=1)
    check_in(db, c, [c.chair, *c.members[:2]])
    before = datetime.now(timezone.utc)
    for m in c.members[2:]:
        _role(db, c, m.id, MeetingRole.guest)
    after = datetime.now(timezone.utc) + timedelta(seconds=1)
    then = db.run_read(attendance.quorum_at, meeting_id=c.meeting_id, moment=before)
    now = db.run_read(attendance.quorum_at, meeting_id=c.meeting_id, moment=after)
    assert (then["total"], then["present"], then["reached"]) == (6, 3, False)
    assert (now["total"], now["present"], now["reached"]) == (3, 3, True)
