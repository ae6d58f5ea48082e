"""Per-viewer output tracks that only packetise: every viewer of a layer shares the layer's av.Packet
objects (each viewer's RTCRtpSender adds its own sequence numbers and timestamps offset).

A viewer that joins or changes layer starts at once from the layer's last keyframe: it is sent that frame
and the frames since (at most GOP_REPLAY of them), which its decoder runs through in a few milliseconds.
Only when that run is longer does it wait for a new keyframe, which keyframe requests' rate limit (1/s)
would otherwise make every joiner of a burst do. A viewer whose queue overflows (it cannot keep up) drops
the backlog and waits for a keyframe again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime.media.encoder import SharedEncoder

QUEUE_FRAMES = 30
GOP_REPLAY = 20  # frames (1.3 s at 15 fps) a joining viewer may be sent to start from the last keyframe


class PacketTrack(MediaStreamTrack):
    def __init__(self, kind: str, *, needs_keyframe: bool) -> None:
        super().__init__()
        self.kind = kind
        self.needs_keyframe = needs_keyframe
        self.waiting_keyframe = needs_keyframe
        self.queue: asyncio.Queue[list[av.Packet] | None] = asyncio.Queue(QUEUE_FRAMES)
        self.frames_out = 0
        self.on_stall: Callable[[], None] | None = None
        self._pending: list[av.Packet] = []

    def hold(self) -> None:
        """Drop until the next keyframe (after joining a layer or losing the backlog)."""
        if self.needs_keyframe:
            self.waiting_keyframe = True

    def deliver(self, packets: list[av.Packet]) -> None:
        if self.readyState != "live" or not packets:
            return
        if self.waiting_keyframe:
            if not any(p.is_keyframe for p in packets):
                return
            self.waiting_keyframe = False
        if self.queue.full():
            while not self.queue.empty():
                self.queue.get_nowait()
            self.hold()
            if self.on_stall:
                self.on_stall()
            return
        self.queue.put_nowait(packets)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._pending:
            return self._pending.pop(0)
        packets = await self.queue.get()
        if packets is None:
            raise MediaStreamError
        self.frames_out += 1
        self._pending = packets[1:]
        return packets[0]

    def stop(self) -> None:
        if self.readyState == "live":
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)
        super().stop()


class Layer:
    """A quality layer: one shared encoder and the viewer tracks that receive its packets. On a shard
    (realtime/media/feed.py) the encoder is the primary's, reached upstream, and `on_change` tells it
    which layers still have viewers."""

    def __init__(self, name: str, encoder: SharedEncoder | Any) -> None:
        self.name = name
        self.encoder = encoder
        self.viewers: set[PacketTrack] = set()
        self.on_change: Callable[[], None] | None = None
        self.gop: list[list[av.Packet]] = []  # the last keyframe's frame and the frames since (while short)

    def attach(self, track: PacketTrack) -> None:
        track.hold()
        self.viewers.add(track)
        if self.gop:
            for packets in self.gop:  # the encoder's references are exactly what these frames rebuild
                track.deliver(packets)
        else:
            self.encoder.keyframes.request()
        if self.on_change:
            self.on_change()

    def detach(self, track: PacketTrack) -> None:
        if track in self.viewers:
            self.viewers.discard(track)
            if self.on_change:
                self.on_change()

    def deliver(self, packets: list[av.Packet]) -> None:
        if any(p.is_keyframe for p in packets):
            self.gop = [packets]
        elif 0 < len(self.gop) < GOP_REPLAY:
            self.gop.append(packets)
        else:  # too long to replay: the next joiner asks for a keyframe
            self.gop = []
        for track in list(self.viewers):
            if track.readyState != "live":
                self.viewers.discard(track)
            else:
                track.deliver(packets)
