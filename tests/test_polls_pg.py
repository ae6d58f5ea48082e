"""Two nodes on one PostgreSQL database race to close the same poll and to send its reminder: it is closed
once, reminded once (the row lock, then the conditional update)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from sqlmodel import select

from app.db import Database
from ledger.keys import AuditKeys
from ledger.models import AuditEntry
from core import outbox
from polls import closing
from polls.models import Poll
from tests.pg import fresh_database
from tests.poll_helpers import answer, in_, make_board, make_poll


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def _race(nodes: list[Database], fn, **kwargs) -> list[bool]:
    results: list[bool] = []
    start = threading.Barrier(len(nodes))

    def work(node: Database) -> None:
        start.wait()
        results.append(node.run_write(fn, **kwargs).result)

    threads = [threading.Thread(target=work, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_nodes_close_and_remind_once(pg_url: str, tmp_path: Path) -> None:
    keys = AuditKeys.for_data_dir(tmp_path).ensure()
    nodes = [Database(pg_url, audit=keys), Database(pg_url, audit=AuditKeys.for_data_dir(tmp_path).ensure())]
    try:
        db = nodes[0]
        b = make_board(db, n_members=4)
        # Ten days ahead: the reminder (one working day before the deadline) is days away whatever the weekday. Three
        # days ahead, run on a Thursday evening UTC (Friday in Hanoi), put the reminder on Friday, already past.
        poll = make_poll(db, b, deadline=in_(10 * 86400))
        answer(db, poll, b.members[0], "agree", "agree")
        with db.read_session() as s:
            remind_at = s.get(Poll, poll["id"]).remind_at  # type: ignore[union-attr]
        assert remind_at is not None
        assert sorted(
            _race(nodes, closing.send_reminder, poll_id=poll["id"], now=remind_at + timedelta(seconds=1))
        ) == [False, True]
        later = datetime.now(timezone.utc) + timedelta(days=30)
        assert sorted(_race(nodes, closing.close_poll, poll_id=poll["id"], now=later)) == [False, True]
        with db.read_session() as s:
            closed = s.exec(select(AuditEntry).where(AuditEntry.type == "poll.closed")).all()
            events = [
                p["event"]
                for k, r in outbox.all_keys(session=s)
                if k == "notify"
                for _, p in outbox.pending(session=s, kind=k, ref=r)
            ]
        assert len(closed) == 1
        # the chair told of the submission, the secretariat of the close: once each, like the rest
        assert sorted(events) == ["poll.closed", "poll.reminder", "poll.result", "poll.sent", "poll.submitted"]
    finally:
        for n in nodes:
            n.dispose()
