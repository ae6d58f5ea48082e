"""The verifier guards the minutes too: a signed PDF swapped for another stored file or altered by a byte, a
frozen text rewritten, a file inserted with SQL are each named; the minutes made through the application verify
clean; a log anchored before the minutes had facts adopts them once (an upgraded deployment has no false alarm)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
import pytest

from audit import facts, services as audit
from audit.minutes_facts import adopt_if_new
from core.actor import Actor
from minutes.models import MinutesFile, MinutesVersion
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.minutes_helpers import scripted_meeting, signer_keys


def _verify(db: Database, admin: Actor) -> dict[str, Any]:
    return db.run_read(audit.verify_chain, actor=admin)


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


async def _signed(live: LiveServer) -> tuple[int, Actor]:
    """A meeting's minutes finalised and signed by both, over HTTP (the signing job runs at the edge)."""
    db = live.db
    s = scripted_meeting(db)
    c, base = s.cabinet, f"/api/meetings/{s.meeting_id}/minutes"
    signer_keys(live.settings.data_dir, c)
    staff, secretary, chair = [await login(live.url, a.username) for a in (c.staff, c.secretary, c.chair)]
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        assert (await secretary.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).status_code == 200
        assert (await chair.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).json()["state"] == "signed"
    finally:
        for client in (staff, secretary, chair):
            await client.aclose()
    return s.meeting_id, make_user(db, GlobalRole.admin)


def _rows(db: Database) -> tuple[MinutesVersion, dict[str, MinutesFile]]:
    def read(session: Any) -> tuple[MinutesVersion, dict[str, MinutesFile]]:
        from sqlmodel import select

        version = session.exec(select(MinutesVersion)).one()
        files = {f.step: f for f in session.exec(select(MinutesFile))}
        return version, files

    return db.run_read(read)


async def test_signed_minutes_verify_clean_and_a_swapped_or_altered_file_is_named(live_server: LiveServer) -> None:
    db = live_server.db
    mid, admin = await _signed(live_server)
    clean = _verify(db, admin)
    assert clean["ok"] and clean["mismatches"] == [], clean
    version, files = _rows(db)
    chair, final = files["chair"], files["final"]
    # the chair-signed PDF swapped for the unsigned one (its hash column too): members would download that
    _sql(db, "UPDATE minutes_file SET data = :d, sha256 = :h WHERE id = :i", d=final.data, h=final.sha256, i=chair.id)
    swapped = "\n".join(_verify(db, admin)["mismatches"])
    assert f"tệp biên bản {chair.id} (chair, phiên bản #{version.id}): nội dung khác với tệp nhật ký ghi" in swapped
    _sql(db, "UPDATE minutes_file SET data = :d, sha256 = :h WHERE id = :i", d=chair.data, h=chair.sha256, i=chair.id)
    assert _verify(db, admin)["ok"]  # restored: clean again
    flipped = bytes([chair.data[0] ^ 1]) + chair.data[1:]  # one byte, the hash column left as it was
    _sql(db, "UPDATE minutes_file SET data = :d WHERE id = :i", d=flipped, i=chair.id)
    assert any(f"tệp biên bản {chair.id}" in m for m in _verify(db, admin)["mismatches"])
    _sql(db, "UPDATE minutes_file SET data = :d WHERE id = :i", d=chair.data, i=chair.id)
    # the frozen text rewritten (the minutes page shows it while the version is open)
    content = json.loads(version.content)
    content[-1]["text"] = content[-1]["text"] + " Thông qua."
    _sql(db, "UPDATE minutes_version SET content = :c WHERE id = :i", c=json.dumps(content), i=version.id)
    rewritten = "\n".join(_verify(db, admin)["mismatches"])
    assert f"biên bản phiên bản 1 của cuộc họp {mid}: nội dung đã chốt khác với nhật ký" in rewritten


async def test_a_minutes_file_inserted_with_sql_is_named(live_server: LiveServer) -> None:
    db = live_server.db
    _, admin = await _signed(live_server)
    version, files = _rows(db)
    _sql(
        db,
        "INSERT INTO minutes_file (version_id, step, sha256, size_bytes, data, created_at) "
        "VALUES (:v, 'extra', :h, :n, :d, '2026-12-05 00:00:00')",
        v=version.id,
        h=files["final"].sha256,
        n=len(files["final"].data),
        d=files["final"].data,
    )
    found = _verify(db, admin)
    assert not found["ok"] and any("(extra) không có trong nhật ký" in m for m in found["mismatches"])


async def test_a_log_from_before_minutes_facts_adopts_them_once(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = live_server.db
    # as an older release wrote it: minutes made while the log recorded no facts of them
    for kind in (MinutesVersion, MinutesFile):
        monkeypatch.delitem(facts._TRACKED, kind)
    _, admin = await _signed(live_server)
    monkeypatch.undo()
    before = _verify(db, admin)
    assert not before["ok"] and any("không có trong nhật ký" in m for m in before["mismatches"])
    adopted = db.run_write(adopt_if_new).result
    assert adopted == 1 + 4  # the version, and its final, Word, secretary- and chair-signed files
    assert _verify(db, admin)["ok"]
    assert db.run_write(adopt_if_new).result == 0  # once
