"""200 real socket clients (python-socketio over websocket, real uvicorn) vote at once while the chair closes:
acknowledged casts == voter records == ballots counted, on SQLite and on PostgreSQL; late casts get a clear
'invalid_state' error; nothing is counted twice."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import socketio
from sqlalchemy import func
from sqlmodel import select

from infra.settings import Settings
from tests.conftest import LiveServer, free_port
from tests.factories import PASSWORD, make_cabinet
from tests.pg import fresh_database
from tests.vote_helpers import check_in, new_vote
from tests.waiting import eventually
from votes.ballot import proofs
from votes.models import Ballot, SecretBallot, VoterRecord, VoteKind

N_VOTERS = 200
WATCHERS = 20


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    base = Settings(data_dir=tmp_path / "data", port=free_port(), login_max_failures=5, socket_rate_per_second=200)
    if getattr(request, "param", "sqlite") == "postgres":
        with fresh_database() as url:
            yield base.with_(database_url=url)
    else:
        yield base


async def _login_all(url: str, usernames: list[str]) -> list[str]:
    gate = asyncio.Semaphore(20)

    async def one(username: str) -> str:
        # A client (cookie jar) of its own: a login ends the session whose cookie it arrives with.
        async with gate, httpx.AsyncClient(base_url=url, timeout=60) as http:
            r = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            return r.cookies["ecabinet_session"]

    return list(await asyncio.gather(*(one(u) for u in usernames)))


async def _connect_all(
    url: str, tokens: list[str], meeting_id: int, watchers: int, *, at_once: int = 50, timeout: float = 30
) -> list[socketio.AsyncClient]:
    """Every client connects; the first `watchers` also join the meeting room and receive its events (a
    vote needs no join; 200 joins would mostly measure the presence broadcast, not votes)."""
    gate = asyncio.Semaphore(at_once)

    async def one(i: int, token: str) -> socketio.AsyncClient:
        async with gate:
            client = socketio.AsyncClient(reconnection=False)
            client.events = []
            client.on("event", client.events.append)
            await client.connect(
                url, transports=["websocket"], headers={"Cookie": f"ecabinet_session={token}"}, wait_timeout=30
            )
            if i < watchers:
                ack = await client.call("meeting:join", {"meeting_id": meeting_id}, timeout=timeout)
                assert ack["ok"], ack
            return client

    return list(await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens))))


@pytest.mark.parametrize("kind", [VoteKind.named])  # secret: test_200_encrypted_ballots_while_the_chair_closes
@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_200_clients_vote_while_the_chair_closes(live_server: LiveServer, kind: VoteKind) -> None:
    db = live_server.db
    c = make_cabinet(db, n_members=N_VOTERS - 1, n_items=1, start=True)
    voters = [c.chair, *c.members]
    check_in(db, c, voters)
    vote = new_vote(db, c, kind=kind, state="open")
    options = [o["id"] for o in vote["options"]]
    tokens = await _login_all(live_server.url, [v.username for v in voters])
    clients = await _connect_all(live_server.url, tokens, c.meeting_id, watchers=WATCHERS)
    chair_client = clients[0]
    acked: list[dict[str, Any]] = []
    rng = random.Random(46)

    async def cast(client: socketio.AsyncClient) -> dict[str, Any]:
        ack = await client.call("vote:cast", {"vote_id": vote["id"], "option_id": rng.choice(options)}, timeout=120)
        if ack["ok"]:
            acked.append(ack)
        return ack

    async def close_midway() -> dict[str, Any]:
        await eventually(lambda: len(acked) >= N_VOTERS // 3, "a third of the votes", timeout=180, interval=0.005)
        return await chair_client.call("vote:close", {"vote_id": vote["id"]}, timeout=120)

    try:
        casts = [asyncio.create_task(cast(cl)) for cl in clients]
        closer = asyncio.create_task(close_midway())
        acks = await asyncio.wait_for(asyncio.gather(*casts), 180)
        closed = await asyncio.wait_for(closer, 60)
        await eventually(
            lambda: all(any(e["type"] == "vote.closed" for e in cl.events) for cl in clients[:WATCHERS]),
            "every watching tablet to hear the close",
        )
    finally:
        await asyncio.gather(*(cl.disconnect() for cl in clients), return_exceptions=True)

    assert closed["ok"], closed
    ok = [a for a in acks if a["ok"]]
    refused = [a for a in acks if not a["ok"]]
    assert all(a["error"]["code"] == "invalid_state" and "đã đóng" in a["error"]["message"] for a in refused), refused[
        :3
    ]
    assert len(ok) + len(refused) == N_VOTERS and len(ok) >= N_VOTERS // 3

    def stored(session: Any) -> tuple[int, int]:
        records = session.exec(
            select(func.count()).select_from(VoterRecord).where(VoterRecord.vote_id == vote["id"])
        ).one()
        ballots = session.exec(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote["id"])).one()
        return int(records), int(ballots or 0)

    records, ballots = db.run_read(stored)
    result = closed["data"]["result"]
    print(
        f"\n{db.url.split(':')[0]} {kind.value}: acknowledged={len(ok)} refused_after_close={len(refused)} "
        f"voter_records={records} ballots={ballots}"
    )
    assert records == ballots == len(ok) == result["voted_count"] == sum(result["counts"].values()) == result["cast"]
    assert closed["data"]["voted_count"] == len(ok)


@pytest.mark.parametrize("settings", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_200_encrypted_ballots_while_the_chair_closes(live_server: LiveServer) -> None:
    """Secret: every receipt answered is a ballot counted in the decrypted total; every other cast is refused
    because the vote closed; the board holds exactly the acknowledged ballots."""
    from tests.factories import call
    from tests.vote_helpers import decrypt, enrol_trustees
    from votes import services
    from votes.ballot import election, verify
    from votes.ballot import board as ballot_board

    db = live_server.db
    c = make_cabinet(db, n_members=N_VOTERS - 1, n_items=1, start=True)
    voters = [c.chair, *c.members]
    check_in(db, c, voters)
    enrol_trustees(db, c)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    params = db.run_read(election.parameters, actor=c.chair, vote_id=vote["id"])
    tokens = await _login_all(live_server.url, [v.username for v in voters])
    rng = random.Random(46)
    acked: list[dict[str, Any]] = []

    async def cast(token: str) -> dict[str, Any]:
        ballot = proofs.encrypt_ballot(
            params["params"], params["params_digest"], rng.randrange(3), random.randbytes(32)
        )
        async with httpx.AsyncClient(
            base_url=live_server.url, timeout=120, cookies={"ecabinet_session": token}
        ) as http:
            csrf = (await http.get("/api/me")).json()["csrf_token"]
            r = await http.post(
                f"/api/votes/{vote['id']}/secret-ballots", json={"ballot": ballot}, headers={"X-CSRF-Token": csrf}
            )
        body = r.json()
        if r.status_code == 200:
            acked.append(body)
        return body

    async def close_midway() -> None:
        await eventually(
            lambda: len(acked) >= N_VOTERS // 3, "a third of the ballots acknowledged", timeout=170, interval=0.005
        )
        call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])

    closer = asyncio.create_task(close_midway())
    answers = await asyncio.wait_for(asyncio.gather(*(cast(t) for t in tokens)), 180)
    await asyncio.wait_for(closer, 60)
    refused = [a for a in answers if "error" in a]
    assert all(a["error"]["code"] == "invalid_state" for a in refused), refused[:3]
    assert len(acked) + len(refused) == N_VOTERS and len(acked) >= N_VOTERS // 3
    done = decrypt(db, c, vote)
    board = db.run_read(ballot_board.board, actor=c.chair, vote_id=vote["id"])  # decrypted: the chair sees it all
    records = db.run_read(
        lambda session: session.exec(
            select(func.count()).select_from(VoterRecord).where(VoterRecord.vote_id == vote["id"])
        ).one()
    )
    stored = db.run_read(
        lambda session: session.exec(
            select(func.count()).select_from(SecretBallot).where(SecretBallot.vote_id == vote["id"])
        ).one()
    )
    assert records == stored == len(acked) == sum(done["result"]["counts"].values()) == len(board["ballots"])
    assert {a["receipt"] for a in acked} == {b["receipt"] for b in board["ballots"]}
    assert verify.verify_board(board) is not None
