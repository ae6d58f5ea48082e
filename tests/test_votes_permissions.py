"""Every vote operation refused for the wrong person and allowed for the right one (OpenSlides-style pairs)."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from app.db import Database
from core.errors import Forbidden, NotFound
from meetings.models import Attendance
from meetings.rules import OrgRules
from tests.factories import Cabinet, call, make_cabinet
from tests.vote_helpers import new_vote, option, present_cabinet, set_attendance
from votes import casting, services
from votes.schemas import VoteCreate, VoteUpdate

V = dict[str, Any]
# name -> (service, kwargs builder, allowed, denied, state the vote is in first)
Case = tuple[Callable[..., Any], Callable[[Cabinet, V], dict[str, Any]], str, str, str]
_create = lambda c, v: {
    "meeting_id": c.meeting_id,
    "data": VoteCreate(agenda_item_id=c.item_ids[1], question="Thông qua đề án?"),
}

CASES: dict[str, Case] = {
    "list_votes": (services.list_votes, lambda c, v: {"meeting_id": c.meeting_id}, "guest", "outsider", "draft"),
    "get_vote": (services.get_vote, lambda c, v: {"vote_id": v["id"]}, "member", "outsider", "open"),
    "create_vote/chair": (services.create_vote, _create, "chair", "member", "draft"),
    "create_vote/secretary": (services.create_vote, _create, "secretary", "guest", "draft"),
    "update_vote": (
        services.update_vote,
        lambda c, v: {"vote_id": v["id"], "data": VoteUpdate(question="Câu hỏi đã sửa?")},
        "secretary",
        "member",
        "draft",
    ),
    "open_vote": (services.open_vote, lambda c, v: {"vote_id": v["id"]}, "chair", "member", "draft"),
    "open_vote/staff": (services.open_vote, lambda c, v: {"vote_id": v["id"]}, "staff", "guest", "draft"),
    "cast/guest": (
        casting.cast,
        lambda c, v: {"vote_id": v["id"], "option_id": option(v, "yes")},
        "member",
        "guest",
        "open",
    ),
    "cast/secretary": (
        casting.cast,
        lambda c, v: {"vote_id": v["id"], "option_id": option(v, "no")},
        "chair",
        "secretary",
        "open",
    ),
    "cast/outsider": (
        casting.cast,
        lambda c, v: {"vote_id": v["id"], "option_id": option(v, "yes")},
        "member",
        "outsider",
        "open",
    ),
    "close_vote": (services.close_vote, lambda c, v: {"vote_id": v["id"]}, "chair", "member", "open"),
    "publish_vote": (services.publish_vote, lambda c, v: {"vote_id": v["id"]}, "secretary", "member", "closed"),
}
# denied as if absent (404, not 403): the outsider does not know the meeting, the guest does not know a draft vote
HIDDEN = {"list_votes", "get_vote", "open_vote/staff", "cast/outsider"}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied, state = CASES[name]
    cabinet = present_cabinet(db)
    args = kwargs(cabinet, new_vote(db, cabinet, state=state))
    with pytest.raises(NotFound if name in HIDDEN else Forbidden, match="Không tìm thấy" if name in HIDDEN else None):
        db.run_write(fn, actor=cabinet.by_name(denied), **args)
    db.run_write(fn, actor=cabinet.by_name(allowed), **args)


def test_absent_member_cannot_vote_until_present(db: Database) -> None:
    c = present_cabinet(db)
    set_attendance(db, c, c.members[1], Attendance.absent, absence_reason="Công tác nước ngoài")
    vote = new_vote(db, c, state="open")
    args = {"vote_id": vote["id"], "option_id": option(vote, "yes")}
    with pytest.raises(Forbidden, match="chưa được điểm danh"):
        call(db, casting.cast, actor=c.members[1], **args)
    set_attendance(db, c, c.members[1], Attendance.present_remote)  # remote members vote the same way
    assert call(db, casting.cast, actor=c.members[1], **args)["me"]["voted"] is True


def test_deputy_votes_only_when_the_organisation_allows(db: Database) -> None:
    c = present_cabinet(db)
    set_attendance(db, c, c.members[2], Attendance.deputy, deputy_name="Thứ trưởng Nguyễn Văn Thay")
    vote = new_vote(db, c, state="open")
    args = {"vote_id": vote["id"], "option_id": option(vote, "yes")}
    with pytest.raises(Forbidden, match="dự thay"):
        call(db, casting.cast, actor=c.members[2], **args)

    def allow(session: Any) -> None:
        session.merge(OrgRules(id=1, deputy_may_vote=True))

    db.run_write(allow)
    assert call(db, casting.cast, actor=c.members[2], **args)["me"]["voted"] is True


def test_member_of_another_meeting_sees_nothing(db: Database) -> None:
    c = present_cabinet(db)
    other = make_cabinet(db)
    vote = new_vote(db, c, state="open")
    stranger = other.members[0]  # to him the vote and its meeting are absent, not refused (404, not 403)
    with pytest.raises(NotFound, match="Không tìm thấy biểu quyết"):
        db.run_read(services.get_vote, actor=stranger, vote_id=vote["id"])
    with pytest.raises(NotFound, match="Không tìm thấy cuộc họp"):
        db.run_read(services.list_votes, actor=stranger, meeting_id=c.meeting_id)
    with pytest.raises(NotFound, match="Không tìm thấy biểu quyết"):
        call(db, casting.cast, actor=stranger, vote_id=vote["id"], option_id=option(vote, "yes"))


def test_only_the_chair_may_force_open_without_quorum(db: Database) -> None:
    c = make_cabinet(db, start=True)  # nobody checked in: no quorum
    vote = new_vote(db, c)
    with pytest.raises(Forbidden, match="chủ trì"):
        call(db, services.open_vote, actor=c.secretary, vote_id=vote["id"], force=True)
    assert call(db, services.open_vote, actor=c.chair, vote_id=vote["id"], force=True)["state"] == "open"
