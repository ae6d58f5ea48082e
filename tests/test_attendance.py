"""Attendance as it really was (issue 10): watching from one's seat changes nothing, video joins and leaves
are kept in the history with check-ins and corrections, and the minutes state the history with times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from app.db import Database
from app.migrate import alembic_config
from core.errors import NotFound
from meetings import attendance, participation, services
from meetings.models import Attendance, AttendanceSource, MeetingMode
from meetings.schemas import CheckInRequest, MeetingUpdate, ParticipantUpdate
from minutes import dates, facts
from minutes.attendance import groups
from minutes import services as minutes_services
from tests.factories import Cabinet, call, make_cabinet


def hybrid(db: Database) -> Cabinet:
    c = make_cabinet(db, start=True)
    call(
        db, services.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(mode=MeetingMode.hybrid)
    )
    return c


def video(
    db: Database,
    c: Cabinet,
    actor: Any,
    *,
    joined: bool,
    publishing: bool = True,
    how: AttendanceSource = AttendanceSource.video_leave,
) -> dict[str, Any]:
    """What realtime/rtc.py asks on rtc:join (publishing = the offer sends camera/microphone) and on leave."""
    return call(
        db,
        participation.set_remote_presence,
        actor=actor,
        meeting_id=c.meeting_id,
        present=joined,
        publishing=publishing,
        source=how,
    )


def check_in(db: Database, c: Cabinet, actor: Any, where: Attendance = Attendance.present_room) -> None:
    call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest(attendance=where))


def mine(rows: list[dict[str, Any]], user_id: int) -> str:
    return next(p["attendance"] for p in rows if p["user_id"] == user_id)


def history(db: Database, c: Cabinet, user_id: int) -> list[tuple[str, str, str]]:
    rows = db.run_read(participation.attendance_history, actor=c.members[1], meeting_id=c.meeting_id)
    return [(r["previous"], r["attendance"], r["source"]) for r in rows if r["user_id"] == user_id]


def attendance_section(db: Database, c: Cabinet) -> str:
    draft = db.run_read(minutes_services.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    return next(s["effective"] for s in draft["sections"] if s["key"] == "attendance")


def group_of(section: str, name: str) -> str:
    """The heading ("Có mặt tại phòng họp (n):", ...) under which `name` is listed."""
    heading = ""
    for line in section.splitlines():
        if line.endswith(":"):
            heading = line
        elif name in line:
            return heading
    raise AssertionError(f"{name} not in {section!r}")


def test_the_chair_in_the_room_who_only_watches_stays_in_the_room(db: Database) -> None:
    c = hybrid(db)
    check_in(db, c, c.chair)
    after = video(db, c, c.chair, joined=True, publishing=False)  # "Chỉ xem và nghe" from the chair's seat
    assert after["attendance"] == "present_room"
    snapshot = db.run_read(services.join, actor=c.members[0], meeting_id=c.meeting_id)["snapshot"]
    assert mine(snapshot["participants"], c.chair.id) == "present_room"
    assert (
        mine(db.run_read(participation.list_participants, actor=c.members[0], meeting_id=c.meeting_id), c.chair.id)
        == "present_room"
    )
    assert history(db, c, c.chair.id) == [("unknown", "present_room", "check_in")]  # the watching changed nothing
    quorum = snapshot["quorum"]["present"]
    video(db, c, c.chair, joined=False)  # closing the video: still in the room, still counted (before: "unknown")
    again = db.run_read(services.join, actor=c.members[0], meeting_id=c.meeting_id)["snapshot"]
    assert mine(again["participants"], c.chair.id) == "present_room" and again["quorum"]["present"] == quorum == 1
    section = attendance_section(db, c)
    assert group_of(section, c.chair.full_name).startswith("Có mặt tại phòng họp")
    assert "trực tuyến" not in next(line for line in section.splitlines() if c.chair.full_name in line)


def test_a_member_who_checked_in_then_joins_by_video_has_both_in_history_and_minutes(db: Database) -> None:
    c = hybrid(db)
    m = c.members[0]
    check_in(db, c, m)
    assert video(db, c, m, joined=True)["attendance"] == "present_remote"  # sends camera: takes part from elsewhere
    assert video(db, c, m, joined=False)["attendance"] == "present_room"  # the video ends: back in the room
    assert history(db, c, m.id) == [
        ("unknown", "present_room", "check_in"),
        ("present_room", "present_remote", "video_join"),
        ("present_remote", "present_room", "video_leave"),
    ]
    rows = db.run_read(attendance.history, meeting_id=c.meeting_id)[m.id]
    t = [dates.hm(r.at) for r in rows]
    line = next(line for line in attendance_section(db, c).splitlines() if m.full_name in line)
    assert f"có mặt tại phòng họp từ {t[0]} đến {t[1]} và từ {t[2]}; tham dự trực tuyến từ {t[1]} đến {t[2]}" in line
    assert group_of(attendance_section(db, c), m.full_name).startswith("Có mặt tại phòng họp")


def test_an_absent_member_who_joins_by_video_is_remote_and_back_to_absent_when_it_ends(db: Database) -> None:
    c = hybrid(db)
    m = c.members[1]
    reason = "Công tác tại Đà Nẵng"
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=m.id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason=reason),
    )
    assert (
        video(db, c, m, joined=True, publishing=False)["attendance"] == "present_remote"
    )  # even only watching: not in the room
    section = attendance_section(db, c)
    assert group_of(section, m.full_name).startswith("Tham dự trực tuyến")
    back = video(db, c, m, joined=False, how=AttendanceSource.video_lost)  # the grace period expired
    assert (back["attendance"], back["absence_reason"]) == ("absent", reason)
    assert history(db, c, m.id) == [
        ("unknown", "absent", "correction"),
        ("absent", "present_remote", "video_join"),
        ("present_remote", "absent", "video_lost"),
    ]
    change = db.run_read(participation.attendance_history, actor=c.staff, meeting_id=c.meeting_id)[-1]
    assert change["by"] == m.id and change["note"] == reason
    line = next(line for line in attendance_section(db, c).splitlines() if m.full_name in line)
    assert "tham dự trực tuyến từ" in line and " đến " in line  # remote for a while, listed with the times


def test_a_remote_member_who_checks_in_in_the_room_stays_in_the_room_when_the_video_ends(db: Database) -> None:
    c = hybrid(db)
    m = c.members[2]
    video(db, c, m, joined=True)
    check_in(db, c, m)  # arrived in the room
    assert video(db, c, m, joined=False, how=AttendanceSource.video_lost)["attendance"] == "present_room"
    assert [s for _, _, s in history(db, c, m.id)] == ["video_join", "check_in"]
    # A correction by the secretariat while on video also stands when the video ends.
    k = c.members[3]
    video(db, c, k, joined=True)
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=k.id,
        data=ParticipantUpdate(attendance=Attendance.present_remote),
    )
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=k.id,
        data=ParticipantUpdate(attendance=Attendance.deputy, deputy_name="Thứ trưởng Hồ Văn Thay"),
    )
    assert video(db, c, k, joined=False)["attendance"] == "deputy"
    assert [s for _, _, s in history(db, c, k.id)] == ["video_join", "deputy"]


def test_quorum_at_a_moment_counts_who_was_present_then(db: Database) -> None:
    c = hybrid(db)
    before = datetime.now(timezone.utc)
    for actor in (c.chair, *c.members[:3]):
        check_in(db, c, actor)
    video(db, c, c.members[3], joined=True)
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    assert db.run_read(attendance.quorum_at, meeting_id=c.meeting_id, moment=before)["present"] == 0
    assert db.run_read(attendance.quorum_at, meeting_id=c.meeting_id, moment=now)["present"] == 5


def test_the_minutes_line_from_a_history_in_the_room_then_on_video() -> None:
    at = lambda h, m: datetime(2026, 12, 3, h - 7, m, tzinfo=timezone.utc)
    person = facts.Person(
        1,
        "Trần Văn X",
        "Bộ trưởng",
        "member",
        "present_room",
        history=((at(8, 5), "present_room"), (at(10, 20), "present_remote"), (at(11, 0), "present_room")),
    )
    late_remote = facts.Person(
        2, "Lê Thị Y", "Bộ trưởng", "member", "unknown", history=((at(9, 0), "present_remote"), (at(9, 40), "unknown"))
    )
    steady = facts.Person(3, "Phạm Z", "Bộ trưởng", "member", "present_room", history=((at(7, 55), "present_room"),))
    g = groups((person, late_remote, steady), at(8, 0), ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (
        g["present_room"][0].note
        == "có mặt tại phòng họp từ 08:05 đến 10:20 và từ 11:00; tham dự trực tuyến từ 10:20 đến 11:00"
    )
    elsewhere = groups((person,), at(8, 0), ZoneInfo("Asia/Tokyo"))  # the organisation's zone, whatever it is
    assert elsewhere["present_room"][0].note.startswith("có mặt tại phòng họp từ 10:05 đến 12:20")
    assert g["present_remote"][0].note == "tham dự trực tuyến từ 09:00 đến 09:40"
    assert g["present_room"][1].note == ""  # present throughout: nothing more to say
    assert not g["absent"]


def test_attendance_history_is_for_those_who_may_see_the_meeting(db: Database) -> None:
    c = hybrid(db)
    with pytest.raises(NotFound):  # not invited: the meeting answers as absent
        db.run_read(participation.attendance_history, actor=c.outsider, meeting_id=c.meeting_id)
    assert db.run_read(participation.attendance_history, actor=c.guest, meeting_id=c.meeting_id) == []


def _migrated_rows(db: Database) -> tuple[Cabinet, list[tuple[Any, ...]]]:
    """Record attendance, go back to before the history table and up again: the rows the migration writes."""
    from alembic import command

    c = hybrid(db)
    check_in(db, c, c.chair)
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=c.members[0].id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Ốm"),
    )
    url = db.engine.url.render_as_string(hide_password=False)
    db.engine.dispose()
    command.downgrade(alembic_config(url), "0009_audit")
    command.upgrade(alembic_config(url), "head")
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_id, previous, attendance, note, source, actor_id FROM attendance_change ORDER BY id")
        ).all()
    return c, [tuple(r) for r in rows]


def _expected(c: Cabinet) -> list[tuple[Any, ...]]:
    return [
        (c.chair.id, "unknown", "present_room", "", "migrated", c.chair.id),
        (c.members[0].id, "unknown", "absent", "Ốm", "migrated", c.staff.id),
    ]


def test_the_migration_fills_the_history_from_the_recorded_attendance(db: Database) -> None:
    c, rows = _migrated_rows(db)
    assert rows == _expected(c)


def test_the_migration_fills_the_history_on_postgresql() -> None:
    from tests.pg import fresh_database

    with fresh_database() as url:
        db = Database(url)
        try:
            c, rows = _migrated_rows(db)
            assert rows == _expected(c)
        finally:
            db.dispose()


def test_a_new_reason_of_absence_is_kept_in_the_history(db: Database) -> None:
    c = hybrid(db)
    m = c.members[4]
    for data in (
        ParticipantUpdate(attendance=Attendance.absent, absence_reason="Ốm"),
        ParticipantUpdate(absence_reason="Công tác nước ngoài"),
        ParticipantUpdate(absence_reason="Công tác nước ngoài"),
    ):
        call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=m.id, data=data)
    rows = [
        r
        for r in db.run_read(participation.attendance_history, actor=c.staff, meeting_id=c.meeting_id)
        if r["user_id"] == m.id
    ]
    assert [(r["attendance"], r["note"], r["by"]) for r in rows] == [
        ("absent", "Ốm", c.staff.id),
        ("absent", "Công tác nước ngoài", c.staff.id),
    ]
