"""The only places the MCU reaches into aiortc / aioice internals (aiortc==1.16.0, aioice 0.13 pinned).

1. Keyframe requests on packet tracks: RTCRtpSender._handle_rtcp_packet calls self._send_keyframe() on a
   viewer's PLI/FIR, which only sets a flag its own encoder reads; for a track that yields av.Packet that
   flag is never used. `watch_sender` replaces `_send_keyframe` on that one sender instance and counts the
   viewer's RTCP feedback (loss, NACK, PLI) so the room can route keyframes and pick a quality layer.
2. Host candidates: aioice offers every non-loopback interface address (aioice.ice.get_host_addresses)
   and has no option to choose; `limit_host_addresses` makes it offer exactly the configured addresses.

tests/media/test_hooks.py fails loudly if a new aiortc/aioice changes either."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import aioice.ice
from aiortc import RTCRtpSender
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
)


@dataclass
class Feedback:
    """What one viewer's receiver told us about the stream we send it."""

    nacks: int = 0
    plis: int = 0
    fraction_lost: int = 0  # last report, 0..255
    reports: int = 0


def check_internals() -> None:
    """Raise if the aiortc internals this module relies on are gone (called at worker start and by tests)."""
    for name in ("_send_keyframe", "_handle_rtcp_packet"):
        if not callable(getattr(RTCRtpSender, name, None)):
            raise RuntimeError(f"aiortc changed: RTCRtpSender.{name} is missing; see realtime/media/hooks.py")
    if not callable(getattr(aioice.ice, "get_host_addresses", None)):
        raise RuntimeError("aioice changed: aioice.ice.get_host_addresses is missing; see realtime/media/hooks.py")


def watch_sender(sender: RTCRtpSender, on_keyframe: Callable[[], None]) -> Feedback:
    """Route this sender's PLI/FIR to `on_keyframe` and count its RTCP feedback."""
    feedback = Feedback()
    original = sender._handle_rtcp_packet
    ssrc = sender._ssrc

    async def handle(packet: Any) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            feedback.nacks += len(packet.lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_FIR, RTCP_PSFB_PLI):
            feedback.plis += 1
        elif isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for report in packet.reports:
                if report.ssrc == ssrc:
                    feedback.fraction_lost = report.fraction_lost
                    feedback.reports += 1
        await original(packet)

    sender._handle_rtcp_packet = handle  # type: ignore[method-assign]
    sender._send_keyframe = on_keyframe  # type: ignore[method-assign]
    return feedback


def limit_host_addresses(addresses: Sequence[str]) -> None:
    """Make aioice offer exactly `addresses` as host candidates (process-wide; empty = aioice's default)."""
    if not addresses:
        return
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses
