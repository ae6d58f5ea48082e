"""A node's Redis commands survive a dropped connection: a pooled connection that dies under a command (Redis
restarting at that moment, a connection cut on the way) is replaced and the command sent again
(infra/cluster.py redis_options), instead of a 500 at sign-in or an internal_error at meeting:join, as after
the probe's Redis restarts. The connections go through a small TCP relay to a Redis of the test's own, which
then "restarts": every connection open so far is cut at its next command (read, closed, no answer), and new
connections are refused for a moment (redis-py's default retries give up within ~0.1 s)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import httpx

from infra.settings import Settings
from tests.conftest import free_port, running
from tests.factories import PASSWORD, make_cabinet
from tests.live import live_client, login
from tests.redis_server import OwnRedis


class CuttingRelay:
    def __init__(self, target_port: int) -> None:
        self.target_port, self.port = target_port, free_port()
        self.generation = 0  # connections of an older generation are cut at their next command
        self.cut = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        born = self.generation
        redis_r, redis_w = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def up() -> None:
            while data := await client_r.read(65536):
                if born != self.generation:
                    self.cut += 1
                    break  # the command is lost with the connection: no answer
                redis_w.write(data)
                await redis_w.drain()

        async def down() -> None:
            while data := await redis_r.read(65536):
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.ensure_future(up()), asyncio.ensure_future(down())]
        with contextlib.suppress(Exception):
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        for w in (client_w, redis_w):
            w.close()

    async def restart(self, down: float) -> None:
        """Cut every open connection (at its next command) and refuse new ones for `down` seconds."""
        self.generation += 1
        assert self.server is not None
        self.server.close()
        await asyncio.sleep(down)
        await self.start()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


async def test_sign_in_and_join_succeed_when_pooled_redis_connections_were_cut(settings: Settings, db: Any) -> None:
    own = OwnRedis()
    own.start()
    relay = CuttingRelay(own.port)
    await relay.start()
    c = make_cabinet(db, start=True)
    node_settings = settings.with_(
        redis_url=f"redis://127.0.0.1:{relay.port}/0", redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    )
    try:
        async with running(node_settings) as node:
            first = await login(node.url, c.members[0].username)  # the sign-in limits' connection is pooled now
            tablet, tablet_http = await live_client(node.url, c.members[1].username)
            try:
                assert (await tablet.join(c.meeting_id))["ok"]  # and presence's
                restarting = asyncio.ensure_future(relay.restart(down=0.3))
                await asyncio.sleep(0)
                async with httpx.AsyncClient(base_url=node.url, timeout=20) as client:
                    r = await client.post(
                        "/api/auth/login", json={"username": c.members[2].username, "password": PASSWORD}
                    )
                    assert r.status_code == 200, r.text
                ack = await tablet.call("meeting:join", {"meeting_id": c.meeting_id})
                assert ack["ok"], ack
                assert relay.cut >= 1  # the sign-in's connection was cut under it
                await restarting
            finally:
                await tablet.close()
                await tablet_http.aclose()
                await first.aclose()
    finally:
        await relay.stop()
        own.close()
