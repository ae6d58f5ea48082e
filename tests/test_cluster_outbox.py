"""Outbox jobs a killed node left behind are run by a live node (infra/outbox.py Takeover), once: node A records
a vote's tally job (its coalescing interval is long, so the job is certainly still pending) and is killed with
SIGKILL; one of nodes B and C publishes the tally within the takeover interval after the job is due, and the
other does not run it too. A scrub job left by a writer that ran no dispatcher is run the same way (PostgreSQL
CLUSTER of the ballot tables). Real `ecabinet serve` processes on one PostgreSQL and Redis
(tests/cluster_helpers.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Iterator

import pytest
from sqlmodel import select

from app.db import Database
from core import outbox
from core.outbox import OutboxJob
from tests.cluster_helpers import Cluster, running_cluster
from tests.factories import Cabinet
from tests.live import login
from tests.test_outbox import tallies
from tests.vote_helpers import new_vote, option, present_cabinet
from tests.waiting import eventually

TAKEOVER = 1.5  # ECABINET_OUTBOX_TAKEOVER_SECONDS of every node
DUE = 0.2 + TAKEOVER  # a job is another node's once it has been due (the tally interval, 0.2 s) for an interval


@pytest.fixture
def outbox_cluster() -> Iterator[tuple[Cluster, Cabinet]]:
    env = {"*": {"ECABINET_OUTBOX_TAKEOVER_SECONDS": str(TAKEOVER)}, "node-a": {"ECABINET_TALLY_INTERVAL": "600"}}
    with running_cluster(lambda db: present_cabinet(db, n_members=2), node_env=env) as running:
        yield running


def _runs(cl: Cluster, kind: str, ref: int) -> list[str]:
    """The nodes whose log says they ran (kind, ref)'s jobs left behind, once per run."""
    line = f"outbox job {kind} {ref}: running"
    return [node.name for node in cl.nodes for _ in range(node.log.read_text(errors="replace").count(line))]


def _jobs(db: Database, kind: str) -> list[str]:
    return db.run_read(lambda session: [j.ref for j in session.exec(select(OutboxJob)).all() if j.kind == kind])


async def test_a_tally_left_by_a_killed_node_is_published_once_by_a_live_node(outbox_cluster) -> None:
    cl, c = outbox_cluster
    node_a, node_b, node_c = cl.nodes
    db = Database(cl.database_url)
    try:
        vote = new_vote(db, c, state="open")
        voters = [await login(node_a.url, who.username) for who in (c.chair, *c.members)]
        try:
            cast = [v.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": option(vote, "yes")}) for v in voters]
            assert [r.status_code for r in await asyncio.gather(*cast)] == [200] * 3
        finally:
            for v in voters:
                await v.aclose()
        node_a.kill()  # SIGKILL, 600 s before its own tally run
        killed = time.monotonic()
        assert node_a.proc is not None and node_a.proc.wait(10) is not None

        told = await eventually(
            lambda: [t for t in tallies(db, c.meeting_id) if t["votes"][-1]["voted_count"] == 3],
            "a live node to publish the tally of the killed node's casts",
            timeout=30,
        )
        took = time.monotonic() - killed
        assert took < DUE + TAKEOVER + 5, f"taken over after {took:.1f} s"
        await eventually(lambda: _jobs(db, "vote.tally") == [], "the tally jobs deleted after the run")
        await asyncio.sleep(2 * TAKEOVER)  # another round of every node's takeover: nothing runs it again
        assert len(told) == 1
        assert [t for t in tallies(db, c.meeting_id) if t["votes"][-1]["voted_count"] == 3] == told
        ran = _runs(cl, "vote.tally", vote["id"])
        assert len(ran) == 1 and ran[0] in (node_b.name, node_c.name), (ran, node_b.tail(), node_c.tail())
        print(f"the tally was taken over by {ran[0]} {took:.1f} s after the kill")

        # a scrub recorded by a writer that is gone (no dispatcher here): run once by a live node, CLUSTER and all
        db.run_write(lambda session: outbox.add(session, kind="vote.scrub", ref=vote["id"]))
        await eventually(lambda: _jobs(db, "vote.scrub") == [], "a live node to run the scrub", timeout=30)
        await asyncio.sleep(2 * TAKEOVER)
        ran = _runs(cl, "vote.scrub", vote["id"])
        assert len(ran) == 1 and ran[0] in (node_b.name, node_c.name), ran
        assert "scrub after a secret vote did not complete" not in node_b.tail(100_000) + node_c.tail(100_000)
    finally:
        db.dispose()
