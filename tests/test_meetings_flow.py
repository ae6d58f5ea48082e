"""The meeting lifecycle through the real services on a real SQLite file: guards say why, events line up."""

from __future__ import annotations

import unicodedata

import pytest
from sqlmodel import col, select

from accounts.models import GlobalRole
from app.db import Database
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings import agenda, participation, serialize, services
from meetings.events import MeetingEvent
from meetings.models import Attendance, Meeting, MeetingRole
from meetings.reducer import apply_event
from meetings.rules import OrgRules
from meetings.schemas import (
    AgendaItemCreate,
    AgendaItemPublic,
    CheckInRequest,
    MeetingCreate,
    MeetingPublic,
    ParticipantCreate,
    ParticipantUpdate,
)
from meetings.access import NotInvited
from tests.factories import call, make_cabinet, make_user


def events(db: Database, meeting_id: int) -> list[MeetingEvent]:
    with db.read_session() as s:
        return list(
            s.exec(
                select(MeetingEvent).where(MeetingEvent.meeting_id == meeting_id).order_by(col(MeetingEvent.seq))
            ).all()
        )


def test_lifecycle_moves_current_item_and_numbers_events_without_gaps(db: Database) -> None:
    c = make_cabinet(db)
    with pytest.raises(Conflict, match="chưa"):
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)  # not started yet
    started = call(db, services.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    assert started["state"] == "started" and started["current_item_id"] == c.item_ids[0]
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    moved = call(db, services.activate_item, actor=c.secretary, meeting_id=c.meeting_id, item_id=c.item_ids[2])
    assert moved["current_item_id"] == c.item_ids[2]
    with pytest.raises(Conflict, match="cuối cùng"):
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    states = {i["id"]: i["state"] for i in db.run_read(agenda.list_agenda, actor=c.members[0], meeting_id=c.meeting_id)}
    assert states == {c.item_ids[0]: "done", c.item_ids[1]: "done", c.item_ids[2]: "current"}
    ended = call(db, services.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    assert ended["state"] == "ended" and ended["current_item_id"] is None
    with pytest.raises(Conflict, match="đã kết thúc"):
        call(db, services.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    seqs = [e.seq for e in events(db, c.meeting_id)]
    assert seqs == list(range(1, len(seqs) + 1))


def test_events_applied_to_an_old_snapshot_equal_a_fresh_snapshot(db: Database) -> None:
    c = make_cabinet(db)
    old = db.run_read(services.join, actor=c.members[0], meeting_id=c.meeting_id)
    call(db, services.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    call(db, participation.check_in, actor=c.members[0], meeting_id=c.meeting_id, data=CheckInRequest())
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=c.members[1].id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Đi công tác"),
    )
    call(db, agenda.add_item, actor=c.staff, meeting_id=c.meeting_id, data=AgendaItemCreate(title="Vấn đề phát sinh"))
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    missed = db.run_read(services.sync, actor=c.members[0], meeting_id=c.meeting_id, since=old["seq"], limit=100)
    state = old["snapshot"]
    for event in missed["events"]:
        state = apply_event(state, event)
    fresh = db.run_read(services.join, actor=c.members[0], meeting_id=c.meeting_id)
    assert missed["seq"] == fresh["seq"] == old["seq"] + 5
    assert state == fresh["snapshot"]


def test_sync_too_far_behind_gets_a_snapshot(db: Database) -> None:
    c = make_cabinet(db, start=True)
    for _ in range(3):
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=-1)
    answer = db.run_read(services.sync, actor=c.members[0], meeting_id=c.meeting_id, since=0, limit=3)
    assert "snapshot" in answer and answer["snapshot"]["meeting"]["current_item_id"] == c.item_ids[0]
    bogus = db.run_read(services.sync, actor=c.members[0], meeting_id=c.meeting_id, since=10_000, limit=100)
    assert "snapshot" in bogus  # a client ahead of the server (e.g. restored DB) starts over


def test_quorum_counts_two_thirds_of_all_members_and_the_rule_is_configurable(db: Database) -> None:
    c = make_cabinet(db, n_members=5)  # 6 voting members: chair + 5; secretary and guest do not count

    def quorum() -> dict:
        return db.run_read(services.join, actor=c.chair, meeting_id=c.meeting_id)["snapshot"]["quorum"]

    assert quorum() == {"total": 6, "present": 0, "required": 4, "reached": False}
    for actor in (c.chair, *c.members[:2]):
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    call(db, participation.check_in, actor=c.guest, meeting_id=c.meeting_id, data=CheckInRequest())
    assert quorum()["present"] == 3 and not quorum()["reached"]
    call(
        db,
        participation.check_in,
        actor=c.members[2],
        meeting_id=c.meeting_id,
        data=CheckInRequest(attendance=Attendance.present_remote),
    )
    assert quorum() == {"total": 6, "present": 4, "required": 4, "reached": True}
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=c.members[3].id,
        data=ParticipantUpdate(attendance=Attendance.deputy, deputy_name="Thứ trưởng Nguyễn Văn Phó"),
    )
    assert quorum()["present"] == 4  # deputies do not count by default
    with db.write_session() as s:
        s.add(OrgRules(id=1, quorum_num=1, quorum_den=2, deputy_counts_for_quorum=True))
        s.commit()
    assert quorum() == {"total": 6, "present": 5, "required": 3, "reached": True}


def test_attendance_is_explicit_and_corrections_record_who(db: Database) -> None:
    c = make_cabinet(db)
    with pytest.raises(ValidationFailed, match="lý do"):
        call(
            db,
            participation.update,
            actor=c.staff,
            meeting_id=c.meeting_id,
            user_id=c.members[0].id,
            data=ParticipantUpdate(attendance=Attendance.absent),
        )
    with pytest.raises(ValidationFailed):
        call(
            db,
            participation.check_in,
            actor=c.members[0],
            meeting_id=c.meeting_id,
            data=CheckInRequest(attendance=Attendance.absent),
        )
    first = call(db, participation.check_in, actor=c.members[0], meeting_id=c.meeting_id, data=CheckInRequest())
    before = len(events(db, c.meeting_id))
    again = call(db, participation.check_in, actor=c.members[0], meeting_id=c.meeting_id, data=CheckInRequest())
    assert first == again and first["attendance"] == "present_room"
    assert len(events(db, c.meeting_id)) == before  # the repeated tap recorded nothing
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=c.members[0].id,
        data=ParticipantUpdate(attendance=Attendance.absent, absence_reason="Ốm"),
    )
    last = events(db, c.meeting_id)[-1]
    assert (
        last.type == "attendance.changed" and last.actor_id == c.staff.id and last.data["by"]["user_id"] == c.staff.id
    )


