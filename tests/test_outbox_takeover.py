"""The outbox takeover (infra/outbox.py): jobs another node left behind are run by a live node, one node per job
(a claim with a lease: PostgreSQL SELECT … FOR UPDATE SKIP LOCKED, SQLite's one writer), and a job that keeps
failing backs off instead of looping. Dispatchers on their own Database objects stand for the nodes; the
cluster itself: tests/test_cluster_outbox.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select

from app.db import Database
from core.clock import as_utc, utcnow
from core.outbox import OutboxJob
from infra.context import AppContext
from infra.outbox import Dispatcher, Takeover
from infra.ratelimit import failure_budget
from infra.settings import Settings


def _node(settings: Settings, db: Database) -> Dispatcher:
    return Dispatcher(AppContext(settings=settings, db=db, login_limiter=failure_budget(300)))


def _record(db: Database, kind: str, refs: list[str], *, age: float, claimed_until: datetime | None = None) -> None:
    """Jobs recorded `age` seconds ago by a node that is gone (held by it until `claimed_until`)."""

    def add(session: Any) -> None:
        for ref in refs:
            at = utcnow() - timedelta(seconds=age)
            session.add(OutboxJob(kind=kind, ref=ref, payload={"ref": ref}, created_at=at, claimed_until=claimed_until))

    db.run_write(add)


def _left(db: Database) -> list[OutboxJob]:
    return list(db.run_read(lambda session: session.exec(select(OutboxJob)).all()))


async def test_two_dispatchers_racing_for_the_same_stale_jobs_run_each_once(
    any_db: Database, settings: Settings
) -> None:
    other = Database(any_db.url)  # a second node: its own engine and connections
    runs: list[str] = []

    async def handler(ctx: Any, ref: str, payloads: list[dict[str, Any]]) -> None:
        runs.append(ref)
        await asyncio.sleep(0.05)  # still running while the other node's claim comes

    a, b = _node(settings, any_db), _node(settings, other)
    for node in (a, b):
        node.register("test.race", handler)
    refs = [str(i) for i in range(20)]
    _record(any_db, "test.race", refs, age=600)
    try:
        await asyncio.gather(a.take_over(), b.take_over())  # both find the 20 keys and claim them at once
        await asyncio.gather(a.drain(), b.drain())
        await asyncio.gather(a.take_over(), b.take_over())  # nothing left for a second round
        await asyncio.gather(a.drain(), b.drain())
    finally:
        other.dispose()
    assert sorted(runs, key=int) == refs
    assert _left(any_db) == []


async def test_a_job_held_by_a_live_run_is_not_taken_over_and_one_whose_lease_ended_is(
    any_db: Database, settings: Settings
) -> None:
    fast = settings.with_(outbox_takeover_seconds=0.05)
    other = Database(any_db.url)
    started = asyncio.Event()
    runs: list[tuple[str, str]] = []

    def handler(node: str, hold: float) -> Any:
        async def run(ctx: Any, ref: str, payloads: list[dict[str, Any]]) -> None:
            runs.append((node, ref))
            started.set()
            await asyncio.sleep(hold)

        return run

    a, b = _node(fast, any_db), _node(fast, other)
    a.lease = 1.2  # renewed every 0.4 s while the run lasts 2 s: it never lapses
    a.register("test.long", handler("a", 2.0))
    b.register("test.long", handler("b", 0.0))
    _record(any_db, "test.long", ["1"], age=600)
    # a dead node's run: its lease ended a second ago; another's, alive, holds its job for a minute more
    _record(any_db, "test.long", ["2"], age=600, claimed_until=utcnow() - timedelta(seconds=1))
    _record(any_db, "test.long", ["3"], age=600, claimed_until=utcnow() + timedelta(seconds=60))
    try:
        a.kick({("test.long", "1")}, now=True)
        await asyncio.wait_for(started.wait(), 10)
        for _ in range(40):  # node b looks for stale jobs every 0.05 s while node a runs job 1
            await b.take_over()
            await asyncio.sleep(0.05)
        await asyncio.gather(a.drain(), b.drain())
    finally:
        other.dispose()
    assert sorted(runs) == [("a", "1"), ("b", "2")]
    assert [(j.ref, j.claimed_until is not None) for j in _left(any_db)] == [("3", True)]


async def test_a_job_that_keeps_failing_backs_off_instead_of_looping(any_db: Database, settings: Settings) -> None:
    node = _node(settings.with_(outbox_takeover_seconds=0.05), any_db)
    node.retry_after = (0.01,)
    runs: list[datetime] = []

    async def broken(ctx: Any, ref: str, payloads: list[dict[str, Any]]) -> None:
        runs.append(utcnow())
        raise OSError("the disk is full")

    node.register("test.broken", broken)
    _record(any_db, "test.broken", ["1"], age=600)
    loop = Takeover(node)
    await loop.start()
    await asyncio.sleep(1.5)  # 30 takeover intervals
    await loop.stop()
    await node.drain()
    # 1 run, a retry here 0.01 s later, then back-offs of 0.05, 0.1, 0.2, 0.4, 0.8 s (each plus up to two
    # intervals): about 6 runs, where a takeover every interval would have made 30
    assert 3 <= len(runs) <= 7, runs
    assert [node.backoff(n) for n in range(1, 7)] == [0.01, 0.05, 0.1, 0.2, 0.4, 0.8]
    [job] = _left(any_db)
    assert job.attempts == len(runs) and job.claimed_until is not None
    # nobody tries it again before the back-off of its last failure is over
    assert as_utc(job.claimed_until) >= runs[-1] + timedelta(seconds=node.backoff(len(runs)))


async def test_a_single_node_sqlite_start_runs_the_jobs_its_previous_process_held(
    db: Database, settings: Settings
) -> None:
    node = _node(settings, db)
    runs: list[str] = []

    async def handler(ctx: Any, ref: str, payloads: list[dict[str, Any]]) -> None:
        runs.append(ref)

    node.register("test.held", handler)
    _record(db, "test.held", ["1"], age=5, claimed_until=utcnow() + timedelta(seconds=60))  # killed mid-run
    await node.recover()
    await node.drain()
    assert runs == ["1"] and _left(db) == []
