"""Quality layers, at the Room: a real Room with one real viewer (an aiortc peer over loopback, inside the
network namespace). What the viewer's RTCP would report (loss, NACKs, PLIs) is written on its Feedback,
and Room.check_quality (every `quality_every`) must move it to the "low" layer at once and back to "high"
after 5 clean checks, telling the worker ("layer" event, which the web process forwards as rtc:layer) and switching the
packets the viewer actually decodes."""

from __future__ import annotations

import asyncio
from typing import Any

from av import VideoFrame
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from infra.settings import Settings
from realtime.media.config import RoomConfig
from realtime.media.participant import Participant
from realtime.media.room import Room
from tests.waiting import eventually

MEETING, VIEWER = 41, 7
EVERY = 0.05  # seconds between quality checks here (2 s in production)
CONFIG = RoomConfig(
    width=320,
    height=180,
    low_width=160,
    low_height=90,
    fps=10,
    bitrate=300_000,
    low_bitrate=100_000,
    keyframe_interval=0.2,
    mute_without_floor=True,
    quality_every=EVERY,
)


class Viewer:
    """A receive-only remote participant that records the size of every picture it decodes."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.widths: list[int] = []
        self.tasks: list[asyncio.Task[Any]] = []

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self.tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)  # a video track's
                self.widths.append(frame.width)
        except MediaStreamError:
            pass

    async def join(self, room: Room) -> None:
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        answer = await room.join(user_id=VIEWER, label="Người xem", offer=offer)
        await self.pc.setRemoteDescription(RTCSessionDescription(**answer))

    async def decodes(self, width: int) -> None:
        """Pictures of `width` arrive (and keep arriving)."""
        mark = len(self.widths)
        await eventually(
            lambda: self.widths[mark:].count(width) >= 3, f"3 pictures {width} wide", timeout=15, interval=0.01
        )

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


async def test_a_weak_viewer_moves_to_the_low_layer_and_back_after_five_clean_checks(
    media_settings: Settings,
) -> None:
    layer_events: list[tuple[dict[str, Any], int]] = []
    room: Room

    def notify(event: dict[str, Any]) -> None:  # what the worker forwards to the web process
        if event["event"] == "layer":
            layer_events.append((event, room.participants[str(VIEWER)].clean_checks))

    room = Room(MEETING, CONFIG, RTCConfiguration(iceServers=[]), notify)
    viewer = Viewer()
    try:
        await viewer.join(room)
        p: Participant = room.participants[str(VIEWER)]
        high, low = room.layers["high"], room.layers["low"]
        await eventually(lambda: p.pc.connectionState == "connected", interval=0.01)
        assert p.feedback is not None and p.video_out is not None
        assert p.layer is high and p.video_out in high.viewers
        await viewer.decodes(CONFIG.width)
        fb = p.feedback

        def layers() -> list[str]:
            return [event["layer"] for event, _ in layer_events]

        # Loss (>= 20/256) in the receiver reports: low at the next check; the viewer decodes the low layer.
        async def keep_reporting_loss() -> None:  # rewritten faster than the checks run: the viewer's own
            while True:  # RTCP reports (no loss on loopback) must not clear it between two checks
                fb.fraction_lost = 64
                await asyncio.sleep(EVERY / 10)

        lossy = asyncio.ensure_future(keep_reporting_loss())
        await eventually(lambda: p.layer is low, interval=0.01)
        assert p.video_out in low.viewers and p.video_out not in high.viewers
        assert layer_events[0] == ({"event": "layer", "meeting_id": MEETING, "user_id": VIEWER, "layer": "low"}, 0)
        await viewer.decodes(CONFIG.low_width)
        await asyncio.sleep(EVERY * 4)  # four checks: a link that stays weak changes nothing there is to await
        assert layers() == ["low"]  # staying weak does not repeat the event
        lossy.cancel()

        # A clean link: back to high only after 5 clean checks in a row.
        fb.fraction_lost = 0
        await eventually(lambda: p.layer is high, interval=0.01)
        assert layer_events[1] == ({"event": "layer", "meeting_id": MEETING, "user_id": VIEWER, "layer": "high"}, 5)
        assert p.video_out in high.viewers and p.video_out not in low.viewers
        await viewer.decodes(CONFIG.width)

        # A little noise is not weak: up to 10 new NACKs, one PLI, loss under 20/256.
        checked = p.clean_checks
        fb.nacks += 10
        fb.plis += 1
        fb.fraction_lost = 10
        await eventually(lambda: p.clean_checks >= checked + 2, "two checks since the noise, both clean", interval=0.01)
        assert layers() == ["low", "high"] and p.layer is high
        fb.fraction_lost = 0

        # A burst of NACKs, then of PLIs (counters only grow; each check looks at what is new).
        fb.nacks += 40
        await eventually(lambda: p.layer is low, interval=0.01)
        await eventually(lambda: p.layer is high, interval=0.01)
        fb.plis += 2
        await eventually(lambda: p.layer is low, interval=0.01)
        assert layers() == ["low", "high", "low", "high", "low"]
        assert all(clean == (5 if event["layer"] == "high" else 0) for event, clean in layer_events)
    finally:
        await viewer.close()
        await room.close()
