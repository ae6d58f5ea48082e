"""What the media server would not take is the client's error, end to end (finding F6): a malformed offer is refused
at the edge; an offer aiortc refuses although it passed the edge (no codec in common) is answered validation_failed
too, logged once at INFO without a traceback, never as a media server outage; the worker keeps no trace of it and
serves the next join. Runs in a loopback-only namespace (tests/media/netns.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from realtime.media.config import MediaConfig, RoomConfig
from realtime.media.room import Refused, Room
from realtime.media.sdpcheck import check_candidate, check_offer
from tests.live import live_client
from tests.media.peers import Peer, close_all
from tests.media.test_remote_media import GREEN, _attendance, hybrid_cabinet
from tests.sdp_offers import OFFERS, malformed, mutants


async def _aiortc_offer() -> str:
    """A real peer's offer, its candidates gathered (127.0.0.1 only) and ended with a=end-of-candidates."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="recvonly")
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


def _without_common_codec(sdp: str) -> str:
    """The same offer, each section offering only a codec aiortc lacks: well formed, and nothing to answer with."""
    out, codec = [], ""
    for line in sdp.split("\r\n"):
        if line.startswith("m="):
            codec = "9 G722/8000" if line.startswith("m=audio") else "100 H265/90000"
            out.append(" ".join(line.split(" ")[:3] + [codec.split(" ")[0]]))
        elif line.startswith("a=rtpmap:") and codec:
            out.append(f"a=rtpmap:{codec}")  # in the place of the section's first codec
            codec = ""
        elif not line.startswith(("a=rtpmap:", "a=fmtp:", "a=rtcp-fb:")):
            out.append(line)
    return "\r\n".join(out)


