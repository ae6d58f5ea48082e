"""The WebRTC input checked at the edge (realtime/media/sdpcheck.py): what browsers and aiortc send passes; what
is malformed is refused as the client's error (validation_failed) before any media worker sees it; and whatever
passes, aiortc's SDP parser reads without raising (compared on thousands of mutated browser offers). What aiortc
refuses when it applies an offer, and the logs, are tested end to end in tests/media/test_rtc_refusals.py."""

from __future__ import annotations

import logging
import os
import random

import pytest
from aiortc import RTCPeerConnection
from aiortc.codecs import CODECS
from aiortc.rtcpeerconnection import find_common_codecs
from aiortc.sdp import SessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from core.errors import ValidationFailed
from core.i18n import Msg, localize
from realtime.media.sdpcheck import MAX_SDP_CHARS, check_candidate, check_offer
from realtime.rtc_payloads import RtcCandidate, RtcJoin
from tests.sdp_offers import OFFERS, malformed, mutants
from web.http import validate

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
        "candidate:1 1 udp 1 1.2.3.4 ٥٠٠٠ typ host",  # digits int() reads, but not ASCII
        "candidate:1 1 udp 1 1.2.3.4 5000 typ host\r\na=x",
    ],
)
def test_a_malformed_candidate_is_refused(candidate: str) -> None:
    with pytest.raises(ValueError):
        check_candidate(candidate)


def test_a_candidate_must_name_its_section_as_aiortc_needs() -> None:
    line = BROWSER_CANDIDATES[2]
    for fine in ({"candidate": line, "sdpMid": "0"}, {"candidate": line, "sdpMLineIndex": 0}, {"candidate": ""}):
        validate(RtcCandidate, {"meeting_id": 1, "candidate": fine})
    for wrong in ({"candidate": line}, {"candidate": line, "sdpMid": "0 1"}, {"candidate": line, "sdpMid": "é"}):
        with pytest.raises(ValidationFailed):
            validate(RtcCandidate, {"meeting_id": 1, "candidate": wrong})


@pytest.mark.parametrize("name", sorted(OFFERS))
def test_offers_as_browsers_send_them_pass(name: str) -> None:
    assert check_offer(OFFERS[name]) == OFFERS[name]
    assert check_offer(OFFERS[name].replace("\r\n", "\n"))  # bare newlines, as aiortc reads them too


async def test_offers_from_a_real_aiortc_peer_pass_and_text_without_media_does_not() -> None:
    offers = []
    for publish in (False, True):
        pc = RTCPeerConnection()
        try:
            if publish:
                pc.addTrack(VideoStreamTrack())
                pc.addTrack(AudioStreamTrack())
            else:
                pc.addTransceiver("video", direction="recvonly")
                pc.addTransceiver("audio", direction="recvonly")
            offers.append((await pc.createOffer()).sdp)  # no setLocalDescription: nothing is gathered or sent
        finally:
            await pc.close()
    for sdp in offers:
        assert check_offer(sdp) == sdp
    for bogus in (
        "hello, this is not SDP",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",  # a session with no media: nothing would flow
        "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",  # data only
        "v=0\r\nm=audio nine RTP/AVP 0\r\n",
        offers[0].replace("v=0", "v=1", 1),
        offers[0] + "garbage line\r\n",
    ):
        with pytest.raises(ValueError):
            check_offer(bogus)


def test_each_refusal_says_what_is_wrong_in_both_languages() -> None:
    offer = OFFERS["chrome_120_publish"]
    cases = {
        offer.replace("a=setup:actpass", "a=setup:banana", 1): (
            "bản chào SDP có dòng 17 không hợp lệ",
            "the SDP offer has an invalid line 17",
        ),
        offer.replace("a=mid:0\r\n", "", 1): (
            "phần m= ở dòng 8 của bản chào SDP thiếu a=mid",
            "the m= section at line 8 of the SDP offer lacks a=mid",
        ),
        offer.replace("s=-", "s=Đ", 1): (
            "bản chào SDP có ký tự không được phép ở dòng 3",
            "the SDP offer has a character that is not allowed at line 3",
        ),
    }
    for sdp, (vi, en) in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            validate(RtcJoin, {"meeting_id": 1, "offer": {"sdp": sdp, "type": "offer"}})
        detail = caught.value.details[0]
        assert detail["field"] == "offer.sdp" and isinstance(detail["message"], Msg)
        assert localize(detail["message"], "vi") == vi and localize(detail["message"], "en") == en


def test_many_malformed_offers_each_get_a_validation_error_and_log_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """Truncated, huge, in the wrong order, with a broken line of every kind (bad fmtp, bogus candidates...),
    with control characters or characters beyond ASCII, missing or repeating a line: each is refused at the
    edge as the payload's error (422 validation_failed on offer.sdp), never raises anything else, logs nothing."""
    seen = 0
    with caplog.at_level(logging.DEBUG):
        for label, sdp in malformed(random.Random(20260705)):
            payload = {"meeting_id": 7, "offer": {"sdp": sdp, "type": "offer"}}
            with pytest.raises(ValidationFailed) as caught:
                validate(RtcJoin, payload)
            assert caught.value.code == "validation_failed", label
            assert caught.value.details[0]["field"] in ("offer.sdp", "offer"), (label, caught.value.details)
            seen += 1
    assert seen > 1000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_huge_offer_is_refused_by_its_size_before_it_is_parsed() -> None:
    sdp = OFFERS["chrome_120_publish"] + "a=x-pad:1\r\n" * (MAX_SDP_CHARS // 10)
    with pytest.raises(ValidationFailed) as caught:
        validate(RtcJoin, {"meeting_id": 1, "offer": {"sdp": sdp, "type": "offer"}})
    assert caught.value.details[0]["type"] == "string_too_long"
    with pytest.raises(ValueError):  # the check alone refuses it too
        check_offer(sdp)


def _aiortc_reads(sdp: str) -> None:
    """What aiortc does with an offer before it touches the network: parse it, check each section as
    RTCPeerConnection.setRemoteDescription does, find the track id and the codecs in common."""
    description = SessionDescription.parse(sdp)
    assert description.media
    for media in description.media:
        assert media.ice is not None and media.ice.usernameFragment and media.ice.password, "ICE credentials"
        assert media.rtcp_mux and media.dtls is not None and media.dtls.fingerprints, "rtcp-mux, DTLS"
        assert media.rtp.muxId is not None and media.direction is not None, "mid, direction"
        description.webrtc_track_id(media)
        find_common_codecs(CODECS[media.kind], media.rtp.codecs)


def test_whatever_passes_the_check_aiortcs_parser_reads_without_raising() -> None:
    """Thousands of offers mutated at random (lines dropped, doubled, moved, cut, words replaced by junk, junk lines
    added): each is refused by the check, or read by aiortc's parser without an exception. ECABINET_SDP_FUZZ=n runs
    n of them with a fresh seed."""
    runs = int(os.environ.get("ECABINET_SDP_FUZZ", "0"))
    rng = random.Random(random.randrange(2**32) if runs else 20260705)
    passed = refused = 0
    for sdp in mutants(rng, runs or 6000):
        try:
            check_offer(sdp)
        except ValueError as exc:
            assert isinstance(exc.args[0], Msg)  # a catalogue message, never a parser's own text
            refused += 1
            continue
        passed += 1
        _aiortc_reads(sdp)
    assert passed > 500 and refused > 500, (passed, refused)
