"""Every service operation refused for the wrong role and allowed for the right one (OpenSlides-style pairs)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from accounts import services as accounts
from accounts.models import GlobalRole
from accounts.schemas import UserCreate
from app.db import Database
from core.errors import Forbidden, NotFound
from meetings import agenda, participation, services
from meetings.models import Attendance, MeetingRole
from meetings.schemas import (
    AgendaItemCreate,
    AgendaItemUpdate,
    CheckInRequest,
    MeetingCreate,
    MeetingUpdate,
    ParticipantCreate,
    ParticipantUpdate,
)
from tests.factories import Cabinet, make_cabinet, make_user

# name -> (service, kwargs builder, allowed role, denied role, meeting must be started)
Case = tuple[Callable[..., Any], Callable[[Cabinet, Database], dict[str, Any]], str, str, bool]


def _new_user(c: Cabinet, db: Database) -> dict[str, Any]:
    return {"meeting_id": c.meeting_id, "data": ParticipantCreate(user_id=make_user(db).id, role=MeetingRole.member)}


CASES: dict[str, Case] = {
    "get_meeting": (services.get_meeting, lambda c, db: {"meeting_id": c.meeting_id}, "member", "outsider", False),
    "join": (services.join, lambda c, db: {"meeting_id": c.meeting_id}, "guest", "outsider", False),
    "sync": (
        services.sync,
        lambda c, db: {"meeting_id": c.meeting_id, "since": 0, "limit": 50},
        "member",
        "outsider",
        False,
    ),
    "create_meeting": (
        services.create_meeting,
        lambda c, db: {"data": MeetingCreate(title="Họp chuyên đề pháp luật")},
        "staff",
        "chair",
        False,
    ),
    "update_meeting": (
        services.update_meeting,
        lambda c, db: {"meeting_id": c.meeting_id, "data": MeetingUpdate(place="Phòng 2")},
        "secretary",
        "chair",
        False,
    ),
    "start_meeting": (
        services.start_meeting,
        lambda c, db: {"meeting_id": c.meeting_id, "force": True},
        "chair",
        "member",
        False,
    ),
    "end_meeting": (services.end_meeting, lambda c, db: {"meeting_id": c.meeting_id}, "chair", "member", True),
    "step_item": (
        services.step_item,
        lambda c, db: {"meeting_id": c.meeting_id, "direction": 1},
        "secretary",
        "guest",
        True,
    ),
    "activate_item": (
        services.activate_item,
        lambda c, db: {"meeting_id": c.meeting_id, "item_id": c.item_ids[2]},
        "chair",
        "member",
        True,
    ),
    "list_agenda": (agenda.list_agenda, lambda c, db: {"meeting_id": c.meeting_id}, "guest", "outsider", False),
    "add_item": (
        agenda.add_item,
        lambda c, db: {"meeting_id": c.meeting_id, "data": AgendaItemCreate(title="Nội dung bổ sung")},
        "staff",
        "member",
        False,
    ),
    "update_item": (
        agenda.update_item,
        lambda c, db: {
            "meeting_id": c.meeting_id,
            "item_id": c.item_ids[0],
            "data": AgendaItemUpdate(presenter="Bộ Y tế"),
        },
        "secretary",
        "chair",
        False,
    ),
    "delete_item": (
        agenda.delete_item,
        lambda c, db: {"meeting_id": c.meeting_id, "item_id": c.item_ids[2]},
        "staff",
        "member",
        False,
    ),
    "reorder": (
        agenda.reorder,
        lambda c, db: {"meeting_id": c.meeting_id, "item_ids": list(reversed(c.item_ids))},
        "staff",
        "guest",
        False,
    ),
    "list_participants": (
        participation.list_participants,
        lambda c, db: {"meeting_id": c.meeting_id},
        "member",
        "outsider",
        False,
    ),
    "invite": (participation.invite, _new_user, "staff", "chair", False),
    "update_participant": (
        participation.update,
        lambda c, db: {
            "meeting_id": c.meeting_id,
            "user_id": c.members[1].id,
            "data": ParticipantUpdate(attendance=Attendance.absent, absence_reason="Công tác nước ngoài"),
        },
        "secretary",
        "member",
        False,
    ),
    "remove_participant": (
        participation.remove,
        lambda c, db: {"meeting_id": c.meeting_id, "user_id": c.members[1].id},
        "staff",
        "member",
        False,
    ),
    "attendance_history": (
        participation.attendance_history,
        lambda c, db: {"meeting_id": c.meeting_id},
        "guest",
        "outsider",
        False,
    ),
    "check_in": (
        participation.check_in,
        lambda c, db: {"meeting_id": c.meeting_id, "data": CheckInRequest()},
        "member",
        "outsider",
        False,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied, started = CASES[name]
    cabinet = make_cabinet(db, start=started)
    args = kwargs(cabinet, db)
    # the outsider is not invited: the meeting is absent to him (404 "not found"), not refused (403)
    with pytest.raises(NotFound if denied == "outsider" else Forbidden):
        db.run_write(fn, actor=cabinet.by_name(denied), **args)
    db.run_write(fn, actor=cabinet.by_name(allowed), **args)


def test_list_meetings_shows_only_published_invitations(db: Database) -> None:
    draft = make_cabinet(db, publish=False)
    published = make_cabinet(db)
    ids = lambda actor: {m["id"] for m in db.run_read(services.list_meetings, actor=actor)}
    assert ids(published.members[0]) == {published.meeting_id}
    assert ids(draft.members[0]) == set()  # invited, but the meeting is still a draft
    assert ids(published.outsider) == set()
    assert {draft.meeting_id, published.meeting_id} <= ids(published.staff)
    with pytest.raises(NotFound, match="Không tìm thấy cuộc họp"):  # a draft: as absent to its invitees
        db.run_read(services.get_meeting, actor=draft.members[0], meeting_id=draft.meeting_id)


@pytest.mark.service_pair("accounts.services.create_user", "accounts.services.list_users")
def test_only_admin_creates_accounts_and_only_staff_list_them(db: Database) -> None:
    admin = make_user(db, GlobalRole.admin)
    member = make_user(db)
    data = UserCreate(username="bo-truong-moi", full_name="Bộ trưởng Mới", password="Mật-khẩu-dài-2026")
    with pytest.raises(Forbidden):
        db.run_write(accounts.create_user, actor=member, data=data, min_length=10)
    created = db.run_write(accounts.create_user, actor=admin, data=data, min_length=10).result
    assert created.full_name == "Bộ trưởng Mới"
    with pytest.raises(Forbidden):
        db.run_read(accounts.list_users, actor=member)
    assert "bo-truong-moi" in {u.username for u in db.run_read(accounts.list_users, actor=admin)}
