"""Remote video in a cluster (realtime/rtc_relay.py): a meeting's media lives on one node; a remote member
whose socket is on another node joins by video through it, that node is killed with SIGKILL, and the member
resumes through a third node within the grace: the same peer connection keeps receiving, attendance never
leaves "present remotely". ICE is limited to 127.0.0.1 on both ends, no STUN/TURN, as in tests/media (the
nodes need the machine's PostgreSQL and Redis, so this runs on loopback rather than in a network namespace)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any, Iterator

import pytest
import redis

from tests.cluster_helpers import REDIS_URL, Cluster, Tablet, running_cluster
from tests.factories import Cabinet
from tests.live import LiveClient, live_client, login
from tests.waiting import eventually

GRACE = 6.0


@pytest.fixture
def media_cluster() -> Iterator[tuple[Cluster, Cabinet]]:
    from tests.media.test_remote_media import hybrid_cabinet

    with running_cluster(hybrid_cabinet, grace_seconds=GRACE) as running:
        yield running


async def test_a_remote_member_whose_node_died_resumes_video_through_another_node(media_cluster) -> None:
    from realtime.media import hooks
    from tests.media.peers import Peer, near
    from tests.media.test_remote_media import GREEN, RED, _attendance

    hooks.limit_host_addresses(["127.0.0.1"])  # this process's aiortc peers
    cl, c = media_cluster
    node_a, node_b, node_c = cl.nodes
    me = c.members[0].id
    watcher, wh = await live_client(node_a.url, c.chair.username)
    anchor, ah = await live_client(node_a.url, c.members[1].username)
    member_http = None
    closing: list[Any] = [(watcher, wh), (anchor, ah)]
    peers: list[Peer] = []
    try:
        assert (await watcher.join(c.meeting_id))["ok"]
        first = Peer(anchor, c.meeting_id)  # the first rtc:* of the meeting: node A becomes its media node
        peers.append(first)
        assert (await first.join(GREEN))["ok"]
        member_http = await login(node_b.url, c.members[0].username)
        cookie = member_http.cookies["ecabinet_session"]
        on_b = Tablet(node_b.url, cookie, c.meeting_id)
        await on_b.connect()
        closing.append((on_b, member_http))
        peer = Peer(on_b, c.meeting_id)  # signalling through node B, relayed to node A's media worker
        peers.append(peer)
        ack = await peer.join(RED)
        assert ack["ok"], ack
        await asyncio.wait_for(peer.got_frame.wait(), 20)
        await watcher.wait_for(_attendance(me, "present_remote"), timeout=10)
        assert redis.Redis.from_url(REDIS_URL).get(f"{cl.prefix}:media:{c.meeting_id}") == node_a.name.encode()

        node_b.kill(signal.SIGKILL)
        proc = node_b.proc
        assert proc is not None
        await eventually(lambda: proc.poll() is not None, timeout=10)
        await asyncio.sleep(GRACE / 2)  # node A has noticed B's death (heartbeat 0.5 s): the grace is running

        again = LiveClient(node_c.url, cookie)  # the page comes back through node C
        await again.connect()
        closing.append((again, None))
        resumed = await again.call("rtc:resume", {"meeting_id": c.meeting_id})
        assert resumed == {"ok": True, "data": {"resumed": True}}, resumed
        assert (await again.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]  # its controls work
        await asyncio.sleep(GRACE * 1.3)  # well past when B's socket's grace would have ended the session
        await peer.frames_after(10)  # the same peer connection still receives the composite
        assert any(near(p, RED) for p in peer.grid())
        assert not any(_attendance(me, "unknown")(env) for env in watcher.events)
        r = await wh.get(f"/api/meetings/{c.meeting_id}/participants")
        assert next(p["attendance"] for p in r.json() if p["user_id"] == me) == "present_remote"
    finally:
        for p in peers:
            await p.close()
        for client, http in closing:
            await client.close()
            if http is not None:
                await http.aclose()


async def test_when_the_media_node_dies_a_participant_who_does_not_come_back_is_no_longer_present_after_the_grace(
    media_cluster,
) -> None:
    import time

    from realtime.media import hooks
    from tests.media.peers import Peer
    from tests.media.test_remote_media import RED, _attendance

    hooks.limit_host_addresses(["127.0.0.1"])
    cl, c = media_cluster
    node_a, _, node_c = cl.nodes
    me = c.members[0].id
    watcher, wh = await live_client(node_c.url, c.chair.username)
    member, mh = await live_client(node_a.url, c.members[0].username)
    peer = Peer(member, c.meeting_id)  # signalling and media both on node A
    try:
        assert (await watcher.join(c.meeting_id))["ok"]
        assert (await peer.join(RED))["ok"]
        await asyncio.wait_for(peer.got_frame.wait(), 20)
        await watcher.wait_for(_attendance(me, "present_remote"), timeout=10)
        node_a.kill(signal.SIGKILL)  # the media node, its worker with it
        died = time.monotonic()
        await watcher.wait_for(_attendance(me, "unknown"), timeout=GRACE + 15)  # ended by node B or C
        assert time.monotonic() - died >= GRACE * 0.9
        r = await wh.get(f"/api/meetings/{c.meeting_id}/participants")
        assert next(p["attendance"] for p in r.json() if p["user_id"] == me) == "unknown"
    finally:
        await peer.close()
        for client, http in ((watcher, wh), (member, mh)):
            await client.close()
            await http.aclose()
