"""The chain is anchored outside the database: an attacker holding only the database cannot truncate the log
or rewrite it (recomputing every later hash) without the verifier saying so; a lost checkpoint file or a
wrong key is named; rows written before the key existed are anchored honestly."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole
from app.db import Database
from infra.settings import Settings
from audit import services as audit
from ledger.chain import KEYS, row_hash
from ledger.keys import AuditKeys
from ledger.models import AuditEntry
from meetings import participation, services
from meetings.schemas import CheckInRequest
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet, make_user
from tests.live import login


def _session(db: Database) -> tuple[Any, Actor]:
    c = make_cabinet(db, start=True)
    for member in c.members[:3]:
        call(db, participation.check_in, actor=member, meeting_id=c.meeting_id, data=CheckInRequest())
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    return c, make_user(db, GlobalRole.admin)


def _verify(db: Database, admin: Actor) -> dict[str, Any]:
    return db.run_read(audit.verify_chain, actor=admin)


def _sql(db: Database, statement: str, **params: Any) -> Any:
    with db.engine.begin() as conn:
        return conn.execute(text(statement), params)


def _last_id(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT max(id) FROM audit_entry")).scalar_one()


def rewrite_from(db: Database, target: int, *, strip_macs: bool = False) -> None:
    """The attacker with the database and the source code but not the key: edits row `target`, then
    recomputes the hash and link of every later row so that the plain hash chain is consistent again."""
    with Session(db.engine) as s:  # a bare session: no audit keys, as a psql shell would be
        rows = s.exec(select(AuditEntry).where(col(AuditEntry.id) >= target - 1).order_by(col(AuditEntry.id))).all()
        prev = rows[0].hash
        for row in rows[1:]:
            if row.id == target:
                row.summary = "đã bị sửa tay"
            row.prev_hash = prev
            row.hash = row_hash(row)
            prev = row.hash
            s.execute(
                text("UPDATE audit_entry SET summary = :s, prev_hash = :p, hash = :h, mac = :m WHERE id = :i"),
                {
                    "s": row.summary,
                    "p": row.prev_hash,
                    "h": row.hash,
                    "i": row.id,
                    "m": None if strip_macs else row.mac,
                },
            )
        s.commit()


def test_an_intact_log_verifies_with_a_checkpoint_for_its_last_row(db: Database) -> None:
    _, admin = _session(db)
    v = _verify(db, admin)
    assert v["ok"] and v["chain_ok"] and v["mac_ok"] and v["mismatches"] == [] and v["legacy_rows"] == 0, v
    assert v["checkpoints"]["last"]["row_id"] == _last_id(db) and v["checkpoints"]["uncovered_rows"] == 0
    assert v["checkpoints"]["problems"] == []


@pytest.mark.parametrize("rows", [1, 3])
def test_deleting_the_last_rows_is_caught(db: Database, rows: int) -> None:
    _, admin = _session(db)
    last = _last_id(db)
    _sql(db, "DELETE FROM audit_entry WHERE id > :n", n=last - rows)
    v = _verify(db, admin)
    assert v["ok"] is False and v["chain_ok"], v  # the chain itself is still consistent: only the anchor tells
    assert any(f"kết thúc ở bản ghi #{last - rows}" in p and "đã bị xóa" in p for p in v["checkpoints"]["problems"]), v


def test_a_rewrite_with_every_later_hash_recomputed_fails_the_mac(db: Database) -> None:
    _, admin = _session(db)
    target = _last_id(db) // 2
    rewrite_from(db, target)
    v = _verify(db, admin)
    assert v["ok"] is False and v["mac_ok"] is False and v["first_broken_id"] == target and "MAC" in v["reason"], v
    assert any("đã bị ghi lại" in p for p in v["checkpoints"]["problems"])


def test_a_rewrite_that_strips_the_macs_to_pass_as_legacy_is_caught(db: Database) -> None:
    _, admin = _session(db)
    target = _last_id(db) // 2
    rewrite_from(db, target, strip_macs=True)
    v = _verify(db, admin)
    assert v["ok"] is False and v["first_broken_id"] == target and "không có mã xác thực" in v["reason"], v


def test_a_deleted_or_edited_checkpoint_file_is_named(db: Database, settings: Settings) -> None:
    _, admin = _session(db)
    folder = settings.data_dir / "audit-checkpoints"
    files = sorted(folder.glob("*.jsonl"))
    assert files and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    lines = files[-1].read_bytes().splitlines(keepends=True)
    files[-1].write_bytes(b"".join(lines[:2] + lines[3:]))  # one checkpoint line removed
    assert any("không nối tiếp" in p for p in _verify(db, admin)["checkpoints"]["problems"])
    files[-1].write_bytes(b"".join(lines).replace(b'"count":', b'"count":1', 1))  # one line edited
    assert any("chữ ký không hợp lệ" in p for p in _verify(db, admin)["checkpoints"]["problems"])
    for f in files:
        f.unlink()
    v = _verify(db, admin)
    assert v["ok"] is False and v["checkpoints"]["count"] == 0
    assert any(f"không có tệp điểm kiểm {files[-1].stem}.jsonl" in p for p in v["checkpoints"]["problems"]), v


def test_a_wrong_key_is_named(db: Database, settings: Settings) -> None:
    _, admin = _session(db)
    key_file = settings.data_dir / "keys" / "audit" / "mac.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    key_file.write_bytes(b"k" * 32)
    other = Database(db.url, audit=AuditKeys.for_data_dir(settings.data_dir))
    try:
        v = _verify(other, admin)
    finally:
        other.dispose()
    assert v["ok"] is False and v["mac_ok"] is False and "khóa nhật ký không khớp" in v["reason"], v
    assert any("khóa nhật ký khác" in p for p in v["checkpoints"]["problems"])


def test_the_key_file_can_live_elsewhere(db: Database, settings: Settings, tmp_path: Path) -> None:
    elsewhere = tmp_path / "secrets" / "audit.key"
    keys = AuditKeys.from_settings(
        Settings.from_env({"ECABINET_DATA_DIR": str(settings.data_dir), "ECABINET_AUDIT_KEY_FILE": str(elsewhere)})
    )
    other = Database(db.url, audit=keys)
    try:
        admin = make_user(other, GlobalRole.admin)
        assert elsewhere.exists() and _verify(other, admin)["ok"]
    finally:
        other.dispose()


def test_rows_from_before_the_key_are_anchored_and_then_protected(db: Database, settings: Settings) -> None:
    c, admin = _session(db)
    # The database as an older version left it: no MACs, no checkpoints.
    legacy = _last_id(db)
    _sql(db, "UPDATE audit_entry SET mac = NULL")
    for f in (settings.data_dir / "audit-checkpoints").glob("*.jsonl"):
        f.unlink()
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)  # the first write after
    with db.read_session() as s:
        anchor = s.get(AuditEntry, legacy + 1)
        assert anchor is not None and anchor.type == "audit.anchored"
        assert anchor.data is not None and anchor.data["legacy_rows"] == legacy
    v = _verify(db, admin)
    assert v["ok"] and v["legacy_rows"] == legacy, v
    rewrite_from(db, legacy // 2)  # a legacy row edited, every later link recomputed: the anchor's MAC fails
    v = _verify(db, admin)
    assert v["ok"] is False and v["first_broken_id"] == legacy + 1 and "MAC" in v["reason"], v


def test_stripping_every_mac_to_pass_the_whole_log_as_legacy_is_caught(db: Database) -> None:
    _, admin = _session(db)
    _sql(db, "UPDATE audit_entry SET mac = NULL")
    v = _verify(db, admin)
    assert v["ok"] is False and any("mất mã xác thực" in p for p in v["checkpoints"]["problems"]), v


def test_an_edited_fact_is_caught_by_its_hash(db: Database) -> None:
    _, admin = _session(db)
    with db.engine.connect() as conn:
        target = conn.execute(text("SELECT min(id) FROM audit_entry WHERE type = 'state.user'")).scalar_one()
    _sql(
        db,
        "UPDATE audit_entry SET data = :d WHERE id = :i",
        d='{"user_id": 1, "username": "x", "role": "admin", "active": true}',
        i=target,
    )
    v = _verify(db, admin)
    assert v["ok"] is False and v["first_broken_id"] == target and "dữ liệu lưu trong bản ghi" in v["reason"], v


def test_with_a_longer_interval_only_decisions_are_checkpointed_at_once(db: Database, settings: Settings) -> None:
    keys = AuditKeys.for_data_dir(settings.data_dir, checkpoint_rows=1000, checkpoint_minutes=60)
    node = Database(db.url, audit=keys)
    folder = settings.data_dir / "audit-checkpoints"
    lines = lambda: sum(len(f.read_bytes().splitlines()) for f in folder.glob("*.jsonl"))
    try:
        c = make_cabinet(node, start=True)  # the first write of the process checkpoints, then none for a while
        before = lines()
        call(node, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
        assert lines() == before
        make_user(node, GlobalRole.member)  # a new account (a role) is a meaningful moment
        assert lines() == before + 1
        assert _verify(node, make_user(node, GlobalRole.admin))["checkpoints"]["uncovered_rows"] == 0
    finally:
        node.dispose()


def test_stripped_macs_do_not_launder_a_promotion_at_the_next_write(db: Database) -> None:
    c, admin = _session(db)
    _sql(db, "UPDATE audit_entry SET mac = NULL")
    _sql(db, "UPDATE \"user\" SET role = 'admin' WHERE id = :u", u=c.members[0].id)
    call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)  # the app writes on, unaware
    v = _verify(db, admin)
    assert v["ok"] is False and any("mất mã xác thực" in p for p in v["checkpoints"]["problems"]), v
    assert any(f"tài khoản {c.members[0].id}" in m and "là quản trị" in m for m in v["mismatches"]), v


def test_a_key_file_readable_by_others_is_warned_about(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    keys = AuditKeys.for_data_dir(settings.data_dir)
    keys.mac_key()
    keys.mac_key_file.chmod(0o644)
    AuditKeys.for_data_dir(settings.data_dir).mac_key()
    assert any("readable by other users" in r.getMessage() for r in caplog.records)


def test_the_server_creates_both_keys_owner_only_at_start(settings: Settings) -> None:
    from app.factory import create_app

    create_app(settings).state.ctx.db.dispose()
    for name in ("mac.key", "signing.pem"):
        path = settings.data_dir / "keys" / "audit" / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


def test_a_checkpoint_that_cannot_be_written_leaves_the_write_done_and_is_reported(
    db: Database, settings: Settings
) -> None:
    c, admin = _session(db)
    folder = settings.data_dir / "audit-checkpoints"
    saved = folder.with_name("saved-checkpoints")
    folder.rename(saved)
    folder.write_text("not a folder")  # the checkpoint write fails
    try:
        call(db, services.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)  # still succeeds
    finally:
        folder.unlink()
        saved.rename(folder)
    assert _verify(db, admin)["checkpoints"]["uncovered_rows"] >= 1


def test_checkpoints_stay_linked_when_two_processes_take_turns_writing(tmp_path: Path) -> None:
    """Each process remembers the line it wrote last; a line another process wrote since (the file grew) or a
    new month's file it started is read back, so the links never skip a line."""
    from audit import checkpoints

    here = AuditKeys.for_data_dir(tmp_path)
    there = AuditKeys.for_data_dir(tmp_path)  # another process: the same keys and folder, its own memory
    for keys, row in [(here, 1), (here, 2), (there, 3), (here, 4), (there, 5), (there, 6), (here, 7)]:
        checkpoints.write(keys, row_id=row, row_hash=f"{row:064x}")
    found, problems = checkpoints.read(here, here.public_key())
    assert problems == []
    assert [c.body["row_id"] for c in found] == [1, 2, 3, 4, 5, 6, 7]
    # A line rewritten by hand after this process wrote it breaks the next link: the verifier names it.
    path = next(tmp_path.glob("audit-checkpoints/*.jsonl"))
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1].replace(b'"row_id":7', b'"row_id":8'))
    checkpoints.write(here, row_id=9, row_hash=f"{9:064x}")
    assert checkpoints.read(here, here.public_key())[1]


