"""Tally events survive a crash: a real server process is killed (SIGKILL) after 25 acknowledged casts whose
coalesced vote.tally was still pending; the restarted server publishes it, so the event log's last tally
equals the count in the store."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from app.db import Database
from infra.settings import Settings
from tests.conftest import free_port
from tests.live import login
from tests.test_outbox import tallies
from tests.vote_helpers import new_vote, option, present_cabinet
from tests.waiting import eventually
from votes.models import Vote

ROOT = Path(__file__).resolve().parent.parent
VOTERS = 25


class Server:
    """`uvicorn --factory app.factory:create_app` in its own process, on the test's data directory."""

    def __init__(self, settings: Settings, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = settings.data_dir / f"server-{self.port}.log"
        environ = {**os.environ, "ECABINET_DATA_DIR": str(settings.data_dir), "PYTHONUNBUFFERED": "1", **env}
        environ.pop("ECABINET_DATABASE_URL", None)
        if settings.database_url:  # PostgreSQL: the test's fresh database (else SQLite in the data directory)
            environ["ECABINET_DATABASE_URL"] = settings.database_url
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "app.factory:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                    # The voters' connections wait idle while the others log in; with uvicorn's 5 s default
                    # a slow machine closed them just as the casts reused them (httpx.ReadError, not the product).
                    "--timeout-keep-alive",
                    "120",
                ],
                cwd=ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def started(self) -> None:
        async def healthy() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(self.url + "/healthz", timeout=2)).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(healthy, "the server to answer /healthz", timeout=60, interval=0.1)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no shutdown, no flush
        self.proc.wait(timeout=10)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


async def test_the_pending_tally_survives_kill_9(settings: Settings, db: Database, servers: list[Server]) -> None:
    c = present_cabinet(db, n_members=VOTERS - 1)
    vote = new_vote(db, c, state="open")
    # A long coalescing interval: the tally of the casts is certainly still pending when the process dies.
    first = Server(settings, ECABINET_TALLY_INTERVAL="600")
    servers.append(first)
    await first.started()
    voters = list(await asyncio.gather(*(login(first.url, who.username) for who in [c.chair, *c.members])))
    try:
        cast = [v.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": option(vote, "yes")}) for v in voters]
        assert [r.status_code for r in await asyncio.gather(*cast)] == [200] * VOTERS
    finally:
        for v in voters:
            await v.aclose()
    first.kill()
    stored = db.run_read(lambda session: session.get(Vote, vote["id"]).voted_count)
    assert stored == VOTERS and tallies(db, c.meeting_id) == []  # acknowledged, but not yet told to anyone

    second = Server(settings)
    servers.append(second)
    await second.started()
    last = await eventually(
        lambda: [t for t in tallies(db, c.meeting_id) if t["votes"][-1]["voted_count"] == VOTERS],
        "the tally of every vote",
        timeout=30,
    )
    told = last[-1]["votes"][-1]
    assert told["voted_count"] == stored and told["tally"] is None  # the progress; counts wait for publication
