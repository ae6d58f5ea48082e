"""The verifier compares the stored state with the log: a vote's result, counts or secret tally, a user's role,
a participant's role changed with SQL are each named; the log itself holds no secret choice."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from core.actor import Actor
from accounts.models import GlobalRole
from app.db import Database
from audit import services as audit
from ledger.models import AuditEntry
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.minutes_helpers import scripted_meeting, signer_keys
from votes import services as votes
from votes.models import Vote, VoteKind


def _verify(db: Database, admin: Actor) -> dict[str, Any]:
    return db.run_read(audit.verify_chain, actor=admin)


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def _meeting(db: Database) -> tuple[Any, Actor]:
    s = scripted_meeting(db)
    for vote_id in s.vote_ids.values():
        db.run_write(votes.publish_vote, actor=s.cabinet.chair, vote_id=vote_id)
    return s, make_user(db, GlobalRole.admin)


def test_a_whole_meeting_verifies_clean(db: Database) -> None:
    _, admin = _meeting(db)
    v = _verify(db, admin)
    assert v["ok"] and v["mismatches"] == [] and v["checkpoints"]["problems"] == [], v


def test_a_changed_result_count_or_secret_tally_is_named(db: Database) -> None:
    s, admin = _meeting(db)
    open_id, named_id, secret_id = (s.vote_ids[k] for k in (VoteKind.open, VoteKind.named, VoteKind.secret))
    _sql(db, "UPDATE vote SET result = :r WHERE id = :v", r=json.dumps({"passed": True}), v=open_id)
    _sql(db, "UPDATE vote SET voted_count = voted_count + 1 WHERE id = :v", v=named_id)
    _sql(
        db,
        "UPDATE vote SET result = :r WHERE id = :v",
        v=secret_id,
        r=json.dumps({**db.run_read(lambda session: session.get(Vote, secret_id)).result, "counts": {"1": 99}}),
    )
    found = _verify(db, admin)
    assert found["ok"] is False and found["chain_ok"], found
    text_ = "\n".join(found["mismatches"])
    assert f"biểu quyết {open_id}: kết quả lưu trong cơ sở dữ liệu khác với nhật ký" in text_
    assert f"biểu quyết {named_id}: số người đã bỏ phiếu lưu trong cơ sở dữ liệu khác" in text_
    assert f"biểu quyết {secret_id}: kết quả lưu trong cơ sở dữ liệu khác với nhật ký" in text_


def test_a_vote_reopened_or_two_named_ballots_swapped_is_named(db: Database) -> None:
    s, admin = _meeting(db)
    named_id, open_id = s.vote_ids[VoteKind.named], s.vote_ids[VoteKind.open]
    _sql(db, "UPDATE vote SET state = 'open' WHERE id = :v", v=open_id)
    with db.engine.begin() as conn:  # same counts, different people: only the ballots' MAC can tell
        (a, oa), (b, ob) = conn.execute(
            text("SELECT user_id, option_id FROM vote_ballot WHERE vote_id = :v ORDER BY user_id"), {"v": named_id}
        ).all()[:2]
        assert oa != ob
        conn.execute(
            text("UPDATE vote_ballot SET option_id = :o WHERE vote_id = :v AND user_id = :u"),
            {"o": ob, "v": named_id, "u": a},
        )
        conn.execute(
            text("UPDATE vote_ballot SET option_id = :o WHERE vote_id = :v AND user_id = :u"),
            {"o": oa, "v": named_id, "u": b},
        )
    mismatches = "\n".join(_verify(db, admin)["mismatches"])
    assert f"biểu quyết {open_id}: trạng thái" in mismatches
    assert (
        f"biểu quyết {named_id}: phiếu của từng người" in mismatches
        and f"biểu quyết {named_id}: số phiếu" not in mismatches
    )


def test_promoting_a_user_to_admin_with_sql_is_named(db: Database) -> None:
    s, admin = _meeting(db)
    member = s.cabinet.members[0]
    _sql(db, "UPDATE \"user\" SET role = 'admin' WHERE id = :u", u=member.id)
    v = _verify(db, admin)
    assert v["ok"] is False and v["chain_ok"]
    assert any(
        f"tài khoản {member.id} ({member.username}) là quản trị trong cơ sở dữ liệu nhưng nhật ký ghi lần cuối là "
        "thành viên" in m
        for m in v["mismatches"]
    ), v


def test_a_user_or_participant_inserted_with_sql_is_named(db: Database) -> None:
    s, admin = _meeting(db)
    _sql(
        db,
        'INSERT INTO "user" (username, full_name, title, unit, role, password_hash, is_active, created_at) '
        "VALUES ('ke_gian', 'Kẻ gian', '', '', 'admin', 'x', true, CURRENT_TIMESTAMP)",
    )
    _sql(
        db,
        "UPDATE participant SET role = 'chair' WHERE meeting_id = :m AND user_id = :u",
        m=s.meeting_id,
        u=s.cabinet.members[1].id,
    )
    mismatches = "\n".join(_verify(db, admin)["mismatches"])
    assert "(ke_gian, quản trị) không có trong nhật ký" in mismatches
    assert (
        f"cuộc họp {s.meeting_id}: người dùng {s.cabinet.members[1].id} là chủ tọa trong cơ sở dữ liệu nhưng nhật ký "
        "ghi thành viên" in mismatches
    )


def test_the_log_holds_no_choice_and_the_list_no_facts(db: Database) -> None:
    s, admin = _meeting(db)
    with db.read_session() as session:
        facts = [e.data for e in session.exec(select(AuditEntry).where(AuditEntry.type == "state.vote")).all()]
    assert facts
    allowed = {
        "vote_id",
        "meeting_id",
        "kind",
        "rule",
        "state",
        "result",
        "voted_count",
        "eligible_count",
        "counts",
        "voters",
        "ballots",
    }
    for fact in facts:  # counts per option and aggregates only; who chose what is at most a keyed MAC
        assert fact is not None  # every state entry records its facts
        assert set(fact) <= allowed and isinstance(fact.get("voters", 0), int), fact
        assert "ballots" not in fact or (len(fact["ballots"]) == 64 and fact["kind"] != "secret"), fact
    items = db.run_read(audit.list_entries, actor=admin, limit=1000)["items"]
    assert items and all("data" not in item for item in items)
    # Meeting events (documents, agenda, votes) reach the admin as a type and a hash: no title, no text.
    assert all(item["summary"] == "" for item in items if item["event_seq"] is not None)


async def test_a_signed_meeting_over_http_verifies_clean_and_its_signature_is_checkpointed(
    live_server: LiveServer,
) -> None:
    db = live_server.db
    s, admin = _meeting(db)
    c, base = s.cabinet, f"/api/meetings/{s.meeting_id}/minutes"
    signer_keys(live_server.settings.data_dir, c)
    staff, secretary, chair, boss = [
        await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair, admin)
    ]
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        assert (await secretary.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).status_code == 200
        assert (await chair.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).json()["state"] == "signed"
        assert (await staff.post("/api/audit/verify")).status_code == 403
        v = (await boss.post("/api/audit/verify")).json()
        assert v["ok"] and v["mismatches"] == [] and v["checkpoints"]["uncovered_rows"] == 0, v
        with db.read_session() as session:
            signed = session.exec(select(AuditEntry.id).where(AuditEntry.type == "minutes.completed")).one()
        folder = live_server.settings.data_dir / "audit-checkpoints"
        checkpointed = {
            json.loads(line)["row_id"] for f in folder.glob("*.jsonl") for line in f.read_text().splitlines()
        }
        assert any(row_id >= signed for row_id in checkpointed)
    finally:
        for client in (staff, secretary, chair, boss):
            await client.aclose()


def test_a_password_swapped_with_sql_is_named_and_one_changed_through_the_application_is_not(db: Database) -> None:
    from accounts import services as accounts
    from accounts.passwords import hash_password
    from accounts.schemas import UserUpdate

    s, admin = _meeting(db)
    member, other = s.cabinet.members[0], s.cabinet.members[1]
    reset = UserUpdate(password="Mật-khẩu-đặt-lại-2027")
    new_hash = hash_password(reset.password or "")  # hashed before the write, as the route does
    db.run_write(accounts.update_user, actor=admin, user_id=other.id, data=reset, new_hash=new_hash)
    assert _verify(db, admin)["mismatches"] == []  # set through the application: logged
    _sql(db, 'UPDATE "user" SET password_hash = :h WHERE id = :u', h=hash_password("ke-gian-2027-xyz"), u=member.id)
    v = _verify(db, admin)
    assert v["ok"] is False and v["chain_ok"]
    assert [m for m in v["mismatches"] if "mật khẩu" in m] == [
        next(m for m in v["mismatches"] if f"tài khoản {member.id} ({member.username}): mật khẩu" in m)
    ], v
