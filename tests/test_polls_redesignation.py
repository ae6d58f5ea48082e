"""A signer of the summary reports designated (or changed) in the polls' rules after polls closed: he is told of
every report waiting for him (poll.report_due, through the outbox after commit, once per poll and signer), and the
one no longer designated is no longer offered them to sign (polls/closing.py: redesignated)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from accounts.models import GlobalRole
from app.db import Database
from core.errors import Forbidden, NotFound
from core.outbox import OutboxJob
from notifications.models import Notification
from notifications.services import record
from polls import closing, reporting, services, views
from polls.schemas import RulesIn
from tests.conftest import LiveServer
from tests.factories import call, make_user
from tests.live import login
from tests.poll_helpers import OFFICE_HEAD_TITLE, QUESTIONS, Board, in_, make_board, make_poll, retitle
from tests.waiting import eventually

TZ = "Asia/Ho_Chi_Minh"


def _jobs(db: Database, kind: str) -> list[dict[str, Any]]:
    with db.read_session() as s:
        rows = s.exec(select(OutboxJob).where(OutboxJob.kind == kind).order_by(col(OutboxJob.id))).all()
        return [{"ref": j.ref, **j.payload} for j in rows]


def _due(db: Database) -> list[tuple[int, int]]:
    """(poll, user) of every poll.report_due job recorded so far."""
    jobs = [j for j in _jobs(db, "notify") if j["event"] == "poll.report_due"]
    return [(j["params"]["poll_id"], u) for j in jobs for u in j["user_ids"]]


def _designate(db: Database, b: Board, head: int | None, deputies: tuple[int, ...] = ()) -> dict[str, Any]:
    rules = RulesIn(
        silence_default="agree", require_signed_answers=False, report_signer_id=head, report_deputy_ids=list(deputies)
    )
    return call(db, services.set_rules, actor=b.admin, data=rules)


def _closed(db: Database, b: Board) -> dict[str, Any]:
    poll = make_poll(db, b, deadline=in_(3600))
    assert call(db, closing.close_poll, poll_id=poll["id"], now=in_(7200), tz=TZ)
    return poll


def test_a_signer_designated_after_the_close_is_told_once_and_the_former_one_loses_the_report(db: Database) -> None:
    b = make_board(db, n_members=2)
    first, second = _closed(db, b), _closed(db, b)
    open_poll = make_poll(db, b, deadline=in_(3600))  # not closed: nothing to sign yet
    head = make_user(db, GlobalRole.member, "Lưu Đình Khoa")
    retitle(db, head, OFFICE_HEAD_TITLE)
    deputy = make_user(db, GlobalRole.secretariat, "Đặng Thị Hồng Nhung")
    assert _due(db) == []  # nobody designated at the close: nobody told
    assert db.run_read(views.get_poll, actor=b.staff, poll_id=first["id"])["may_sign_report"] is False

    _designate(db, b, head.id)
    told = _due(db)
    assert sorted(told) == [(first["id"], head.id), (second["id"], head.id)]  # each closed poll, the open one not
    job = next(j for j in _jobs(db, "notify") if j["event"] == "poll.report_due")
    assert job["link"] == f"/polls/{first['id']}" and job["params"]["number"].endswith("/BC-VPCP")
    assert job["params"]["questions"] == len(QUESTIONS) and job["ref"] == f"poll:{first['id']}:report_due:{head.id}"
    mine = db.run_read(reporting.read_poll, actor=head, poll_id=first["id"], tz=TZ)
    assert mine["may_sign_report"] is True and mine["report_to_sign"]["number"].endswith("/BC-VPCP")
    assert {p["id"] for p in db.run_read(views.list_polls, actor=head)} == {first["id"], second["id"]}
    # the pages of these polls are refreshed (the audience, now with him)
    live = [j for j in _jobs(db, "poll.live") if j["type"] == "poll.signers"]
    assert sorted(j["poll_id"] for j in live) == sorted([first["id"], second["id"]])

    _designate(db, b, head.id)  # saved again unchanged: nobody told again, no refresh
    assert sorted(_due(db)) == sorted(told)
    assert len([j for j in _jobs(db, "poll.live") if j["type"] == "poll.signers"]) == 2

    _designate(db, b, head.id, (deputy.id,))  # a Vice Chairman added: only he is told
    assert sorted(_due(db)) == sorted(told + [(first["id"], deputy.id), (second["id"], deputy.id)])
    assert db.run_read(views.get_poll, actor=deputy, poll_id=second["id"])["may_sign_report"] is True

    # the head changed: the new head is told; the former one no longer has the reports as his to sign
    new_head = make_user(db, GlobalRole.member, "Trần Văn Sơn")
    before = len(_due(db))
    _designate(db, b, new_head.id, (deputy.id,))
    assert sorted(_due(db)[before:]) == [(first["id"], new_head.id), (second["id"], new_head.id)]
    gone = [j for j in _jobs(db, "poll.live") if j["type"] == "poll.signers" and j.get("also")]
    assert gone and all(j["also"] == [head.id] for j in gone)  # his open page is told to look again
    assert db.run_read(views.list_polls, actor=head) == []
    with pytest.raises((Forbidden, NotFound)):  # not on its list: as if absent (404)
        db.run_read(reporting.read_poll, actor=head, poll_id=first["id"], tz=TZ)
    digest = db.run_read(reporting.report_view, actor=new_head, poll_id=first["id"], tz=TZ)["digest"]
    with pytest.raises((Forbidden, NotFound)):
        db.run_read(reporting.report_to_sign, actor=head, poll_id=first["id"], shown=digest, tz=TZ)
    assert db.run_read(views.get_poll, actor=b.members[0], poll_id=open_poll["id"])["may_sign_report"] is False

    # the former head designated again: he was told of these reports already, not twice
    refs = {j["ref"] for j in _jobs(db, "notify") if j["event"] == "poll.report_due"}
    _designate(db, b, head.id, (deputy.id,))
    assert {j["ref"] for j in _jobs(db, "notify") if j["event"] == "poll.report_due"} == refs  # the same refs
    assert db.run_read(reporting.read_poll, actor=head, poll_id=first["id"], tz=TZ)["may_sign_report"] is True
    # delivered (every job, as the outbox would): one notification per poll and signer, the head's too
    for job in _jobs(db, "notify"):
        call(db, record, ref=job["ref"], jobs=[job], tz=TZ, mail=False)
    with db.read_session() as s:
        rows = s.exec(select(Notification).where(Notification.event == "poll.report_due")).all()
        got = sorted((n.params["poll_id"], n.user_id) for n in rows)
    want = [(p["id"], u) for p in (first, second) for u in (head.id, deputy.id, new_head.id)]
    assert got == sorted(want)


async def test_on_the_server_the_designated_signer_gets_the_notification_once(live_server: LiveServer) -> None:
    """Through PUT /api/poll-rules on the real server: the outbox delivers poll.report_due to the signer designated
    after the close, once, however often the rules are saved; the former signer's page no longer offers signing."""
    db = live_server.db
    b = make_board(db, n_members=2)
    poll = _closed(db, b)
    head = make_user(db, GlobalRole.secretariat, "Lưu Đình Khoa")
    other = make_user(db, GlobalRole.secretariat, "Trần Văn Sơn")
    admin, signer, former = [await login(live_server.url, u.username) for u in (b.admin, other, head)]
    rules = {"silence_default": "agree", "require_signed_answers": False, "report_signer_id": head.id}

    async def told(client: Any) -> list[dict[str, Any]]:
        items = (await client.get("/api/notifications")).json()["items"]
        return [n for n in items if n["event"] == "poll.report_due" and n["link"] == f"/polls/{poll['id']}"]

    assert (await admin.put("/api/poll-rules", json=rules)).status_code == 200
    await eventually(lambda: told(former), "the head designated after the close is told")
    assert (await former.get(f"/api/polls/{poll['id']}")).json()["may_sign_report"] is True
    for _ in range(2):  # saved again: no second notification
        assert (await admin.put("/api/poll-rules", json=rules)).status_code == 200
    rules["report_signer_id"] = other.id
    assert (await admin.put("/api/poll-rules", json=rules)).status_code == 200
    await eventually(lambda: told(signer), "the new head is told")
    assert len(await told(former)) == 1
    page = (await former.get(f"/api/polls/{poll['id']}")).json()  # the secretariat still sees the poll
    assert page["may_sign_report"] is False and "report_to_sign" not in page
    sign = {"password": "x", "report_digest": "0" * 64}
    assert (await former.post(f"/api/polls/{poll['id']}/report/sign", json=sign)).status_code == 403
    assert (await signer.get(f"/api/polls/{poll['id']}")).json()["may_sign_report"] is True
    for c in (admin, signer, former):
        await c.aclose()
