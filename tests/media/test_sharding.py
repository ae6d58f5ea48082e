"""Viewer sharding across media workers: the meeting's primary worker composes and encodes once; viewers
beyond `media_primary_viewers` are served by another worker process from the primary's encoded streams.
Real worker processes, real socket.io signalling, aiortc peers; loopback-only network namespace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime.media.channel import publishes
from tests.live import live_client
from tests.media.peers import Peer, close_all, near
from tests.media.test_remote_media import GREEN, RED, _attendance, hybrid_cabinet
from tests.waiting import eventually


@pytest.fixture
def media_settings(media_settings):
    return media_settings.with_(media_workers=2, media_primary_viewers=1)


def test_an_offer_publishes_unless_every_section_only_receives() -> None:
    camera = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"
    viewer = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
    mic_only = (
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n"
    )
    unstated = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
    assert publishes(camera) and publishes(mic_only) and publishes(unstated)
    assert not publishes(viewer) and not publishes("v=0\r\n")


def _rooms(stats: list[dict[str, Any]], meeting_id: int) -> list[dict[str, Any] | None]:
    return [worker.get(str(meeting_id)) for worker in stats]


async def test_viewers_beyond_the_primary_are_served_by_a_second_worker_live_and_closed_with_the_meeting(
    media_server,
) -> None:
    c = hybrid_cabinet(media_server.db)
    workers = media_server.app.state.remote.workers
    watcher, wh = await live_client(media_server.url, c.chair.username)
    await watcher.join(c.meeting_id)
    people = [c.members[0], c.members[1], c.members[2], c.members[3]]
    clients = [await live_client(media_server.url, m.username) for m in people]
    publisher, near_viewer, far_viewer, late_publisher = (Peer(cl, c.meeting_id) for cl, _ in clients)
    peers = [publisher, near_viewer, far_viewer, late_publisher]
    try:
        assert (await publisher.join(RED))["ok"]
        assert (await publisher.client.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]
        assert (await near_viewer.join(None))["ok"]  # receive-only: the primary still has room for one
        assert (await far_viewer.join(None))["ok"]  # the second goes to the other worker
        for viewer, person in ((near_viewer, people[1]), (far_viewer, people[2])):
            await watcher.wait_for(_attendance(person.id, "present_remote"), timeout=10)
            await asyncio.wait_for(viewer.got_frame.wait(), 15)
            await viewer.frames_after(10)
            assert near(viewer.pixel(0.5, 0.4), RED), viewer.pixel(0.5, 0.4)  # the one publisher fills the picture
        await eventually(lambda: max(far_viewer.audio_rms[-40:], default=0) > 1000, "the listeners' mix, relayed")

        primary = workers.primary(c.meeting_id)
        shard = 1 - primary
        rooms = _rooms(await workers.stats(), c.meeting_id)
        assert rooms[primary]["participants"] == 2 and rooms[primary]["feeds"] == 1 and not rooms[primary]["shard"]
        assert rooms[shard]["participants"] == 1 and rooms[shard]["shard"]
        assert rooms[shard]["keyframes"]["high"] >= 1  # the shard viewer's keyframe request went upstream

        # A second publisher joins: the shard's viewer sees the new layout live.
        assert (await late_publisher.join(GREEN))["ok"]
        await eventually(
            lambda: far_viewer.shows(RED, GREEN), "the new layout on the shard's viewer", timeout=30, interval=0.05
        )

        # The shard's last viewer leaves: its room closes and the primary stops feeding it.
        assert (await far_viewer.client.call("rtc:leave", {"meeting_id": c.meeting_id}))["ok"]
        await watcher.wait_for(_attendance(people[2].id, "unknown"), timeout=10)

        async def shard_gone() -> bool:
            rooms = _rooms(await workers.stats(), c.meeting_id)
            return rooms[shard] is None and rooms[primary]["feeds"] == 0

        await eventually(shard_gone, "the shard's room to close", interval=0.1)

        # A viewer joining again goes to the shard (the primary still has its one viewer); ending the meeting
        # closes the rooms on both workers and tells the viewer.
        ended: list[dict] = []
        far_viewer.client.sio.on("rtc:ended", lambda data: ended.append(data))
        again = Peer(far_viewer.client, c.meeting_id)
        peers.append(again)
        assert (await again.join(None))["ok"]
        await asyncio.wait_for(again.got_frame.wait(), 15)
        assert _rooms(await workers.stats(), c.meeting_id)[shard]["participants"] == 1
        assert (await wh.post(f"/api/meetings/{c.meeting_id}/end")).status_code == 200

        async def all_closed() -> bool:
            return _rooms(await workers.stats(), c.meeting_id) == [None, None]

        await eventually(all_closed, "both rooms to close", interval=0.1)
        await eventually(lambda: ended, "rtc:ended")
        assert ended[0] == {"meeting_id": c.meeting_id, "reason": "meeting_ended"}
    finally:
        await close_all(peers, [*clients, (watcher, wh)])
