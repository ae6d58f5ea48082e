"""Votes benchmark: N voters (default 500) cast at once over real sockets; acknowledgement latency p50/p99 and
throughput, on SQLite and on PostgreSQL (127.0.0.1:5432, a fresh database dropped afterwards).

    .venv/bin/python bench/votes.py [--voters 500] [--kind named|open] [--backends sqlite,postgres]

Secret votes (encrypted ballots) have their own: bench/ballots.py.

The server is the real app (create_app) under uvicorn in its own process; the clients (python-socketio
AsyncClient, websocket) run here; every client joins the meeting. Two bursts from the same sockets in the
same run: a read burst (every client sends `meeting:sync` at the same moment, the reference) and the cast
burst (every client sends `vote:cast` at the same moment). Latency is from emit to ack; a cast's ack is sent
only after COMMIT. Then the store is read: voter records must equal the acknowledged casts (0 lost, 0
doubled). Traffic only to 127.0.0.1. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))  # after the root: bench/votes.py must not shadow votes/

import httpx
import socketio
from sqlalchemy import func, update
from sqlmodel import select

from _common import cpu_seconds, free_port, machine, quiet_gc
from accounts import passwords
from app.db import Database
from app.migrate import upgrade
from meetings import services as meetings
from meetings.models import Attendance, MeetingRole, Participant
from tests.factories import PASSWORD, make_cabinet, make_user
from votes import services as votes
from votes.models import Vote, VoteKind, VoterRecord
from votes.schemas import VoteCreate

SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from app.cli import server_options
from app.factory import create_app
from infra.settings import Settings
settings = Settings.from_env().with_(host="127.0.0.1", port={port}, gc_freeze=True)  # as `ecabinet serve` runs
uvicorn.run(create_app(settings), log_level="warning", **server_options(settings))
"""


def prepare(url: str, voters: int, kind: VoteKind) -> tuple[list[str], int, int, list[int]]:
    """A started meeting with `voters` present members and an open vote (setup bypasses the per-invite events)."""
    upgrade(url)
    db = Database(url)
    try:
        c = make_cabinet(db, n_members=1, n_items=1, start=True)
        extra = [make_user(db) for _ in range(voters - 2)]

        def roster(session):
            for actor in extra:
                session.add(Participant(meeting_id=c.meeting_id, user_id=actor.id, role=MeetingRole.member))
            session.flush()
            session.execute(
                update(Participant)
                .where(Participant.meeting_id == c.meeting_id)
                .values(attendance=Attendance.present_room)
            )

        db.run_write(roster)
        data = VoteCreate(agenda_item_id=c.item_ids[0], question="Thông qua dự toán ngân sách?", kind=kind)
        vote = db.run_write(votes.create_vote, actor=c.secretary, meeting_id=c.meeting_id, data=data).result
        vote = db.run_write(votes.open_vote, actor=c.chair, vote_id=vote["id"]).result
        db.run_read(meetings.get_meeting, actor=c.chair, meeting_id=c.meeting_id)
        return (
            [a.username for a in (c.chair, *c.members, *extra)],
            c.meeting_id,
            vote["id"],
            [o["id"] for o in vote["options"]],
        )
    finally:
        db.dispose()


