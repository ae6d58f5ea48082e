"""Conclusion notices: each operation refused for the wrong person and allowed for the right one (a pair table
read by tests/test_service_pairs.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from app.db import Database
from core.errors import NotFound
from notices import issuing, services, tasks
from tests.factories import call, denied_then_allowed
from tests.notice_helpers import UNIT, Held, held_meeting

Setup = Callable[[Held, int], dict[str, Any]]
# name -> (service, kwargs builder (gets the notice id), allowed, denied, the notice's state first: None = no notice)
Case = tuple[Callable[..., Any], Setup, str, str, str | None]
_notice = lambda h, nid: {"notice_id": nid}

CASES: dict[str, Case] = {
    "create_notice": (services.create_notice, lambda h, nid: {"meeting_id": h.meeting_id}, "staff", "chair", None),
    "update_notice": (
        services.update_notice,
        lambda h, nid: {"notice_id": nid, "subject": "Kết luận phiên họp", "intro": None, "conclusions": None},
        "staff",
        "chair",
        "draft",
    ),
    "add_task": (
        services.add_task,
        lambda h, nid: {
            "notice_id": nid,
            "conclusion_id": None,
            "unit": UNIT,
            "what": "Hoàn thiện hồ sơ",
            "deadline": date(2031, 1, 15),
        },
        "staff",
        "chair",
        "draft",
    ),
    "submit": (services.submit, _notice, "staff", "chair", "draft"),
    "return_to_draft": (services.return_to_draft, _notice, "chair", "staff", "submitted"),
    "approve": (issuing.approve, _notice, "chair", "staff", "submitted"),
    "tasks.list_tasks": (tasks.list_tasks, lambda h, nid: {}, "member", "guest", None),
    "tasks.dashboard": (tasks.dashboard, lambda h, nid: {}, "chair", "guest", None),
    "get_pdf (draft)": (issuing.get_pdf, _notice, "chair", "member", "draft"),
    "get_notice": (services.get_notice, _notice, "chair", "member", "draft"),
}
# a draft is the secretariat's and the chair's: to the meeting's other participants as absent as to anyone (404)
HIDDEN = {"get_pdf (draft)", "get_notice"}


@pytest.mark.parametrize("name", CASES)
def test_denied_then_allowed(db: Database, name: str) -> None:
    fn, kwargs, allowed, denied, state = CASES[name]
    h = held_meeting(db)
    c = h.cabinet
    nid = 0
    if state:
        nid = call(db, services.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]
        if state == "submitted":
            call(db, services.submit, actor=c.staff, notice_id=nid)
    if name in HIDDEN:
        with pytest.raises(NotFound, match="Không tìm thấy thông báo kết luận") as refused:
            db.run_write(fn, actor=c.by_name(denied), **kwargs(h, nid))
        assert refused.value.details is None  # no id echoed: one body for every id
        db.run_write(fn, actor=c.by_name(allowed), **kwargs(h, nid))
        return
    denied_then_allowed(db, fn, c.by_name(denied), c.by_name(allowed), **kwargs(h, nid))