def test_agenda_insert_reorder_delete_keep_positions_dense(db: Database) -> None:
    c = make_cabinet(db, publish=False)
    new = call(
        db,
        agenda.add_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=AgendaItemCreate(title="Nội dung chen vào đầu", position=1),
    )
    items = db.run_read(agenda.list_agenda, actor=c.staff, meeting_id=c.meeting_id)
    assert [i["id"] for i in items] == [new["id"], *c.item_ids] and [i["position"] for i in items] == [1, 2, 3, 4]
    order = [c.item_ids[2], new["id"], c.item_ids[0], c.item_ids[1]]
    assert [i["id"] for i in call(db, agenda.reorder, actor=c.staff, meeting_id=c.meeting_id, item_ids=order)] == order
    with pytest.raises(ValidationFailed):
        call(db, agenda.reorder, actor=c.staff, meeting_id=c.meeting_id, item_ids=order[:3])
    with pytest.raises(ValidationFailed):
        call(db, agenda.reorder, actor=c.staff, meeting_id=c.meeting_id, item_ids=[*order[:3], 999_999])
    call(db, agenda.delete_item, actor=c.staff, meeting_id=c.meeting_id, item_id=new["id"])
    items = db.run_read(agenda.list_agenda, actor=c.staff, meeting_id=c.meeting_id)
    assert [i["position"] for i in items] == [1, 2, 3]
    with pytest.raises(NotFound):
        call(db, agenda.delete_item, actor=c.staff, meeting_id=c.meeting_id, item_id=new["id"])


def test_cannot_delete_an_item_already_discussed(db: Database) -> None:
    c = make_cabinet(db, start=True)
    with pytest.raises(Conflict, match="đang được thảo luận"):
        call(db, agenda.delete_item, actor=c.staff, meeting_id=c.meeting_id, item_id=c.item_ids[0])


def test_publish_needs_agenda_and_chair(db: Database) -> None:
    staff = make_user(db, GlobalRole.secretariat)
    mid = call(db, services.create_meeting, actor=staff, data=MeetingCreate(title="Họp chưa đủ điều kiện"))["id"]
    with pytest.raises(Conflict, match="chưa có nội dung"):
        call(db, services.publish_meeting, actor=staff, meeting_id=mid)
    call(db, agenda.add_item, actor=staff, meeting_id=mid, data=AgendaItemCreate(title="Nội dung duy nhất"))
    with pytest.raises(Conflict, match="chủ trì"):
        call(db, services.publish_meeting, actor=staff, meeting_id=mid)