def test_a_checkpoint_behind_the_last_one_written_is_covered_by_it(tmp_path: Path) -> None:
    """Two commits' lines written after their events went out may come in the other order: the later row's
    line covers the earlier row, which gets no line of its own, and the lines stay in row order."""
    from audit import checkpoints

    keys = AuditKeys.for_data_dir(tmp_path)
    assert checkpoints.write(keys, row_id=5, row_hash=f"{5:064x}") is not None
    assert checkpoints.write(keys, row_id=4, row_hash=f"{4:064x}") is None
    assert checkpoints.write(keys, row_id=5, row_hash=f"{5:064x}") is None
    assert checkpoints.write(keys, row_id=6, row_hash=f"{6:064x}") is not None
    found, problems = checkpoints.read(keys, keys.public_key())
    assert problems == [] and [c.body["row_id"] for c in found] == [5, 6]


async def test_the_taps_answer_comes_once_its_checkpoint_is_written(live_server: LiveServer) -> None:
    """The checkpoint line is written after the tablets were sent the event, but before the chair's request is
    answered: when the answer arrives, the log's last row is covered."""
    from audit import checkpoints

    c = make_cabinet(live_server.db, start=True)
    keys = live_server.db.session_info[KEYS]
    chair = await login(live_server.url, c.chair.username)
    try:
        for path in ("next", "next", "previous"):
            assert (await chair.post(f"/api/meetings/{c.meeting_id}/{path}")).status_code == 200
            found, problems = checkpoints.read(keys, keys.public_key())
            assert problems == [] and found[-1].body["row_id"] == _last_id(live_server.db)
    finally:
        await chair.aclose()
    admin = make_user(live_server.db, GlobalRole.admin)
    assert _verify(live_server.db, admin)["checkpoints"]["uncovered_rows"] == 0
