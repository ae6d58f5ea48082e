"""Denied/allowed pairs for the services the older pair tables did not cover (tests/test_service_pairs.py checks
that every service has one): the wrong role is refused with Forbidden (NotFound, as if absent, where the meeting
is not the caller's to know), the right one then succeeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from accounts.models import GlobalRole
from app.db import Database
from core.errors import NotFound
from audit import services as audit
from display import services as display
from meetings import access, audience, participation
from meetings import services as meetings
from meetings.models import MeetingMode
from meetings.schemas import MeetingUpdate
from tests.factories import Cabinet, call, denied_then_allowed, make_cabinet, make_user
from workdays import services as workdays
from workdays.schemas import OverrideCreate

Setup = Callable[[Cabinet, Database], dict[str, Any]]
# name -> (service, kwargs builder (may prepare state), allowed role, denied role, meeting published first)
Case = tuple[Callable[..., Any], Setup, str, str, bool]


def _meeting(c: Cabinet, db: Database) -> dict[str, Any]:
    return {"meeting_id": c.meeting_id}


def _remote(c: Cabinet, db: Database) -> dict[str, Any]:
    """A hybrid meeting, started: remote media is open to its participants."""
    call(
        db, meetings.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(mode=MeetingMode.hybrid)
    )
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    return {"meeting_id": c.meeting_id}


def _token(c: Cabinet, db: Database) -> dict[str, Any]:
    made = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    return {"meeting_id": c.meeting_id, "token_id": made["id"]}


def _override(c: Cabinet, db: Database) -> dict[str, Any]:
    made = call(
        db,
        workdays.add_override,
        actor=make_user(db, GlobalRole.admin),
        data=OverrideCreate(day=date(2031, 5, 6), kind="off"),
    )
    return {"override_id": made["id"]}


CASES: dict[str, Case] = {
    "publish_meeting": (meetings.publish_meeting, _meeting, "secretary", "chair", False),
    "unpublish_meeting": (meetings.unpublish_meeting, _meeting, "staff", "chair", True),
    "authorize_manage": (access.authorize_manage, _meeting, "secretary", "chair", True),
    "audience.join": (audience.join, _meeting, "guest", "outsider", True),
    "authorize_remote_control": (participation.authorize_remote_control, _meeting, "chair", "member", True),
    "authorize_remote (hall camera)": (
        participation.authorize_remote,
        lambda c, db: {**_remote(c, db), "hall": True},
        "chair",
        "member",
        True,
    ),
    "set_remote_presence (someone else)": (
        participation.set_remote_presence,
        lambda c, db: {**_remote(c, db), "present": True, "user_id": c.members[1].id},
        "chair",
        "member",
        True,
    ),
    "display.display_page": (display.display_page, _meeting, "member", "outsider", True),
    "display.create_token": (display.create_token, _meeting, "secretary", "chair", True),
    "display.list_tokens": (display.list_tokens, _meeting, "staff", "member", True),
    "display.revoke_token": (display.revoke_token, _token, "secretary", "chair", True),
    "workdays.add_override": (
        workdays.add_override,
        lambda c, db: {"data": OverrideCreate(day=date(2031, 9, 6), kind="work")},
        "admin",
        "staff",
        True,
    ),
    "workdays.remove_override": (workdays.remove_override, _override, "admin", "staff", True),
    "audit.list_entries": (audit.list_entries, lambda c, db: {}, "admin", "staff", True),
    "audit.verify_chain": (audit.verify_chain, lambda c, db: {}, "admin", "staff", True),
}

# the outsider is not invited, the chair of a draft is invited to a draft: to both the meeting is absent
HIDDEN = {"publish_meeting", "audience.join", "display.display_page"}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied, published = CASES[name]
    cabinet = make_cabinet(db, publish=published)
    args = kwargs(cabinet, db)
    actor = lambda role: make_user(db, GlobalRole.admin) if role == "admin" else cabinet.by_name(role)
    if name in HIDDEN:  # the meeting is not the denied one's to know: as absent (404), not refused (403)
        with pytest.raises(NotFound, match="Không tìm thấy cuộc họp"):
            db.run_write(fn, actor=actor(denied), **args)
        db.run_write(fn, actor=actor(allowed), **args)
        return
    denied_then_allowed(db, fn, actor(denied), actor(allowed), **args)