def test_one_chair_per_meeting_and_guests_stay_guests(db: Database) -> None:
    c = make_cabinet(db)
    with pytest.raises(Conflict, match="chủ trì"):
        call(
            db,
            participation.invite,
            actor=c.staff,
            meeting_id=c.meeting_id,
            data=ParticipantCreate(user_id=c.outsider.id, role=MeetingRole.chair),
        )
    with pytest.raises(ValidationFailed, match="khách mời"):
        call(
            db,
            participation.update,
            actor=c.staff,
            meeting_id=c.meeting_id,
            user_id=c.guest.id,
            data=ParticipantUpdate(role=MeetingRole.member),
        )
    with pytest.raises(Conflict, match="đã có trong"):
        call(
            db,
            participation.invite,
            actor=c.staff,
            meeting_id=c.meeting_id,
            data=ParticipantCreate(user_id=c.members[0].id),
        )
    with pytest.raises(NotFound):
        call(db, participation.invite, actor=c.staff, meeting_id=c.meeting_id, data=ParticipantCreate(user_id=987_654))


def test_decomposed_vietnamese_input_is_stored_in_nfc(db: Database) -> None:
    c = make_cabinet(db, publish=False)
    decomposed = unicodedata.normalize("NFD", "Dự toán ngân sách nhà nước")
    item = call(db, agenda.add_item, actor=c.staff, meeting_id=c.meeting_id, data=AgendaItemCreate(title=decomposed))
    assert item["title"] == unicodedata.normalize("NFC", decomposed) != decomposed


def test_the_chairs_moves_read_the_agenda_in_order_and_refuse_what_they_must(any_db: Database) -> None:
    """On both databases: the moves read the meeting and its agenda in one query (meetings/access.py
    access_with_agenda), the meeting's row locked on PostgreSQL."""
    db = any_db
    c = make_cabinet(db, n_items=3, start=True)
    moved = [call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1) for _ in range(2)]
    assert [m["current_item_id"] for m in moved] == c.item_ids[1:3]
    back = call(db, services.activate_item, actor=c.chair, meeting_id=c.meeting_id, item_id=c.item_ids[0])
    assert back["current_item_id"] == c.item_ids[0]
    with pytest.raises(Conflict, match="đầu tiên"):
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=-1)
    with pytest.raises(Forbidden):  # a member who does not conduct the meeting
        call(db, services.step_item, actor=c.members[0], meeting_id=c.meeting_id, direction=1)
    with pytest.raises(NotInvited):
        call(db, services.step_item, actor=c.outsider, meeting_id=c.meeting_id, direction=1)
    with pytest.raises(NotFound):
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id + 1000, direction=1)
    with pytest.raises(NotFound):  # an item of no agenda of this meeting
        call(db, services.activate_item, actor=c.chair, meeting_id=c.meeting_id, item_id=c.item_ids[-1] + 1000)
    states = {i["id"]: i["state"] for i in db.run_read(agenda.list_agenda, actor=c.members[0], meeting_id=c.meeting_id)}
    assert states == {c.item_ids[0]: "current", c.item_ids[1]: "done", c.item_ids[2]: "done"}


def test_the_public_views_are_the_models_own_dumps(db: Database) -> None:
    """meetings/serialize.py calls pydantic's validator and serializer directly (every tap dumps the meeting and
    its agenda): the views are what the public models' model_validate and model_dump give, times included."""
    c = make_cabinet(db, n_items=3, start=True)
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    with db.read_session() as s:
        meeting = s.get(Meeting, c.meeting_id)
        assert meeting is not None and meeting.started_at is not None
        items = serialize.agenda_items(s, c.meeting_id)
        model = MeetingPublic.model_validate(meeting, from_attributes=True)
        assert serialize.meeting_data(meeting) == model.model_dump(mode="json", exclude={"my_role"})
        model.my_role = MeetingRole.chair
        assert serialize.meeting_data(meeting, MeetingRole.chair) == model.model_dump(mode="json")
        assert serialize.agenda_dump(items) == [
            AgendaItemPublic.model_validate(i, from_attributes=True).model_dump(mode="json") for i in items
        ]
    assert [i["state"] for i in serialize.agenda_dump(items)] == ["done", "current", "pending"]
