"""Speaker queue services on a real database: permission pairs, queue order, the floor, item changes."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from app.db import Database
from app.domains import register_speakers
from core.errors import Conflict, Forbidden, NotFound
from meetings import agenda, participation, services
from meetings.models import Attendance
from meetings.reducer import apply_event
from meetings.schemas import AgendaItemUpdate, CheckInRequest, ParticipantUpdate
from speakers import services as speakers
from speakers.models import SpeakerRequest, SpeakerState
from speakers.schemas import SpeakRequest
from tests.factories import Cabinet, call, make_cabinet


@pytest.fixture(autouse=True)
def _wired() -> None:
    register_speakers()  # the slice and the item-change hook, as create_app installs them


def present(db: Database, c: Cabinet, *actors: Any) -> None:
    for actor in actors:
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())


def ask(db: Database, c: Cabinet, actor: Any) -> dict[str, Any]:
    return call(db, speakers.request_floor, actor=actor, meeting_id=c.meeting_id, data=SpeakRequest())


def slice_(db: Database, c: Cabinet) -> dict[str, Any]:
    return db.run_read(speakers.list_speakers, actor=c.chair, meeting_id=c.meeting_id)


def row(db: Database, request_id: int) -> SpeakerRequest:
    return db.run_read(lambda session: session.get(SpeakerRequest, request_id))


# --- permission pairs: (denied role, allowed role) for every operation ---------------------------------

Setup = Callable[[Database, Cabinet], dict[str, Any]]


def _waiting(db: Database, c: Cabinet) -> dict[str, Any]:
    present(db, c, c.members[0])
    return {"request_id": ask(db, c, c.members[0])["id"]}


def _speaking(db: Database, c: Cabinet) -> dict[str, Any]:
    args = _waiting(db, c)
    call(db, speakers.grant, actor=c.chair, **args)
    return args


CASES: dict[str, tuple[Callable[..., Any], Setup, str, str]] = {
    "list": (speakers.list_speakers, lambda db, c: {"meeting_id": c.meeting_id}, "outsider", "guest"),
    "request (guest may speak)": (
        speakers.request_floor,
        lambda db, c: {"meeting_id": c.meeting_id, "data": SpeakRequest()},
        "outsider",
        "guest",
    ),
    "request (secretary does not)": (
        speakers.request_floor,
        lambda db, c: {"meeting_id": c.meeting_id, "data": SpeakRequest()},
        "secretary",
        "guest",
    ),
    "give floor directly": (
        speakers.request_floor,
        lambda db, c: {"meeting_id": c.meeting_id, "data": SpeakRequest(user_id=c.guest.id)},
        "member",
        "chair",
    ),
    "grant": (speakers.grant, _waiting, "guest", "chair"),
    "grant (secretary conducts)": (speakers.grant, _waiting, "outsider", "secretary"),
    "finish": (speakers.finish, _speaking, "guest", "chair"),
    "withdraw": (speakers.withdraw, _waiting, "guest", "member"),
}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, setup, denied, allowed = CASES[name]
    c = make_cabinet(db, start=True)
    args = setup(db, c)
    # the outsider is not invited: the meeting and its requests are absent to him (404), not refused (403)
    with pytest.raises(NotFound if denied == "outsider" else Forbidden):
        db.run_write(fn, actor=c.by_name(denied), **args)
    db.run_write(fn, actor=c.by_name(allowed), **args)


def test_only_members_marked_present_may_ask(db: Database) -> None:
    c = make_cabinet(db, start=True)
    with pytest.raises(Forbidden, match="chưa được điểm danh có mặt"):
        ask(db, c, c.members[0])
    staff_marks = lambda user, **kw: call(
        db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=user.id, data=ParticipantUpdate(**kw)
    )
    staff_marks(c.members[1], attendance=Attendance.absent, absence_reason="Công tác nước ngoài")
    with pytest.raises(Forbidden):
        ask(db, c, c.members[1])
    staff_marks(c.members[2], attendance=Attendance.deputy, deputy_name="Thứ trưởng Trần Văn Dự")
    assert ask(db, c, c.members[2])["deputy_name"] == "Thứ trưởng Trần Văn Dự"
    call(
        db,
        participation.check_in,
        actor=c.members[0],
        meeting_id=c.meeting_id,
        data=CheckInRequest(attendance=Attendance.present_remote),
    )
    assert ask(db, c, c.members[0])["state"] == "waiting"
    with pytest.raises(Conflict):  # the chair cannot give the floor to someone absent either
        call(
            db,
            speakers.request_floor,
            actor=c.chair,
            meeting_id=c.meeting_id,
            data=SpeakRequest(user_id=c.members[1].id),
        )


def test_not_before_the_meeting_starts(db: Database) -> None:
    c = make_cabinet(db)
    present(db, c, c.members[0])
    with pytest.raises(Conflict, match="Không thể đăng ký phát biểu trong cuộc họp"):
        ask(db, c, c.members[0])


def test_queue_keeps_request_order_and_refuses_a_second_request(db: Database) -> None:
    c = make_cabinet(db, start=True)
    present(db, c, *c.members[:3])
    first, second, third = (ask(db, c, m) for m in c.members[:3])
    assert [r["user_id"] for r in slice_(db, c)["queue"]] == [m.id for m in c.members[:3]]
    assert (
        slice_(db, c)["queue"][0]["full_name"] == "Thành Viên Số 0"
        and slice_(db, c)["queue"][0]["title"] == "Bộ trưởng"
    )
    with pytest.raises(Conflict, match="đã đăng ký phát biểu") as exc:
        ask(db, c, c.members[0])
    assert exc.value.details["request_id"] == first["id"]
    call(db, speakers.withdraw, actor=c.members[0], request_id=first["id"])
    again = ask(db, c, c.members[0])  # withdrew, then asks again: goes to the end of the queue
    assert [r["id"] for r in slice_(db, c)["queue"]] == [second["id"], third["id"], again["id"]]
    with pytest.raises(Conflict, match="đã rút đăng ký"):
        call(db, speakers.withdraw, actor=c.members[0], request_id=first["id"])
    with pytest.raises(Conflict, match="đã rút đăng ký"):
        call(db, speakers.grant, actor=c.chair, request_id=first["id"])
    with pytest.raises(NotFound):
        call(db, speakers.grant, actor=c.chair, request_id=999999)


def test_grant_and_finish_record_the_speech_and_only_one_speaks_at_a_time(db: Database) -> None:
    c = make_cabinet(db, start=True)
    present(db, c, *c.members[:2])
    a, b = ask(db, c, c.members[0]), ask(db, c, c.members[1])
    granted = call(db, speakers.grant, actor=c.chair, request_id=a["id"])
    assert granted["state"] == "speaking" and granted["started_at"] and granted["limit_seconds"] == 300
    s = slice_(db, c)
    assert s["current"]["id"] == a["id"] and [r["id"] for r in s["queue"]] == [b["id"]]
    with pytest.raises(Conflict, match="đang phát biểu"):
        call(db, speakers.grant, actor=c.chair, request_id=a["id"])
    # Giving the floor to the next person ends the speech in progress ("xin cảm ơn, mời đồng chí ...").
    call(db, speakers.grant, actor=c.secretary, request_id=b["id"])
    first = row(db, a["id"])
    assert (
        first.state == SpeakerState.done
        and first.ended_at is not None
        and first.started_at is not None
        and first.ended_at >= first.started_at
    )
    assert slice_(db, c)["current"]["id"] == b["id"]
    call(db, speakers.finish, actor=c.members[1], request_id=b["id"])  # a speaker may end their own speech
    s = slice_(db, c)
    assert s["current"] is None and s["queue"] == []
    assert [r["id"] for r in s["done"]] == [a["id"], b["id"]] and all(r["ended_at"] for r in s["done"])
    with pytest.raises(Conflict, match="đã phát biểu xong"):
        call(db, speakers.finish, actor=c.chair, request_id=b["id"])


def test_the_item_limit_overrides_the_default_and_direct_floor(db: Database) -> None:
    c = make_cabinet(db, start=True)
    call(
        db,
        agenda.update_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        item_id=c.item_ids[0],
        data=AgendaItemUpdate(speech_limit_seconds=180),
    )
    given = call(
        db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.guest.id)
    )
    assert given["direct"] and given["state"] == "speaking" and given["limit_seconds"] == 180
    present(db, c, c.members[0])
    waiting = ask(db, c, c.members[0])
    # The chair calls someone who is already in the queue: their own request gets the floor, no duplicate.
    called = call(
        db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.members[0].id)
    )
    assert called["id"] == waiting["id"] and not called["direct"]
    assert row(db, given["id"]).state == SpeakerState.done
    with pytest.raises(NotFound):
        call(
            db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.outsider.id)
        )
    # null takes the item back to the organisation's default (it used to be ignored: a limit set was set forever)
    cleared = call(
        db,
        agenda.update_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        item_id=c.item_ids[0],
        data=AgendaItemUpdate.model_validate({"speech_limit_seconds": None}),
    )
    assert cleared["speech_limit_seconds"] is None
    again = call(
        db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.guest.id)
    )
    assert again["limit_seconds"] == 300  # the organisation's default (meetings/rules.py)


def test_moving_to_another_item_ends_the_speech_and_keeps_each_items_queue(any_db: Database) -> None:
    """On both databases: the chair's move reads the slice and ends the speech in progress on the driver's cursor
    (speakers/serialize.py, infra/driver.py), the ended speech written back through the ORM."""
    db = any_db
    c = make_cabinet(db, start=True)
    present(db, c, *c.members[:3])
    speaking, waiting = ask(db, c, c.members[0]), ask(db, c, c.members[1])
    call(db, speakers.grant, actor=c.chair, request_id=speaking["id"])
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    ended = row(db, speaking["id"])
    assert ended.state == SpeakerState.done and ended.ended_at is not None
    s = slice_(db, c)
    assert s == {"agenda_item_id": c.item_ids[1], "queue": [], "current": None, "done": []}
    with pytest.raises(Conflict, match="thuộc nội dung khác"):
        call(db, speakers.grant, actor=c.chair, request_id=waiting["id"])
    on_second = ask(db, c, c.members[2])
    assert slice_(db, c)["queue"][0]["id"] == on_second["id"]
    call(db, services.activate_item, actor=c.chair, meeting_id=c.meeting_id, item_id=c.item_ids[0])
    back = slice_(db, c)  # back on the first item: its queue and its finished speech are there again
    assert [r["id"] for r in back["queue"]] == [waiting["id"]] and [r["id"] for r in back["done"]] == [speaking["id"]]
    call(db, speakers.grant, actor=c.chair, request_id=waiting["id"])
    call(db, services.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    assert row(db, waiting["id"]).state == SpeakerState.done
    assert slice_(db, c)["current"] is None


def test_events_applied_to_an_old_snapshot_equal_a_fresh_one(db: Database) -> None:
    c = make_cabinet(db, start=True)
    old = db.run_read(services.join, actor=c.chair, meeting_id=c.meeting_id)
    present(db, c, *c.members[:2])
    a, b = ask(db, c, c.members[0]), ask(db, c, c.members[1])
    call(db, speakers.grant, actor=c.chair, request_id=a["id"])
    call(db, speakers.withdraw, actor=c.members[1], request_id=b["id"])
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    call(db, speakers.request_floor, actor=c.chair, meeting_id=c.meeting_id, data=SpeakRequest(user_id=c.guest.id))
    events = db.run_read(services.sync, actor=c.chair, meeting_id=c.meeting_id, since=old["seq"], limit=100)["events"]
    assert {e["type"] for e in events} >= {"speaker.queue_changed", "agenda.current_changed"}
    assert all("speakers" in e["data"] for e in events if e["type"].startswith(("speaker.", "agenda.current")))
    state = old["snapshot"]
    for event in events:
        state = apply_event(state, event)
    assert state == db.run_read(services.join, actor=c.chair, meeting_id=c.meeting_id)["snapshot"]
