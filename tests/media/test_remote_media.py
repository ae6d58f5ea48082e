"""Remote attendance end to end, in process: aiortc peers join through the real socket.io signalling and
the real media worker process; each publishes a distinct colour and a tone and gets back the composite
(its tile in its colour) and an audio mix that is not silent. Runs in a loopback-only namespace."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from app.db import Database
from meetings import services
from meetings.models import MeetingMode
from meetings.schemas import MeetingUpdate
from tests.conftest import LiveServer
from tests.factories import Cabinet, call, make_cabinet
from tests.live import live_client
from tests.media.peers import Peer, close_all, near
from tests.waiting import eventually

RED, GREEN, BLUE = (230, 30, 30), (30, 200, 40), (40, 60, 230)


def hybrid_cabinet(db: Database, mode: MeetingMode = MeetingMode.hybrid) -> Cabinet:
    c = make_cabinet(db, start=True)
    call(db, services.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(mode=mode))
    return c


def _attendance(user_id: int, value: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: (
        e["type"] == "attendance.changed"
        and e["data"]["participant"]["user_id"] == user_id
        and e["data"]["participant"]["attendance"] == value
    )


async def test_three_publishers_see_their_colours_in_the_composite_hear_the_mix_and_count_as_present(
    media_server: LiveServer,
) -> None:
    c = hybrid_cabinet(media_server.db)
    watcher, wh = await live_client(media_server.url, c.chair.username)
    await watcher.join(c.meeting_id)
    people = [c.members[0], c.members[1], c.guest]
    clients = [await live_client(media_server.url, m.username) for m in people]
    peers = [Peer(cl, c.meeting_id) for cl, _ in clients]
    try:
        for peer, colour in zip(peers, (RED, GREEN, BLUE)):
            ack = await peer.join(colour)
            assert ack["ok"], ack
            assert "a=candidate" in ack["data"]["answer"]["sdp"] and "127.0.0.1" in ack["data"]["answer"]["sdp"]
        for peer in peers:  # muted by default without the floor: unmute themselves
            assert (await peer.client.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]
        for person in people:
            await watcher.wait_for(_attendance(person.id, "present_remote"), timeout=10)
        for peer in peers:
            await asyncio.wait_for(peer.got_frame.wait(), 15)
            await peer.frames_after(10)
        # 2x2 grid in join order: red top left, green top right, blue bottom left.
        for peer in peers:
            assert near(peer.pixel(0.25, 0.25), RED), peer.pixel(0.25, 0.25)
            assert near(peer.pixel(0.75, 0.25), GREEN), peer.pixel(0.75, 0.25)
            assert near(peer.pixel(0.25, 0.70), BLUE), peer.pixel(0.25, 0.70)
        for peer in peers:  # the others' tones (mix-minus)

            def hears_tones(peer: Peer = peer) -> bool:
                return max(peer.audio_rms[-40:], default=0) > 1000

            await eventually(hears_tones, "the others' tones")

        # The third leaves: gone from the layout, attendance back.
        assert (await peers[2].client.call("rtc:leave", {"meeting_id": c.meeting_id}))["ok"]
        await watcher.wait_for(_attendance(c.guest.id, "unknown"), timeout=10)

        def relaid_out() -> bool:
            grid = peers[0].grid()
            return (
                not any(near(p, BLUE) for p in grid)
                and any(near(p, RED) for p in grid)
                and any(near(p, GREEN) for p in grid)
            )

        await eventually(relaid_out, "red and green without blue", timeout=30, interval=0.05)
        await peers[2].close()
    finally:
        await close_all(peers, [*clients, (watcher, wh)])


async def test_a_peer_that_drops_is_removed_after_the_grace_period_and_counts_absent_again(
    media_server: LiveServer,
) -> None:
    c = hybrid_cabinet(media_server.db)
    watcher, wh = await live_client(media_server.url, c.chair.username)
    await watcher.join(c.meeting_id)
    member, mh = await live_client(media_server.url, c.members[0].username)
    ended: list[dict[str, Any]] = []
    member.sio.on("rtc:ended", lambda data: ended.append(data))
    peer = Peer(member, c.meeting_id)
    try:
        assert (await peer.join(RED))["ok"]
        await asyncio.wait_for(peer.got_frame.wait(), 15)
        await watcher.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
        await peer.close()  # the tablet vanishes without rtc:leave
        await watcher.wait_for(_attendance(c.members[0].id, "unknown"), timeout=40)
        await eventually(lambda: ended, "rtc:ended")
        assert ended == [{"meeting_id": c.meeting_id, "reason": "dropped"}]
    finally:
        await peer.close()
        for cl, h in ((member, mh), (watcher, wh)):
            await cl.close()
            await h.aclose()
