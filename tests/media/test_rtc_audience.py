"""A remote participant who loses the meeting (removed from it) loses their media session at once: an
access-changing event re-authorises every media session of the meeting (realtime/rtc.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from meetings import services
from meetings.models import MeetingMode
from meetings.schemas import MeetingUpdate
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.media.peers import Peer
from tests.media.test_remote_media import RED
from tests.waiting import eventually


async def test_a_participant_removed_while_attending_remotely_is_cut_off(media_server) -> None:
    c = make_cabinet(media_server.db)  # published, not started: participants may still be removed
    call(
        media_server.db,
        services.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(mode=MeetingMode.hybrid),
    )
    member, mh = await live_client(media_server.url, c.members[0].username)
    ended: list[dict[str, Any]] = []
    member.sio.on("rtc:ended", ended.append)
    peer = Peer(member, c.meeting_id)
    staff = await login(media_server.url, c.staff.username)
    try:
        assert (await peer.join(RED))["ok"]
        await asyncio.wait_for(peer.got_frame.wait(), 15)
        r = await staff.delete(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}")
        assert r.status_code == 204, r.text
        await eventually(lambda: ended, "rtc:ended")
        assert ended == [{"meeting_id": c.meeting_id, "reason": "access_revoked"}]
        assert not any(key[1] == c.members[0].id for key in media_server.app.state.remote.sessions)
    finally:
        await peer.close()
        await member.close()
        await mh.aclose()
        await staff.aclose()
