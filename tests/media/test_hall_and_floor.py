"""The composite follows the meeting: the hall camera is the big picture while nobody has the floor; the
member the chair gives the floor to takes it (their microphone opens, as the organisation setting says,
and their camera is asked for full size instead of a tile's), and the hall returns when the speech ends.
Real worker, real signalling, aiortc peers; loopback-only network namespace."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.live import live_client
from tests.media.peers import Peer, close_all, near
from tests.media.test_remote_media import BLUE, GREEN, RED, hybrid_cabinet
from tests.waiting import eventually


BIG = [(0.1, 0.3), (0.35, 0.3), (0.6, 0.3), (0.1, 0.7), (0.35, 0.7), (0.6, 0.7)]  # inside the left three quarters


async def _featured(peer: Peer, want: tuple[int, int, int], timeout: float = 30) -> None:
    """Wait until the big picture (the left three quarters, top to bottom: not one cell of a grid) is `want`."""

    def featured() -> bool:
        assert peer.video is not None, "no picture yet"
        assert all(near(peer.pixel(x, y), want) for x, y in BIG), (
            f"big picture is {[peer.pixel(x, y) for x, y in BIG]}, not {want}"
        )
        return True

    await eventually(featured, timeout=timeout, interval=0.1)


async def test_the_hall_is_featured_until_the_chair_gives_a_remote_member_the_floor(media_server) -> None:
    c = hybrid_cabinet(media_server.db)
    hall_client, hall_http = await live_client(media_server.url, c.secretary.username)
    clients = [await live_client(media_server.url, m.username) for m in (c.members[0], c.members[1])]
    chair_http = await live_client(media_server.url, c.chair.username)
    hall = Peer(hall_client, c.meeting_id)
    watcher, speaker = (Peer(cl, c.meeting_id) for cl, _ in clients)
    muted: list[dict[str, Any]] = []
    widths: list[int] = []
    clients[1][0].sio.on("rtc:muted", lambda data: muted.append(data))
    clients[1][0].sio.on("rtc:publish", lambda data: widths.append(data["max_width"]))
    try:
        assert (await hall.join(BLUE, hall=True))["ok"]
        assert (await watcher.join(RED))["ok"]
        ack = await speaker.join(GREEN)
        assert ack["ok"] and ack["data"]["muted"]["audio"] is True  # no floor: joins muted
        assert ack["data"]["max_width"] == 320  # a small tile: its camera need not send more
        await asyncio.wait_for(watcher.got_frame.wait(), 15)
        await _featured(watcher, BLUE)
        # The others as tiles, once their first frames are in.
        await eventually(lambda: watcher.shows(RED, GREEN), "red and green tiles", timeout=30, interval=0.1)

        # The chair gives the floor to the member in green: they become the big picture, microphone open.
        r = await chair_http[1].post(f"/api/meetings/{c.meeting_id}/speakers", json={"user_id": c.members[1].id})
        assert r.status_code == 201, r.text
        await _featured(watcher, GREEN)
        await eventually(lambda: muted and muted[-1]["audio"] is False, "the speaker's microphone to open")
        assert muted[-1] == {"meeting_id": c.meeting_id, "audio": False, "video": False}
        assert widths[-1] == 1280  # the big picture: full size

        # The speech ends: the hall is the big picture again and the speaker's microphone closes.
        current = (await chair_http[1].get(f"/api/meetings/{c.meeting_id}/speakers")).json()["current"]
        assert current["user_id"] == c.members[1].id
        assert (await chair_http[1].post(f"/api/speakers/{current['id']}/finish")).status_code == 200
        await _featured(watcher, BLUE)
        await eventually(lambda: muted[-1]["audio"] is True, "the speaker's microphone to close")
        assert widths[-1] == 320
    finally:
        await close_all([hall, watcher, speaker], [(hall_client, hall_http), *clients, chair_http])
