"""The WebRTC input checked at the edge (realtime/media/sdpcheck.py): what browsers and aiortc send passes; what
aiortc's parsers would choke on (or accept as a session with no media) is refused as the client's error."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection

from realtime.media.sdpcheck import check_candidate, check_offer

BROWSER_CANDIDATES = [
    "candidate:842163049 1 udp 1677729535 203.0.113.7 54550 typ srflx raddr 0.0.0.0 rport 0 generation 0 "
    "ufrag sXP5 network-cost 999",
    "candidate:1 1 udp 2122260223 3b8c6f1e-8a0b-4c53-9d7e-2f7f1e0a9c11.local 50000 typ host generation 0 "
    "ufrag Xy12 network-id 1",
    "candidate:0 1 UDP 2122252543 192.168.1.2 49203 typ host",  # Firefox: transport in capitals
    "candidate:3 1 tcp 1518280447 fe80::1%eth0 9 typ host tcptype active generation 0",
    "candidate:4 2 udp 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 54550",
    "",  # the end of candidates
]


@pytest.mark.parametrize("candidate", BROWSER_CANDIDATES)
def test_what_browsers_send_passes(candidate: str) -> None:
    assert check_candidate(candidate) == candidate


@pytest.mark.parametrize(
    "candidate",
    [
        "hello",
        "candidate:1 1 udp 1 1.2.3.4 notanumber typ host",
        "candidate:1 1 udp 1 1.2.3.4 5000 typ",
        "candidate:1 0 udp 1 1.2.3.4 5000 typ host",
        "candidate:1 1 sctp 1 1.2.3.4 5000 typ host",
        "candidate:1 1 udp 1 1.2.3.4 70000 typ host",
        "candidate:1 1 udp 1 1.2.3.4 5000 type host",
        "candidate:1 1 udp 1 1.2.3.4 5000 typ nat",
        "candidate:1 1 udp 1 1.2.3.4 5000 typ host rport x",
        "candidate:1 1 udp 1 1.2.3.4 5000 typ host raddr",
        "candidate:1 1 udp 99999999999 1.2.3.4 5000 typ host",
        "candidate:1 1 udp 1 <script> 5000 typ host",
    ],
)
def test_a_malformed_candidate_is_refused(candidate: str) -> None:
    with pytest.raises(ValueError):
        check_candidate(candidate)


async def test_an_offer_from_a_real_peer_passes_and_text_without_media_does_not() -> None:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        offer = await pc.createOffer()
    finally:
        await pc.close()
    assert check_offer(offer.sdp) == offer.sdp
    for bogus in (
        "hello, this is not SDP",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",  # a session with no media: nothing would flow
        "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",  # data only
        "v=0\r\nm=audio nine RTP/AVP 0\r\n",
        offer.sdp.replace("v=0", "v=1", 1),
        offer.sdp + "garbage line\r\n",
    ):
        with pytest.raises(ValueError):
            check_offer(bogus)
