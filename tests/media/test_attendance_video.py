"""Attendance over the real rtc:join / rtc:leave signalling (issue 10): the chair checked in in the room who
presses "Chỉ xem và nghe" (a receive-only offer) stays in the room; a member checked in in the room who
takes part by video (sending camera and microphone) is remote from then on, and back when the video ends."""

from __future__ import annotations

import asyncio

from meetings import participation
from meetings.schemas import CheckInRequest
from tests.factories import call
from tests.live import live_client
from tests.media.peers import Peer, close_all
from tests.media.test_remote_media import GREEN, _attendance, hybrid_cabinet


async def test_watching_from_the_seat_keeps_the_room_and_taking_part_by_video_is_remote(media_server) -> None:
    c = hybrid_cabinet(media_server.db)
    for actor in (c.chair, c.members[0]):
        call(media_server.db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    chair, ch = await live_client(media_server.url, c.chair.username)
    member, mh = await live_client(media_server.url, c.members[0].username)
    watching, taking_part = Peer(chair, c.meeting_id), Peer(member, c.meeting_id)
    try:
        await member.join(c.meeting_id)
        assert (await watching.join(None))["ok"]  # receive only: "Chỉ xem và nghe"
        await asyncio.wait_for(watching.got_frame.wait(), 15)
        assert (await taking_part.join(GREEN))["ok"]
        await member.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
        rows = (await mh.get(f"/api/meetings/{c.meeting_id}/participants")).json()
        assert {p["user_id"]: p["attendance"] for p in rows}[c.chair.id] == "present_room"
        assert not any(_attendance(c.chair.id, "present_remote")(env) for env in member.events)
        snapshot = (await member.call("meeting:join", {"meeting_id": c.meeting_id}))["data"]["snapshot"]
        assert {p["user_id"]: p["attendance"] for p in snapshot["participants"]}[c.chair.id] == "present_room"
        assert (await chair.call("rtc:leave", {"meeting_id": c.meeting_id}))["ok"]
        assert (await member.call("rtc:leave", {"meeting_id": c.meeting_id}))["ok"]
        await member.wait_for(_attendance(c.members[0].id, "present_room"), timeout=10)
        history = (await mh.get(f"/api/meetings/{c.meeting_id}/attendance/history")).json()
        assert [(h["user_id"], h["attendance"], h["source"]) for h in history] == [
            (c.chair.id, "present_room", "check_in"),
            (c.members[0].id, "present_room", "check_in"),
            (c.members[0].id, "present_remote", "video_join"),
            (c.members[0].id, "present_room", "video_leave"),
        ]
    finally:
        await close_all([watching, taking_part], [(chair, ch), (member, mh)])
