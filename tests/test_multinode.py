"""Two web processes behind one database and the real Redis: an event made on one reaches tablets on the other."""

from __future__ import annotations

import asyncio
import uuid
from typing import AsyncIterator

import pytest
import redis
import uvicorn

from app.cli import server_options
from infra.settings import Settings
from tests.conftest import LiveServer, free_port
from tests.factories import make_cabinet
from tests.live import live_client, login
from tests.waiting import eventually

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


async def _listening(node: LiveServer) -> None:
    """Until the node's socket.io manager subscribes to the Redis channel (it starts with the first socket)."""
    channel = node.settings.redis_channel
    with redis.Redis.from_url(REDIS_URL) as r:
        await eventually(lambda: dict(r.pubsub_numsub(channel)).get(channel.encode()), f"{node.url} to listen on Redis")


async def _serve(settings: Settings) -> tuple[LiveServer, uvicorn.Server, asyncio.Task]:
    live = LiveServer(settings)
    server = uvicorn.Server(uvicorn.Config(live.app, log_level="warning", **server_options(settings)))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "uvicorn to start")
    return live, server, task


@pytest.fixture
async def two_nodes(settings: Settings, db: object) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    if not _redis_up():
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    channel = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    a = await _serve(settings.with_(redis_url=REDIS_URL, redis_channel=channel))
    b = await _serve(settings.with_(redis_url=REDIS_URL, redis_channel=channel, port=free_port()))
    yield a[0], b[0]
    for _, server, task in (a, b):
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_event_made_on_node_a_reaches_a_tablet_on_node_b(two_nodes: tuple[LiveServer, LiveServer]) -> None:
    node_a, node_b = two_nodes
    c = make_cabinet(node_a.db, start=True)
    tablet, tablet_http = await live_client(node_b.url, c.members[0].username)
    chair = await login(node_a.url, c.chair.username)
    try:
        ack = await tablet.join(c.meeting_id)
        await _listening(node_b)
        r = await chair.post(f"/api/meetings/{c.meeting_id}/next")
        assert r.status_code == 200
        env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert env["seq"] == ack["data"]["seq"] + 1
        assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[1]
    finally:
        await tablet.close()
        await tablet_http.aclose()
        await chair.aclose()


async def test_a_participant_removed_on_node_a_is_taken_out_on_node_b(two_nodes: tuple[LiveServer, LiveServer]) -> None:
    node_a, node_b = two_nodes
    c = make_cabinet(node_a.db)
    gone, gone_http = await live_client(node_b.url, c.members[0].username)
    stays, stays_http = await live_client(node_b.url, c.members[1].username)
    staff = await login(node_a.url, c.staff.username)
    try:
        assert (await gone.join(c.meeting_id))["ok"] and (await stays.join(c.meeting_id))["ok"]
        await _listening(node_b)
        assert (await staff.delete(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}")).status_code == 204
        await gone.wait_for(lambda e: e["type"] == "meeting.access_revoked")
        removal = await stays.wait_for(lambda e: e["type"] == "participants.changed")
        assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng khác"})).status_code == 200
        await stays.wait_for(lambda e: e["type"] == "meeting.updated")
        assert [e for e in gone.events if e.get("seq") and e["seq"] >= removal["seq"]] == []
    finally:
        for cl, h in ((gone, gone_http), (stays, stays_http)):
            await cl.close()
            await h.aclose()
        await staff.aclose()