async def run_clients(
    base: str, usernames: list[str], meeting_id: int, vote_id: int, options: list[int], server_pid: int
) -> dict[str, Any]:
    import psutil

    server = psutil.Process(server_pid)
    gate = asyncio.Semaphore(50)
    async with httpx.AsyncClient(base_url=base, timeout=60):

        async def login(u: str) -> str:
            # A cookie jar of its own: a login ends the session whose cookie it arrives with.
            async with gate, httpx.AsyncClient(base_url=base, timeout=60) as own:
                r = await own.post("/api/auth/login", json={"username": u, "password": PASSWORD})
                r.raise_for_status()
                return r.cookies["ecabinet_session"]

        tokens = await asyncio.wait_for(asyncio.gather(*(login(u) for u in usernames)), 300)

    async def connect(token: str) -> socketio.AsyncClient:
        async with gate:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(
                base, transports=["websocket"], headers={"Cookie": f"ecabinet_session={token}"}, wait_timeout=30
            )
            return client

    clients = await asyncio.wait_for(asyncio.gather(*(connect(t) for t in tokens)), 300)

    async def join(client: socketio.AsyncClient) -> int:
        async with gate:
            ack = await client.call("meeting:join", {"meeting_id": meeting_id}, timeout=120)
            assert ack.get("ok"), ack
            return int(ack["data"]["seq"])

    seqs = await asyncio.wait_for(asyncio.gather(*(join(c) for c in clients)), 300)
    await asyncio.sleep(1.0)  # the join burst's presence messages drain
    since = min(seqs)

    async def burst(call: Callable[[int, socketio.AsyncClient], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """Every client calls at the same moment; latency = emit -> ack."""
        latencies: list[float] = []
        errors: dict[str, int] = {}
        start = asyncio.Event()

        async def one(i: int, client: socketio.AsyncClient) -> None:
            await start.wait()
            t0 = time.perf_counter()
            ack = await call(i, client)
            if ack.get("ok"):
                latencies.append(time.perf_counter() - t0)
            else:
                errors[ack["error"]["code"]] = errors.get(ack["error"]["code"], 0) + 1

        tasks = [asyncio.create_task(one(i, c)) for i, c in enumerate(clients)]
        await asyncio.sleep(0.2)
        cpu0 = cpu_seconds([server])
        t_start = time.perf_counter()
        start.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 300)
        elapsed = time.perf_counter() - t_start
        server_cpu = cpu_seconds([server]) - cpu0
        latencies.sort()
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return {
            "acked": len(latencies),
            "errors": sum(errors.values()),
            "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000,
            "max_ms": latencies[-1] * 1000 if latencies else 0.0,
            "elapsed_s": elapsed,
            "per_s": len(latencies) / elapsed,
            "server_ms_per_call": 1000 * server_cpu / max(1, len(latencies)),
            "server_cores": server_cpu / elapsed,
        }

    def read(i: int, client: socketio.AsyncClient) -> Awaitable[dict[str, Any]]:
        return client.call("meeting:sync", {"meeting_id": meeting_id, "since": since}, timeout=120)

    def cast(i: int, client: socketio.AsyncClient) -> Awaitable[dict[str, Any]]:
        return client.call("vote:cast", {"vote_id": vote_id, "option_id": options[i % len(options)]}, timeout=120)

    quiet_gc()  # 500 simulated tablets in this process: no collector pause in the figures (bench/_common.py)
    try:
        reads = await burst(read)
        casts = await burst(cast)
    finally:
        gc.enable()
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    return {"read": reads, "cast": casts}


def counted(url: str, vote_id: int) -> tuple[int, int]:
    """(voter records, voted_count) as stored: what the vote will count."""
    db = Database(url)
    try:

        def read(session):
            records = session.exec(
                select(func.count()).select_from(VoterRecord).where(VoterRecord.vote_id == vote_id)
            ).one()
            return int(records), int(session.get(Vote, vote_id).voted_count)

        return db.run_read(read)
    finally:
        db.dispose()


def bench(backend: str, url: str, data_dir: Path, voters: int, kind: VoteKind) -> None:
    t0 = time.perf_counter()
    usernames, meeting_id, vote_id, options = prepare(url, voters, kind)
    setup = time.perf_counter() - t0
    port = free_port()
    env = {
        **os.environ,
        "ECABINET_DATA_DIR": str(data_dir),
        "ECABINET_DATABASE_URL": url,
        "ECABINET_SOCKET_RATE": "100",
    }
    root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=root, port=port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("server did not start")
        r = asyncio.run(run_clients(base, usernames, meeting_id, vote_id, options, proc.pid))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    records, voted_count = counted(url, vote_id)
    for what, x in (("read burst (meeting:sync)", r["read"]), ("cast burst (vote:cast)", r["cast"])):
        print(
            f"{backend:<10} {what:<26} n={voters} kind={kind.value} acked={x['acked']} errors={x['errors']} "
            f"p50={x['p50_ms']:.1f}ms p99={x['p99_ms']:.1f}ms max={x['max_ms']:.1f}ms all_in={x['elapsed_s']:.2f}s "
            f"{x['per_s']:.0f}/s server CPU {x['server_ms_per_call']:.2f} ms/call ({x['server_cores']:.2f} cores)",
            flush=True,
        )
    lost = r["cast"]["acked"] - records
    print(
        f"{backend:<10} counted: voter records={records} voted_count={voted_count} acknowledged={r['cast']['acked']} "
        f"lost={lost} doubled={max(0, records - voters)} (setup {setup:.1f}s)",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--voters", type=int, default=500)
    # secret votes take encrypted ballots over HTTP: bench/ballots.py
    p.add_argument("--kind", choices=[VoteKind.open.value, VoteKind.named.value], default="open")
    p.add_argument("--backends", default="sqlite,postgres")
    a = p.parse_args()
    passwords.configure(time_cost=1, memory_cost=1024)  # setup speed only; login verifies what is stored
    kind = VoteKind(a.kind)
    print(f"machine: {machine()}", flush=True)
    for backend in a.backends.split(","):
        data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-bench-votes-"))
        if backend == "sqlite":
            bench(backend, f"sqlite:///{data_dir / 'ecabinet.db'}", data_dir, a.voters, kind)
            continue
        from tests.pg import fresh_database

        try:
            with fresh_database() as url:
                bench(backend, url, data_dir, a.voters, kind)
        except BaseException as exc:  # pytest.skip raises a BaseException subclass
            if type(exc).__name__ != "Skipped":
                raise
            print(f"{backend:<10} skipped: {exc}", flush=True)


if __name__ == "__main__":
    main()
