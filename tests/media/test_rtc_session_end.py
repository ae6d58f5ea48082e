"""A remote participant whose login session ends (logout, the account locked by the administrator, or locked where
only the socket's next check notices it: SocketActions.still) loses the meeting's media at once: their socket
closes, and so does their media session, with no reconnect grace (rtc_grace_seconds, 15 s here). A socket that
merely drops (a network change) keeps the grace. Real aiortc peers (receive-only), loopback only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlmodel import select

from accounts.models import GlobalRole, User
from tests.factories import make_user
from tests.live import LiveClient, live_client, login
from tests.media.peers import Peer
from tests.media.test_remote_media import _attendance, hybrid_cabinet
from tests.media.test_rtc_grace import _attendance_seen, _hosted
from tests.waiting import eventually

GRACE = 15.0
AT_ONCE = 3.0  # "at once": well inside the grace


@pytest.fixture
def media_settings(media_settings):  # the conftest's, with a grace long enough to tell "at once" from it
    return media_settings.with_(rtc_grace_seconds=GRACE)


async def _remote(server: Any, username: str, meeting_id: int) -> tuple[LiveClient, Any, Peer]:
    client, http = await live_client(server.url, username)
    peer = Peer(client, meeting_id)
    ack = await peer.join(None)  # watching only: the composite and the mix
    assert ack["ok"], ack
    await asyncio.wait_for(peer.got_frame.wait(), 15)
    return client, http, peer


async def _media_stops(peer: Peer) -> None:
    """No more frames reach the peer (a frame already on its way may still land)."""

    async def still_flowing() -> bool:
        before = peer.video_frames
        await asyncio.sleep(0.5)
        return peer.video_frames > before

    deadline = time.monotonic() + AT_ONCE
    while await still_flowing():
        assert time.monotonic() < deadline, "the media kept flowing after the login session ended"


async def test_an_ended_login_session_ends_the_remote_media_at_once_a_dropped_socket_keeps_the_grace(
    media_server: Any,
) -> None:
    assert media_server.settings.rtc_grace_seconds == GRACE
    c = hybrid_cabinet(media_server.db)
    mid = c.meeting_id
    admin = await login(media_server.url, make_user(media_server.db, GlobalRole.admin).username)
    watcher, wh = await live_client(media_server.url, c.chair.username)
    await watcher.join(mid)
    out, locked, expired, dropped = c.members[:4]
    people = {m.id: await _remote(media_server, m.username, mid) for m in (out, locked, expired, dropped)}
    for uid in people:
        await watcher.wait_for(_attendance(uid, "present_remote"), timeout=10)
    assert await _hosted(media_server, mid) == 4
    remote = media_server.app.state.remote
    try:
        # denied at once: logout (SocketActions.end_session)
        at = time.monotonic()
        assert (await people[out.id][1].post("/api/auth/logout")).status_code == 200
        await watcher.wait_for(_attendance(out.id, "unknown"), timeout=AT_ONCE + 2)
        assert time.monotonic() - at < AT_ONCE
        await _media_stops(people[out.id][2])
        assert not people[out.id][0].sio.connected

        # denied at once: the administrator locks the account (its sessions end: end_session)
        at = time.monotonic()
        r = await admin.patch(f"/api/users/{locked.id}", json={"is_active": False})
        assert r.status_code == 200, r.text
        await watcher.wait_for(_attendance(locked.id, "unknown"), timeout=AT_ONCE + 2)
        assert time.monotonic() - at < AT_ONCE
        await _media_stops(people[locked.id][2])

        # denied at once: locked behind the app's back (the CLI, another node): the socket's next event finds the
        # session ended (SocketActions.still) and closes it
        with media_server.db.write_session() as s:
            user = s.exec(select(User).where(User.id == expired.id)).one()
            user.is_active = False
            s.add(user)
            s.commit()
        at = time.monotonic()
        refused = await people[expired.id][0].call("meeting:sync", {"meeting_id": mid, "since": 0})
        assert not refused["ok"] and refused["error"]["code"] == "unauthenticated"
        await watcher.wait_for(_attendance(expired.id, "unknown"), timeout=AT_ONCE + 2)
        assert time.monotonic() - at < AT_ONCE
        await _media_stops(people[expired.id][2])
        await eventually(lambda: not remote.grace, "the ended sessions' leaves to finish", timeout=AT_ONCE)
        assert await _hosted(media_server, mid) == 1

        # allowed the grace: a socket that drops (no rtc:leave) keeps its media session, which keeps flowing
        await people[dropped.id][0].sio.disconnect()
        await eventually(lambda: remote.grace, "the dropped socket's grace to start")
        await asyncio.sleep(AT_ONCE + 1)  # longer than any ended session above took
        assert await _attendance_seen(people[dropped.id][1], mid, dropped.id) == "present_remote"
        assert not any(_attendance(dropped.id, "unknown")(env) for env in watcher.events)
        assert await _hosted(media_server, mid) == 1
        await people[dropped.id][2].frames_after(5)
        assert {k[1] for k in remote.sessions} == {dropped.id}
    finally:
        for client, http, peer in people.values():
            await peer.close()
            await client.close()
            await http.aclose()
        await watcher.close()
        await wh.aclose()
        await admin.aclose()
