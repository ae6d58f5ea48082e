"""rtc:* permission pairs over the real socket: who gets an answer, who may mute or end someone else."""

from __future__ import annotations

from meetings.models import MeetingMode
from tests.live import live_client
from tests.media.peers import Peer
from tests.media.test_remote_media import _attendance, hybrid_cabinet
from tests.sdp_offers import OFFERS
from tests.waiting import eventually


async def test_a_user_not_invited_gets_no_answer_an_invited_member_does(media_server) -> None:
    c = hybrid_cabinet(media_server.db)
    (outsider, oh), (member, mh) = [await live_client(media_server.url, u.username) for u in (c.outsider, c.members[0])]
    peers = [Peer(outsider, c.meeting_id), Peer(member, c.meeting_id)]
    try:
        denied = await peers[0].join(None)
        # not invited: the meeting answers as absent (meetings/access.py NotInvited), and no SDP answer
        assert denied["ok"] is False and denied["error"]["code"] == "not_found" and "answer" not in str(denied)
        early = await outsider.call(
            "rtc:candidate",
            {"meeting_id": c.meeting_id, "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}},
        )
        assert early["ok"] is False
        offer = {"sdp": OFFERS["chrome_120_watch_only"], "type": "offer"}  # well formed: refused for who sends it
        hall = await member.call("rtc:join", {"meeting_id": c.meeting_id, "hall": True, "offer": offer})
        assert hall["ok"] is False and hall["error"]["code"] == "forbidden"  # the hall camera: those who conduct
        # text that is no SDP is the client's error: refused before the media server, no attendance recorded
        bogus = {"sdp": "hello, this is not SDP", "type": "offer"}
        refused = await member.call("rtc:join", {"meeting_id": c.meeting_id, "offer": bogus})
        assert refused["ok"] is False and refused["error"]["code"] == "validation_failed", refused
        allowed = await peers[1].join(None)
        assert allowed["ok"] and allowed["data"]["answer"]["type"] == "answer"
        assert allowed["data"]["muted"] == {"audio": True, "video": False}  # no floor: muted by default
        junk = {"candidate": "candidate:1 1 udp 1 127.0.0.1 notaport typ host"}
        bad = await member.call("rtc:candidate", {"meeting_id": c.meeting_id, "candidate": junk})
        assert bad["ok"] is False and bad["error"]["code"] == "validation_failed", bad
    finally:
        for peer in peers:
            await peer.close()
        for cl, h in ((outsider, oh), (member, mh)):
            await cl.close()
            await h.aclose()


async def test_a_guest_joins_only_when_invited_to_remote_attendance(media_server) -> None:
    in_room = hybrid_cabinet(media_server.db, MeetingMode.in_room)
    hybrid = hybrid_cabinet(media_server.db)
    (g1, h1), (g2, h2) = [await live_client(media_server.url, c.guest.username) for c in (in_room, hybrid)]
    peers = [Peer(g1, in_room.meeting_id), Peer(g2, hybrid.meeting_id)]
    try:
        refused = await peers[0].join(None)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
        assert "trực tuyến" in refused["error"]["message"]
        ok = await peers[1].join(None)
        assert ok["ok"], ok
    finally:
        for peer in peers:
            await peer.close()
        for cl, h in ((g1, h1), (g2, h2)):
            await cl.close()
            await h.aclose()


async def test_chair_only_controls_refuse_members_and_work_for_the_chair(media_server) -> None:
    c = hybrid_cabinet(media_server.db)
    (target, th), (other, oh), (chair, ch) = [
        await live_client(media_server.url, u.username) for u in (c.members[0], c.members[1], c.chair)
    ]
    await chair.join(c.meeting_id)
    notices: list[tuple[str, dict]] = []
    target.sio.on("rtc:muted", lambda data: notices.append(("muted", data)))
    target.sio.on("rtc:ended", lambda data: notices.append(("ended", data)))
    peer = Peer(target, c.meeting_id)
    try:
        assert (await peer.join((200, 200, 0)))["ok"]
        assert (await target.call("rtc:mute", {"meeting_id": c.meeting_id, "audio": False}))["ok"]
        await chair.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
        ref = {"meeting_id": c.meeting_id, "user_id": c.members[0].id}
        for event in ("rtc:mute_participant", "rtc:remove_participant"):
            denied = await other.call(event, ref)
            assert denied["ok"] is False and denied["error"]["code"] == "forbidden", denied
        muted = await chair.call("rtc:mute_participant", ref)
        assert muted == {"ok": True, "data": {"muted": True}}
        removed = await chair.call("rtc:remove_participant", ref)
        assert removed == {"ok": True, "data": {"removed": True}}
        await chair.wait_for(_attendance(c.members[0].id, "unknown"), timeout=10)
        await eventually(lambda: any(kind == "ended" for kind, _ in notices), "rtc:ended")
        assert ("ended", {"meeting_id": c.meeting_id, "reason": "removed"}) in notices
        assert any(kind == "muted" and d["audio"] is True for kind, d in notices)
    finally:
        await peer.close()
        for cl, h in ((target, th), (other, oh), (chair, ch)):
            await cl.close()
            await h.aclose()
