"""A poll withdrawn by the secretariat before it closes (with a reason: the voters are told, it leaves their inbox
and stays in their list as withdrawn), and who is told along a poll's life: the chair when it is submitted to him,
the voters when it is extended or withdrawn, the secretariat when it closes with its result."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import Database
from core import outbox
from core.clock import iso
from core.errors import Conflict, Forbidden
from polls import closing, services, views
from polls.schemas import ExtendIn, WithdrawIn
from tests.factories import call, denied_then_allowed
from tests.poll_helpers import in_, make_board, make_poll

TZ = "Asia/Ho_Chi_Minh"


def _jobs(db: Database, event: str) -> list[dict[str, Any]]:
    with db.read_session() as s:
        return [
            p
            for k, r in outbox.all_keys(session=s)
            if k == "notify"
            for _, p in outbox.pending(session=s, kind=k, ref=r)
            if p["event"] == event
        ]


@pytest.mark.service_pair("polls.services.withdraw_poll")
def test_the_secretariat_withdraws_an_open_poll_with_a_reason(db: Database) -> None:
    b = make_board(db, n_members=3)
    poll = make_poll(db, b, deadline=in_(3600))
    assert [p["id"] for p in call(db, views.inbox, actor=b.members[0])] == [poll["id"]]
    reason = WithdrawIn(reason="Đã đưa ra phiên họp Chính phủ thường kỳ")
    with pytest.raises(Forbidden):  # the voters do not withdraw it, nor does the chair
        call(db, services.withdraw_poll, actor=b.members[0], poll_id=poll["id"], data=reason)
    got = denied_then_allowed(db, services.withdraw_poll, b.chair, b.staff, poll_id=poll["id"], data=reason)
    assert got["state"] == "withdrawn" and got["withdraw_reason"] == reason.reason and got["withdrawn_at"]
    assert call(db, views.inbox, actor=b.members[0]) == []  # it leaves the inbox
    mine = call(db, views.list_polls, actor=b.members[0])
    assert [(p["id"], p["state"]) for p in mine] == [(poll["id"], "withdrawn")]  # and stays listed as withdrawn
    assert all(q["result"] is None for q in mine[0]["questions"])
    told = _jobs(db, "poll.withdrawn")
    assert len(told) == 1 and set(told[0]["user_ids"]) == {v.id for v in b.voters}
    assert told[0]["params"]["reason"] == reason.reason
    with pytest.raises(Conflict):  # once withdrawn: nothing more
        call(db, services.withdraw_poll, actor=b.staff, poll_id=poll["id"], data=reason)
    with pytest.raises(Conflict):
        call(
            db,
            services.extend_poll,
            actor=b.staff,
            poll_id=poll["id"],
            data=ExtendIn(deadline_at=in_(7200), reason="x"),
            tz=TZ,
        )
    assert call(db, closing.due_polls, now=in_(7200)) == []  # the clock leaves it alone


def test_a_draft_withdrawn_is_never_seen_by_the_chair_or_the_voters(db: Database) -> None:
    b = make_board(db, n_members=2)
    poll = make_poll(db, b, deadline=in_(3600), state="draft")
    call(db, services.withdraw_poll, actor=b.staff, poll_id=poll["id"], data=WithdrawIn(reason="Soạn nhầm"))
    assert call(db, views.list_polls, actor=b.chair) == [] and call(db, views.list_polls, actor=b.members[0]) == []
    assert _jobs(db, "poll.withdrawn") == []
    with pytest.raises(ValueError):  # a reason is required
        WithdrawIn(reason="")


def test_who_is_told_along_a_polls_life(db: Database) -> None:
    b = make_board(db, n_members=3)
    poll = make_poll(db, b, deadline=in_(3600), state="submitted")
    submitted = _jobs(db, "poll.submitted")
    assert len(submitted) == 1 and submitted[0]["user_ids"] == [b.chair.id]
    call(db, services.approve_poll, actor=b.chair, poll_id=poll["id"], tz=TZ)
    new = in_(7200)
    call(
        db,
        services.extend_poll,
        actor=b.staff,
        poll_id=poll["id"],
        data=ExtendIn(deadline_at=new, reason="Chờ Bộ Tư pháp"),
        tz=TZ,
    )
    extended = _jobs(db, "poll.extended")
    assert len(extended) == 1 and set(extended[0]["user_ids"]) == {v.id for v in b.voters}
    assert extended[0]["params"]["reason"] == "Chờ Bộ Tư pháp" and extended[0]["params"]["deadline_at"] == iso(new)
    assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(8000)) is True
    closed = _jobs(db, "poll.closed")
    assert len(closed) == 1 and set(closed[0]["user_ids"]) == {b.staff.id, b.admin.id}
    assert closed[0]["params"]["questions"] == 2 and closed[0]["params"]["adopted"] == 2  # silence counts as agreeing


def test_mail_links_are_absolute_with_the_public_url_and_explained_without() -> None:
    from notifications.services import _mail_body

    with_url = _mail_body("Nội dung.", "/polls/7", "https://ecabinet.example.gov.vn/")
    assert "https://ecabinet.example.gov.vn/polls/7" in with_url
    bare = _mail_body("Nội dung.", "/polls/7", "")
    assert "/polls/7" in bare and "e-Cabinet" in bare.split("-- ")[0] and "https://" not in bare
    assert "https://" not in _mail_body("Nội dung.", "/polls/7", "javascript:alert(1)")  # only an http(s) address
