"""The audit log: every change is a chain link; a row altered by hand with raw SQL is named by the verifier."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
from audit import services as audit
from core.errors import Forbidden
from meetings import participation, services
from meetings.schemas import CheckInRequest
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet, make_user
from tests.live import login


def _changes(db: Database) -> tuple:
    c = make_cabinet(db, start=True)
    call(db, participation.check_in, actor=c.members[0], meeting_id=c.meeting_id, data=CheckInRequest())
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    return c, make_user(db, GlobalRole.admin)


def test_every_change_is_chained_and_the_intact_chain_verifies(db: Database) -> None:
    c, admin = _changes(db)
    log = db.run_read(audit.list_entries, actor=admin, limit=1000)["items"]
    types = [e["type"] for e in reversed(log)]
    assert types.count("user.created") >= 10
    assert [t for t in types if t != "user.created" and not t.startswith("state.")][-3:] == [
        "meeting.started",
        "attendance.changed",
        "agenda.current_changed",
    ]
    verdict = db.run_read(audit.verify_chain, actor=admin)
    assert verdict["ok"] and verdict["checked"] == len(log)


@pytest.mark.parametrize(
    "tamper, reason",
    [
        ("UPDATE audit_entry SET summary = 'sửa tay' WHERE id = {target}", "nội dung"),
        ("UPDATE audit_entry SET actor_id = 1 WHERE id = {target}", "nội dung"),
        ("DELETE FROM audit_entry WHERE id = {target}", "thiếu bản ghi"),
        ("UPDATE meeting_event SET data = '{{\"by\": null}}' WHERE meeting_id = {meeting} AND seq = {seq}", "sự kiện"),
    ],
)
def test_a_row_changed_with_raw_sql_is_named(db: Database, tamper: str, reason: str) -> None:
    c, admin = _changes(db)
    with db.read_session() as s:
        target, seq = s.execute(
            text("SELECT id, event_seq FROM audit_entry WHERE type = 'attendance.changed' AND meeting_id = :m"),
            {"m": c.meeting_id},
        ).one()
    with db.engine.begin() as conn:
        conn.exec_driver_sql(tamper.format(target=target, meeting=c.meeting_id, seq=seq))
    verdict = db.run_read(audit.verify_chain, actor=admin)
    expected = target + 1 if reason == "thiếu bản ghi" else target
    assert verdict["ok"] is False and verdict["first_broken_id"] == expected and reason in verdict["reason"]


def test_only_the_admin_reads_and_verifies_the_log(db: Database) -> None:
    c, admin = _changes(db)
    for actor in (c.staff, c.chair, c.members[0]):
        with pytest.raises(Forbidden):
            db.run_read(audit.list_entries, actor=actor)
        with pytest.raises(Forbidden):
            db.run_read(audit.verify_chain, actor=actor)
    assert db.run_read(audit.list_entries, actor=admin, limit=2)["next_before_id"] is not None


async def test_audit_api_admin_allowed_secretariat_denied(live_server: LiveServer) -> None:
    c, admin = _changes(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    boss = await login(live_server.url, admin.username)
    try:
        assert (await staff.get("/api/audit")).status_code == 403
        assert (await staff.get("/audit")).status_code == 403 and (await boss.get("/audit")).status_code == 200
        assert (await staff.post("/api/audit/verify")).status_code == 403
        page = (await boss.get("/api/audit", params={"limit": 5})).json()
        assert len(page["items"]) == 5 and page["items"][0]["id"] > page["items"][-1]["id"]
        assert (await boss.get("/api/audit", params={"limit": "nhiều"})).status_code == 422
        assert (await boss.post("/api/audit/verify")).json()["ok"] is True
    finally:
        await staff.aclose()
        await boss.aclose()
