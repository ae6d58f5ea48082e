"""Group commit of casts (infra/groupcommit.py): members voting at the same moment over their sockets share
transactions, yet each one is counted exactly once, a refused cast (a choice of another vote) spoils nobody
else's in the same transaction, on SQLite and PostgreSQL; and a kill -9 in the middle of a burst loses no
acknowledged cast."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from sqlalchemy import func
from sqlmodel import select

from app.db import Database
from infra.settings import Settings
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.test_outbox_crash import Server
from tests.test_votes_concurrency import _connect_all, _login_all, settings  # noqa: F401  (SQLite | PostgreSQL)
from tests.vote_helpers import check_in, new_vote
from tests.waiting import eventually
from votes import casting
from votes.models import Ballot, Vote, VoterRecord, VoteKind

VOTERS = 80


def _stored(db: Database, vote_id: int) -> tuple[int, int, int, set[int]]:
    def read(session: Any) -> tuple[int, int, int, set[int]]:
        who = set(session.exec(select(VoterRecord.user_id).where(VoterRecord.vote_id == vote_id)).all())
        ballots = session.exec(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)).one()
        return len(who), int(ballots or 0), session.get(Vote, vote_id).voted_count, who

    return db.run_read(read)


@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_a_burst_of_casts_shares_transactions_and_counts_each_voter_once(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, n_members=VOTERS - 1, n_items=1, start=True)
    voters = [c.chair, *c.members]
    check_in(db, c, voters)
    vote = new_vote(db, c, kind=VoteKind.named, state="open")
    options = [o["id"] for o in vote["options"]]
    clients = await _connect_all(
        live_server.url, await _login_all(live_server.url, [v.username for v in voters]), c.meeting_id, 0
    )
    try:
        start, waiting = asyncio.Event(), list[int]()  # the tablets about to tap

        async def cast(i: int, client: socketio.AsyncClient) -> list[dict[str, Any]]:
            waiting.append(i)
            await start.wait()
            payload = {"vote_id": vote["id"], "option_id": options[i % len(options)]}
            if i % 10:
                return [await client.call("vote:cast", payload, timeout=120)]
            # Every tenth voter's tablet also sends a choice that is not this vote's: refused, alone.
            wrong = {"vote_id": vote["id"], "option_id": max(options) + 1000}
            return list(
                await asyncio.gather(
                    client.call("vote:cast", payload, timeout=120), client.call("vote:cast", wrong, timeout=120)
                )
            )

        tasks = [asyncio.create_task(cast(i, cl)) for i, cl in enumerate(clients)]
        await eventually(lambda: len(waiting) == len(clients), "every tablet ready to tap at once")
        start.set()
        acks = await asyncio.wait_for(asyncio.gather(*tasks), 180)
    finally:
        await asyncio.gather(*(cl.disconnect() for cl in clients), return_exceptions=True)
    for i, mine in enumerate(acks):
        assert sum(1 for a in mine if a["ok"]) == 1, (i, mine)  # each voter counted once, and told so
        assert all(a["error"]["code"] == "validation_failed" for a in mine if not a["ok"]), mine
    records, ballots, voted_count, who = _stored(db, vote["id"])
    assert records == ballots == voted_count == VOTERS and who == {v.id for v in voters}
    group = live_server.app.state.ctx.groups[casting.cast_many]
    assert group.batches < VOTERS  # the burst shared transactions


async def test_kill_9_in_the_middle_of_a_burst_loses_no_acknowledged_cast(settings: Settings, db: Database) -> None:
    c = make_cabinet(db, n_members=VOTERS - 1, n_items=1, start=True)
    voters = [c.chair, *c.members]
    check_in(db, c, voters)
    vote = new_vote(db, c, kind=VoteKind.named, state="open")
    options = [o["id"] for o in vote["options"]]
    server = Server(settings)
    try:
        await server.started()
        clients = await _connect_all(
            server.url, await _login_all(server.url, [v.username for v in voters]), c.meeting_id, 0
        )
        acked: list[int] = []  # user ids whose cast was acknowledged before the kill
        killed = asyncio.Event()

        async def cast(i: int, client: socketio.AsyncClient) -> None:
            try:
                ack = await client.call("vote:cast", {"vote_id": vote["id"], "option_id": options[i % 3]}, timeout=30)
            except Exception:  # the server died before answering: no promise was made
                return
            if ack.get("ok") and not killed.is_set():
                acked.append(voters[i].id)

        async def kill_midway() -> None:
            await eventually(
                lambda: len(acked) >= VOTERS // 4, "a quarter of the casts acknowledged", timeout=100, interval=0.001
            )
            killed.set()
            server.kill()

        tasks = [asyncio.create_task(cast(i, cl)) for i, cl in enumerate(clients)]
        await asyncio.wait_for(asyncio.gather(kill_midway(), *tasks, return_exceptions=True), 120)
        await asyncio.gather(*(cl.disconnect() for cl in clients), return_exceptions=True)
    finally:
        server.kill()
    records, ballots, voted_count, who = _stored(db, vote["id"])
    assert set(acked) <= who, "an acknowledged cast was lost"
    assert records == ballots == voted_count  # nothing half-written either
    assert len(acked) >= VOTERS // 4
