"""No member stays "online" after their last page closed (realtime/presence.py SharedBoard, infra/cluster.py):
- a node killed and restarted at once with the same ECABINET_NODE_ID drops what its previous process had
  written (nobody else reaps a node whose liveness key is alive again);
- a removal that Redis did not take (down during the disconnect, then back with its data) is made good by the
  node's next heartbeat, which writes its own entries as it holds them.
Real `ecabinet serve` processes or servers, and a Redis of the test's own."""

from __future__ import annotations

import asyncio
import signal
import uuid
from typing import Any

import redis

from infra.settings import Settings
from tests.conftest import running
from tests.factories import make_cabinet
from tests.live import live_client
from tests.redis_server import OwnRedis, node_process
from tests.waiting import eventually


def _fields(url: str, channel: str, meeting_id: int) -> list[str]:
    with redis.Redis.from_url(url) as r:
        return sorted(f.decode() for f in r.hkeys(f"{channel}:presence:{meeting_id}"))


async def test_a_node_restarted_with_the_same_id_drops_its_previous_processes_entries(
    settings: Settings, db: Any
) -> None:
    own = OwnRedis()
    own.start()
    channel = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    c = make_cabinet(db, start=True)
    node = node_process(settings, own, channel, "node-b")
    node.start()
    try:
        await asyncio.to_thread(node.wait_healthy)
        tablet, http = await live_client(node.url, c.members[0].username)
        assert (await tablet.join(c.meeting_id))["ok"]
        assert _fields(own.url, channel, c.meeting_id) == [f"node-b|{c.members[0].id}"]

        node.kill(signal.SIGKILL)  # no goodbye: its entry stays, and its liveness key lives for 1.5 s more
        assert node.proc is not None
        node.proc.wait(10)
        await tablet.sio.disconnect()
        await http.aclose()
        node.start()  # the same id at once, as systemd's Restart= or deploy/cluster.sh would
        await asyncio.to_thread(node.wait_healthy)
        assert _fields(own.url, channel, c.meeting_id) == [], node.tail()

        other, other_http = await live_client(node.url, c.members[1].username)
        try:
            ack = await other.join(c.meeting_id)
            assert ack["ok"] and ack["data"]["online"] == [c.members[1].id]
        finally:
            await other.close()
            await other_http.aclose()
    finally:
        node.stop()
        own.close()


async def test_a_removal_redis_missed_is_made_good_by_the_nodes_next_heartbeat(settings: Settings, db: Any) -> None:
    own = OwnRedis()
    own.start()
    channel = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    c = make_cabinet(db, start=True)
    node_settings = settings.with_(redis_url=own.url, redis_channel=channel, cluster_heartbeat_seconds=1.5)
    try:
        async with running(node_settings) as node:
            stays, stays_http = await live_client(node.url, c.members[0].username)
            leaves, leaves_http = await live_client(node.url, c.members[1].username)
            try:
                assert (await stays.join(c.meeting_id))["ok"] and (await leaves.join(c.meeting_id))["ok"]
                both = sorted(f"{node.app.state.ctx.cluster.node_id}|{m.id}" for m in c.members[:2])
                assert _fields(own.url, channel, c.meeting_id) == both
                own.save()
                own.stop()  # Redis goes away with both entries saved...
                await leaves.close()  # ...the disconnect's removal fails...
                await eventually(lambda: len(node.app.state.rooms.grants.get(c.meeting_id, {})) == 1, "the disconnect")
                await asyncio.sleep(0.5)
                own.start()  # ...and Redis comes back with the saved entries: the member who left among them
                mine = f"{node.app.state.ctx.cluster.node_id}|{c.members[0].id}"
                await eventually(
                    lambda: _fields(own.url, channel, c.meeting_id) == [mine], "the stale entry to go", timeout=10
                )
                ack = await stays.call("meeting:join", {"meeting_id": c.meeting_id})
                assert ack["ok"] and ack["data"]["online"] == [c.members[0].id]
            finally:
                await stays.close()
                await stays_http.aclose()
                await leaves_http.aclose()
    finally:
        own.close()
