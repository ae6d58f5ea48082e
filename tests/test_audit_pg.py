"""The anchored audit log on PostgreSQL: tampering is caught as on SQLite, and two nodes appending at the
same moment keep one chain (the advisory lock orders them; checkpoints from both stay valid)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
from audit import services as audit
from ledger.keys import AuditKeys
from tests.factories import make_user
from tests.minutes_helpers import scripted_meeting
from tests.pg import fresh_database
from votes.models import VoteKind


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def _node(url: str, data_dir: Path) -> Database:
    return Database(url, audit=AuditKeys.for_data_dir(data_dir))


def test_tampering_on_postgresql_is_caught(pg_url: str, tmp_path: Path) -> None:
    db = _node(pg_url, tmp_path)
    try:
        s = scripted_meeting(db)
        admin = make_user(db, GlobalRole.admin)
        assert db.run_read(audit.verify_chain, actor=admin)["ok"]
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE vote SET voted_count = voted_count + 1 WHERE id = :v"), {"v": s.vote_ids[VoteKind.secret]}
            )
            conn.execute(text("UPDATE \"user\" SET role = 'admin' WHERE id = :u"), {"u": s.cabinet.members[0].id})
            conn.execute(text("DELETE FROM audit_entry WHERE id = (SELECT max(id) FROM audit_entry)"))
        v = db.run_read(audit.verify_chain, actor=admin)
        assert v["ok"] is False
        joined = "\n".join(v["mismatches"] + v["checkpoints"]["problems"])
        assert f"biểu quyết {s.vote_ids[VoteKind.secret]}: số người đã bỏ phiếu" in joined
        assert f"tài khoản {s.cabinet.members[0].id}" in joined and "các bản ghi cuối đã bị xóa" in joined
    finally:
        db.dispose()


def test_two_nodes_appending_at_once_keep_one_chain(pg_url: str, tmp_path: Path) -> None:
    nodes = [_node(pg_url, tmp_path), _node(pg_url, tmp_path)]  # two processes' worth: own engines, own key objects
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(node: Database, tag: str) -> None:
        try:
            start.wait(timeout=30)
            for i in range(12):
                make_user(node, GlobalRole.member, username=f"{tag}{i:02d}")
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, t)) for n, t in zip(nodes, ("nuta", "nutb"))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        admin = make_user(nodes[0], GlobalRole.admin)
        v = nodes[1].run_read(audit.verify_chain, actor=admin)
        assert v["ok"] and v["checkpoints"]["problems"] == [], v
        with nodes[0].engine.connect() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM audit_entry ORDER BY id"))]
        assert ids == list(range(1, len(ids) + 1)) and v["checked"] == len(ids) >= 2 * 12 * 2
        assert v["checkpoints"]["count"] >= 24
    finally:
        for n in nodes:
            n.dispose()
