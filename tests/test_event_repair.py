"""A committed event reaches the tablets of every node even when its Redis message is lost (realtime/repair.py):
two web processes share one database and a Redis of the test's own, which the test stops, or whose publish the
writing node loses; the tablet on the other node gets the event from the event log, once and in order."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, AsyncIterator

import pytest
import redis
import uvicorn

from app.cli import server_options
from infra.settings import Settings
from realtime.repair import EventRepair
from tests.conftest import LiveServer, free_port
from tests.factories import make_cabinet
from tests.live import live_client, login
from tests.redis_server import OwnRedis
from tests.waiting import eventually

REPAIR = 0.5  # ECABINET_EVENT_REPAIR_SECONDS of these nodes


async def _serve(settings: Settings) -> tuple[LiveServer, uvicorn.Server, asyncio.Task[None]]:
    live = LiveServer(settings)
    server = uvicorn.Server(uvicorn.Config(live.app, log_level="warning", **server_options(settings)))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "uvicorn to start")
    return live, server, task


def repair_of(node: LiveServer) -> EventRepair:
    return next(loop for loop in node.app.state.ctx.background if isinstance(loop, EventRepair))


async def _listening(node: LiveServer, url: str) -> None:
    """Until the node's socket.io manager is subscribed to its Redis channel."""
    channel = node.settings.redis_channel
    with redis.Redis.from_url(url) as r:
        await eventually(lambda: dict(r.pubsub_numsub(channel)).get(channel.encode()), f"{node.url} to listen")


@pytest.fixture
async def nodes(settings: Settings, db: object) -> AsyncIterator[tuple[LiveServer, LiveServer, OwnRedis]]:
    own = OwnRedis()
    own.start()
    channel = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    common: dict[str, Any] = {"redis_url": own.url, "redis_channel": channel, "event_repair_seconds": REPAIR}
    a = await _serve(settings.with_(**common, node_id="node-a"))
    b = await _serve(settings.with_(**common, node_id="node-b", port=free_port()))
    try:
        yield a[0], b[0], own
    finally:
        if own.proc is None:
            own.start()  # the nodes leave the cluster cleanly
        for _, server, task in (a, b):
            server.should_exit = True
            await asyncio.wait_for(task, 20)
        own.close()


async def test_an_event_committed_while_redis_is_down_reaches_the_tablet_on_the_other_node_once(
    nodes: tuple[LiveServer, LiveServer, OwnRedis],
) -> None:
    node_a, node_b, own = nodes
    c = make_cabinet(node_a.db, start=True)
    tablet, tablet_http = await live_client(node_b.url, c.members[0].username)
    chair = await login(node_a.url, c.chair.username)
    try:
        ack = await tablet.join(c.meeting_id)
        seq = ack["data"]["seq"]
        await _listening(node_b, own.url)

        own.stop()  # node A's publish of the next event fails and is dropped by python-socketio
        r = await chair.post(f"/api/meetings/{c.meeting_id}/next")
        assert r.status_code == 200, r.text
        env = await tablet.wait_for(lambda e: e["seq"] == seq + 1, timeout=4 * REPAIR + 3)
        assert env["type"] == "agenda.current_changed"
        assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[1]
        assert repair_of(node_b).repaired == 1

        own.start()  # back, empty; node B subscribes again on its own
        r = await chair.post(f"/api/meetings/{c.meeting_id}/previous")
        assert r.status_code == 200, r.text
        await tablet.wait_for(lambda e: e["seq"] == seq + 2, timeout=4 * REPAIR + 3)
        await asyncio.sleep(3 * REPAIR)  # time for any second copy to show
        assert [e["seq"] for e in tablet.events] == [seq + 1, seq + 2]
        assert tablet.state["meeting"]["current_item_id"] == c.item_ids[0]
    finally:
        await tablet.close()
        await tablet_http.aclose()
        await chair.aclose()


async def test_an_event_whose_publish_the_writer_lost_is_delivered_from_the_log_and_pub_sub_still_wins(
    nodes: tuple[LiveServer, LiveServer, OwnRedis],
) -> None:
    """The writer's publish lost with Redis up (as when the writer dies between COMMIT and PUBLISH): the other
    node delivers the event from the log; events whose message arrives are not delivered a second time."""
    node_a, node_b, own = nodes
    c = make_cabinet(node_a.db, start=True)
    tablet, tablet_http = await live_client(node_b.url, c.members[0].username)
    chair = await login(node_a.url, c.chair.username)
    manager = node_a.app.state.sio.manager
    publish = manager._publish

    async def lost_if_meeting_event(data: dict[str, Any]) -> None:
        if data.get("method") == "emit" and str(data.get("room")).startswith("meeting:"):
            return
        await publish(data)

    try:
        ack = await tablet.join(c.meeting_id)
        seq = ack["data"]["seq"]
        await _listening(node_b, own.url)
        manager._publish = lost_if_meeting_event
        assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
        await tablet.wait_for(lambda e: e["seq"] == seq + 1, timeout=4 * REPAIR + 3)
        assert repair_of(node_b).repaired == 1

        manager._publish = publish
        for step, direction in enumerate(["previous", "next", "previous"], start=2):
            assert (await chair.post(f"/api/meetings/{c.meeting_id}/{direction}")).status_code == 200
            await tablet.wait_for(lambda e, n=seq + step: e["seq"] == n, timeout=4 * REPAIR + 3)
        await asyncio.sleep(3 * REPAIR)
        assert [e["seq"] for e in tablet.events] == [seq + 1, seq + 2, seq + 3, seq + 4]
        assert repair_of(node_b).repaired == 1  # the three that Redis carried were not repaired
        assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[0]
    finally:
        await tablet.close()
        await tablet_http.aclose()
        await chair.aclose()
