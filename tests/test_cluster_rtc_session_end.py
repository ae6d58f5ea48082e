"""Remote video in a cluster when the login session ends on another node than the meeting's media node
(realtime/rtc_relay.py): node A hosts the media, a member signals through node B and logs out there; node B's
socket_gone tells node A that the session ended, and node A ends the media at once instead of granting the
reconnect grace. Another member's socket on node B that merely drops keeps the grace. ICE on 127.0.0.1 only, no
STUN/TURN; loopback, as tests/test_cluster_media.py (the nodes need the machine's PostgreSQL and Redis)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import pytest

from tests.cluster_helpers import Cluster, running_cluster
from tests.factories import Cabinet
from tests.live import live_client

GRACE = 12.0
AT_ONCE = 4.0  # well inside the grace


@pytest.fixture
def media_cluster() -> Iterator[tuple[Cluster, Cabinet]]:
    from tests.media.test_remote_media import hybrid_cabinet

    with running_cluster(hybrid_cabinet, grace_seconds=GRACE) as running:
        yield running


async def _attendance_of(http: Any, meeting_id: int, user_id: int) -> str:
    r = await http.get(f"/api/meetings/{meeting_id}/participants")
    assert r.status_code == 200, r.text
    return str(next(p["attendance"] for p in r.json() if p["user_id"] == user_id))


async def test_a_logout_on_another_node_ends_the_remote_media_at_once(media_cluster) -> None:
    from realtime.media import hooks
    from tests.media.peers import Peer
    from tests.media.test_remote_media import _attendance

    hooks.limit_host_addresses(["127.0.0.1"])  # this process's aiortc peers
    cl, c = media_cluster
    node_a, node_b, _ = cl.nodes
    mid = c.meeting_id
    out, dropped = c.members[1].id, c.members[2].id
    watcher, wh = await live_client(node_a.url, c.chair.username)
    anchor, ah = await live_client(node_a.url, c.members[0].username)
    leaving, lh = await live_client(node_b.url, c.members[1].username)
    staying, sh = await live_client(node_b.url, c.members[2].username)
    clients = [(watcher, wh), (anchor, ah), (leaving, lh), (staying, sh)]
    peers = [Peer(anchor, mid), Peer(leaving, mid), Peer(staying, mid)]
    try:
        assert (await watcher.join(mid))["ok"]
        assert (await peers[0].join(None))["ok"]  # the meeting's first rtc:*: node A becomes its media node
        for peer, uid in ((peers[1], out), (peers[2], dropped)):  # signalling through B, relayed to A
            ack = await peer.join(None)
            assert ack["ok"], ack
            await asyncio.wait_for(peer.got_frame.wait(), 20)
            await watcher.wait_for(_attendance(uid, "present_remote"), timeout=10)

        # denied at once: the logout through node B ends the media that node A hosts
        at = time.monotonic()
        assert (await lh.post("/api/auth/logout")).status_code == 200
        await watcher.wait_for(_attendance(out, "unknown"), timeout=AT_ONCE + 5)
        assert time.monotonic() - at < AT_ONCE

        # allowed the grace: a socket on node B that drops keeps its media session on node A
        await staying.sio.disconnect()
        await asyncio.sleep(AT_ONCE + 1)
        assert await _attendance_of(wh, mid, dropped) == "present_remote"
        assert not any(_attendance(dropped, "unknown")(env) for env in watcher.events)
        await peers[2].frames_after(5)
    finally:
        for peer in peers:
            await peer.close()
        for client, http in clients:
            await client.close()
            await http.aclose()