def _no_errors(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    """Nothing logged as an error, here or in the media worker process (its stderr is ours)."""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    out, err = capfd.readouterr()
    assert "ERROR" not in err and "Traceback" not in err and "Traceback" not in out, err[-3000:]


async def test_offers_and_candidates_the_media_server_refuses_are_the_clients_error(
    media_server, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    c = hybrid_cabinet(media_server.db)
    (member, mh), (chair, ch) = [await live_client(media_server.url, u.username) for u in (c.members[0], c.chair)]
    peer = Peer(member, c.meeting_id)
    mid = c.meeting_id
    try:
        await chair.join(mid)
        caplog.set_level(logging.INFO)
        # malformed: refused at the edge, before any worker
        for label, sdp in list(malformed(random.Random(5), per_kind=2))[::40]:
            ack = await member.call("rtc:join", {"meeting_id": mid, "offer": {"sdp": sdp, "type": "offer"}})
            assert ack["ok"] is False and ack["error"]["code"] == "validation_failed", (label, ack)
        # well formed, but aiortc has no codec in common with it: the worker's refusal, answered the same way
        offer = await _aiortc_offer()
        nothing_to_answer = _without_common_codec(offer)
        assert check_offer(nothing_to_answer)
        for _ in range(2):
            ack = await member.call(
                "rtc:join", {"meeting_id": mid, "offer": {"sdp": nothing_to_answer, "type": "offer"}}
            )
            assert ack["ok"] is False and ack["error"]["code"] == "validation_failed", ack
            assert ack["error"]["details"][0]["field"] == "offer.sdp"
            assert ack["error"]["details"][0]["type"] == "media_refused"
        assert not (await member.call("rtc:mute", {"meeting_id": mid, "audio": False}))["ok"]  # no session kept
        # a refused rejoin ends the session it would have replaced (the worker let go of it): attendance follows
        assert (await peer.join(GREEN))["ok"]
        await chair.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
        ack = await member.call("rtc:join", {"meeting_id": mid, "offer": {"sdp": nothing_to_answer, "type": "offer"}})
        assert ack["error"]["code"] == "validation_failed"
        await chair.wait_for(_attendance(c.members[0].id, "unknown"), timeout=10)  # as before the video
        assert (await member.call("rtc:mute", {"meeting_id": mid, "audio": False}))["error"]["code"] == "not_joined"
        # the worker is whole: a new join works and is answered
        again = Peer(member, mid)
        try:
            assert (await again.join(None))["ok"]
        finally:
            await again.close()
        said = [r for r in caplog.records if "refused by the media server" in r.getMessage()]
        assert len(said) == 3 and all(r.levelno == logging.INFO and r.exc_info is None for r in said), said
        _no_errors(caplog, capfd)
    finally:
        await close_all([peer], [(member, mh), (chair, ch)])


async def test_whatever_passes_the_edge_a_room_answers_or_refuses_as_the_clients_error(
    media_settings, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """The media worker's room, in this process, given browser offers and hundreds of mutants that pass the edge's
    check, and candidates that pass it: each is answered or refused (Refused), nothing else is raised or logged as an
    error, no task fails in the background, and nothing of a refused join stays in the room."""
    loop = asyncio.get_running_loop()
    failures: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: failures.append(context))
    room = Room(1, RoomConfig(), MediaConfig().rtc_configuration())
    answered = refused = 0
    others: set[asyncio.Task[Any]] = set()
    rng = random.Random(20260705)
    try:
        offers = [*OFFERS.values(), await _aiortc_offer(), _without_common_codec(OFFERS["chrome_120_publish"])]
        offers += mutants(rng, 2500)
        checked = []
        for sdp in offers:
            try:
                checked.append(check_offer(sdp))
            except ValueError:
                pass
        assert len(checked) > 400
        for sdp in checked[:450]:
            try:
                await asyncio.wait_for(room.join(user_id=5, label="x", offer={"sdp": sdp, "type": "offer"}), 20)
                answered += 1
            except Refused:
                refused += 1
                assert "5" not in room.participants and "5" not in room.compositor.sources
        await room.join(user_id=5, label="x", offer={"sdp": OFFERS["chrome_120_publish"], "type": "offer"})
        for candidate in _candidates(rng, 300):
            try:
                await room.add_candidate("5", {"candidate": candidate, "sdpMid": rng.choice(("0", "1", "x"))})
            except Refused:
                refused += 1
        with pytest.raises(Refused):  # what the edge would refuse, reaching the room: refused, not a crash
            await room.add_candidate("5", {"candidate": "candidate:1 1 udp x 10.0.0.1 9 typ host", "sdpMid": "0"})
        await room.leave("5")
    finally:
        await room.close()
        others = asyncio.all_tasks() - {asyncio.current_task()}
        if others:  # what the peer connections started in the background: ended, and none failed
            await asyncio.wait(others, timeout=20)
        gc.collect()  # a failed task nobody awaited is reported when it is collected
        loop.set_exception_handler(None)
    assert answered > 300 and refused > 0, (answered, refused)
    assert room.idle and not failures, failures
    assert not [t for t in others if t.done() and not t.cancelled() and t.exception() is not None]
    _no_errors(caplog, capfd)


def _candidates(rng: random.Random, n: int) -> list[str]:
    """Candidates that pass the edge's check, some of them odd (host names, relayed, tcp, extensions)."""
    hosts = ["127.0.0.1", "10.0.0.9", "::1", "fe80::1%lo", "a1b2c3d4-0000-4000-8000-000000000000.local", "x.invalid"]
    out: list[str] = []
    while len(out) < n:
        line = (
            f"candidate:{rng.randrange(10**6)} {rng.choice((1, 2))} {rng.choice(('udp', 'tcp', 'UDP'))} "
            f"{rng.randrange(2**32)} {rng.choice(hosts)} {rng.randrange(65536)} typ "
            f"{rng.choice(('host', 'srflx', 'prflx', 'relay'))}"
            + rng.choice(("", " raddr 0.0.0.0 rport 0", " tcptype passive", " generation 0 network-cost 999"))
        )
        out.append(check_candidate(line))
    return out
