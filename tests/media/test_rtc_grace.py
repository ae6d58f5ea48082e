"""A remote participant whose socket drops (tablet reload, network change) without rtc:leave: their media
session waits rtc_grace_seconds (2 s here) for an rtc:resume or rtc:join from a new socket, then ends as
by rtc:leave.
The peer connection itself stays up in these tests, so only the socket's grace can end it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.live import LiveClient, live_client
from tests.media.peers import Peer, near
from tests.media.test_remote_media import GREEN, RED, _attendance, hybrid_cabinet
from tests.waiting import eventually


async def _attendance_seen(http: Any, meeting_id: int, user_id: int) -> str:
    """The participant's attendance as the REST API shows it to that user."""
    r = await http.get(f"/api/meetings/{meeting_id}/participants")
    assert r.status_code == 200, r.text
    return next(p["attendance"] for p in r.json() if p["user_id"] == user_id)


async def _hosted(server: Any, meeting_id: int) -> int:
    """How many peers the media worker hosts in the meeting's room."""
    stats = await server.app.state.remote.workers.request(meeting_id, "stats")
    return int(stats.get(str(meeting_id), {}).get("participants", 0))


async def _close(*clients: tuple[LiveClient, Any]) -> None:
    for client, http in clients:
        await client.close()
        if http is not None:
            await http.aclose()


async def _remote_member(server: Any):
    """A hybrid meeting, the chair watching it, and a member attending remotely (socket + media)."""
    c = hybrid_cabinet(server.db)
    watcher, wh = await live_client(server.url, c.chair.username)
    await watcher.join(c.meeting_id)
    member, mh = await live_client(server.url, c.members[0].username)
    peer = Peer(member, c.meeting_id)
    assert (await peer.join(RED))["ok"]
    await asyncio.wait_for(peer.got_frame.wait(), 15)
    await watcher.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
    return c, (watcher, wh), (member, mh), peer


async def test_a_dropped_socket_ends_the_remote_session_after_the_grace_period(media_server) -> None:
    grace = media_server.settings.rtc_grace_seconds
    c, (watcher, wh), (member, mh), peer = await _remote_member(media_server)
    me = c.members[0].id
    other = LiveClient(media_server.url, mh.cookies["ecabinet_session"])  # the same member in a second tab
    try:
        await other.connect()
        assert (await other.join(c.meeting_id))["ok"]
        sid = other.sio.get_sid()
        assert sid in media_server.app.state.actions.actors
        await other.close()  # a socket without the media session: the session is not touched
        await eventually(
            lambda: sid not in media_server.app.state.actions.actors, "the server to let the second tab go"
        )
        assert not media_server.app.state.remote.grace and me in {k[1] for k in media_server.app.state.remote.sessions}
        dropped_at = time.monotonic()
        await member.sio.disconnect()  # the socket goes; no rtc:leave, the peer connection stays up
        await asyncio.sleep(grace / 4)  # a timer: a quarter of the grace period
        assert await _attendance_seen(mh, c.meeting_id, me) == "present_remote"  # inside the grace: nothing yet
        assert await _hosted(media_server, c.meeting_id) == 1
        await watcher.wait_for(_attendance(me, "unknown"), timeout=grace + 10)
        assert time.monotonic() - dropped_at >= grace * 0.9
        assert await _attendance_seen(mh, c.meeting_id, me) == "unknown"
        assert await _hosted(media_server, c.meeting_id) == 0
        assert not media_server.app.state.remote.sessions and not media_server.app.state.remote.grace
    finally:
        await peer.close()
        await _close((other, None), (member, mh), (watcher, wh))


async def test_a_participant_who_rejoins_from_a_new_socket_within_the_grace_stays_present(media_server) -> None:
    grace = media_server.settings.rtc_grace_seconds
    c, (watcher, wh), (member, mh), peer = await _remote_member(media_server)
    me = c.members[0].id
    again = LiveClient(media_server.url, mh.cookies["ecabinet_session"])  # the reloaded page, same login
    ended: list[dict[str, Any]] = []
    again.sio.on("rtc:ended", lambda data: ended.append(data))
    member.sio.on("rtc:ended", lambda data: ended.append(data))
    second = Peer(again, c.meeting_id)
    try:
        await member.sio.disconnect()
        await asyncio.sleep(grace / 4)  # a timer: back within the grace period
        await again.connect()
        ack = await second.join(GREEN)
        assert ack["ok"], ack
        assert "127.0.0.1" in ack["data"]["answer"]["sdp"]
        await asyncio.wait_for(second.got_frame.wait(), 15)
        # The session is this socket's now: its own controls work.
        assert (await again.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]
        await asyncio.sleep(grace * 1.5)  # well past when the old socket's grace would have ended it
        assert await _attendance_seen(mh, c.meeting_id, me) == "present_remote"
        assert not any(_attendance(me, "unknown")(env) for env in watcher.events)
        assert ended == []
        assert await _hosted(media_server, c.meeting_id) == 1  # the new connection replaced the old one
        assert not media_server.app.state.remote.grace
        await second.frames_after(10)
        grid = second.grid()
        assert any(near(p, GREEN) for p in grid) and not any(near(p, RED) for p in grid)
    finally:
        await second.close()
        await peer.close()
        await _close((again, None), (member, mh), (watcher, wh))


async def test_a_socket_that_comes_back_resumes_the_live_media_session_without_rejoining(media_server) -> None:
    grace = media_server.settings.rtc_grace_seconds
    c, (watcher, wh), (member, mh), peer = await _remote_member(media_server)
    me = c.members[0].id
    again = LiveClient(
        media_server.url, mh.cookies["ecabinet_session"]
    )  # the socket reconnects; the video never stopped
    outsider, oh = await live_client(media_server.url, c.outsider.username)
    try:
        await member.sio.disconnect()
        await asyncio.sleep(grace / 4)  # a timer: back within the grace period
        await again.connect()
        assert (await again.call("rtc:resume", {"meeting_id": c.meeting_id}))["data"] == {"resumed": True}
        assert not media_server.app.state.remote.grace
        # The session answers to the new socket, and the same peer connection keeps receiving.
        assert (await again.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]
        await asyncio.sleep(grace * 1.5)  # well past when the old socket's grace would have ended it
        assert await _attendance_seen(mh, c.meeting_id, me) == "present_remote"
        assert not any(_attendance(me, "unknown")(env) for env in watcher.events)
        await peer.frames_after(10)
        assert await _hosted(media_server, c.meeting_id) == 1
        # Nothing to resume for someone who never joined by video; someone not invited is refused.
        nothing = await watcher.call("rtc:resume", {"meeting_id": c.meeting_id})
        assert nothing["ok"] and nothing["data"] == {"resumed": False}
        refused = await outsider.call("rtc:resume", {"meeting_id": c.meeting_id})
        assert not refused["ok"] and refused["error"]["code"] in ("forbidden", "not_found")
    finally:
        await peer.close()
        await _close((again, None), (member, mh), (watcher, wh), (outsider, oh))
