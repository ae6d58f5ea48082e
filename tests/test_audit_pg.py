"""The anchored audit log on PostgreSQL: tampering is caught as on SQLite, and two nodes appending at the
same moment keep one chain (the advisory lock orders them; checkpoints from both stay valid)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
from audit import services as audit
from ledger.keys import AuditKeys
from meetings import services as meetings
from tests.factories import Cabinet, make_cabinet, make_user
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


def _at_once(nodes: list[Database], jobs: list[Callable[[], None]]) -> tuple[dict[str, Any], list[int]]:
    """Runs the jobs in threads released together; then the chain as a verifier sees it and its row ids."""
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            start.wait(timeout=30)
            job()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
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
    assert ids == list(range(1, len(ids) + 1))
    return v, ids


def _accounts(node: Database, tag: str, n: int) -> Callable[[], None]:
    def run() -> None:
        for i in range(n):
            make_user(node, GlobalRole.member, username=f"{tag}{i:02d}")

    return run


def test_two_nodes_appending_at_once_keep_one_chain(pg_url: str, tmp_path: Path) -> None:
    nodes = [_node(pg_url, tmp_path), _node(pg_url, tmp_path)]  # two processes' worth: own engines, own key objects
    try:
        v, ids = _at_once(nodes, [_accounts(nodes[0], "nuta", 12), _accounts(nodes[1], "nutb", 12)])
        assert v["checked"] == len(ids) >= 2 * 12 * 2
        assert v["checkpoints"]["count"] >= 24
    finally:
        for n in nodes:
            n.dispose()


def test_taps_in_two_meetings_and_other_appends_at_once_keep_one_chain(pg_url: str, tmp_path: Path) -> None:
    """A meeting event takes the chain's append lock in the UPDATE that takes its seq (meetings/events.py), other
    appends by a statement of their own (ledger/chain.py): taps in two meetings on two nodes, and accounts made
    on a third, all at once, still make one chain without a gap or a fork."""
    nodes = [_node(pg_url, tmp_path) for _ in range(3)]
    cabinets = [make_cabinet(nodes[0], start=True), make_cabinet(nodes[0], start=True)]

    def taps(node: Database, cabinet: Cabinet) -> Callable[[], None]:
        def run() -> None:
            for i in range(15):  # next, previous, next, ...
                step = {"meeting_id": cabinet.meeting_id, "direction": 1 - 2 * (i % 2)}
                node.run_write(meetings.step_item, actor=cabinet.chair, **step)

        return run

    try:
        _at_once(nodes, [taps(nodes[0], cabinets[0]), taps(nodes[1], cabinets[1]), _accounts(nodes[2], "nutc", 15)])
        with nodes[0].engine.connect() as conn:
            moved = conn.execute(text("SELECT count(*) FROM audit_entry WHERE type = 'agenda.current_changed'"))
            assert moved.scalar_one() == 30
    finally:
        for n in nodes:
            n.dispose()
