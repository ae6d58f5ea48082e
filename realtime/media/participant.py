"""A participant of a meeting's media room (realtime/media/room.py): their RTCPeerConnection, what they send
(microphone, camera) and what the room sends them (the composed picture on a quality layer, the mix or their
mix-minus), and the state the room keeps about their link (feedback, clean checks, drop timer)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime.media.fanout import Layer, PacketTrack
from realtime.media.hooks import Feedback


class FrameTrack(MediaStreamTrack):
    """A mix-minus: frames the sender encodes itself (only participants whose microphone is live)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[Any] = asyncio.Queue(10)

    def deliver(self, frame: Any) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(frame)

    async def recv(self) -> Any:
        frame = await self.queue.get()
        if frame is None or self.readyState != "live":
            raise MediaStreamError
        return frame


@dataclass
class Participant:
    key: str
    user_id: int
    label: str
    pc: RTCPeerConnection
    hall: bool = False
    audio_on: bool = False
    video_on: bool = True
    video_out: PacketTrack | None = None
    audio_out: PacketTrack | None = None
    minus_out: FrameTrack | None = None
    audio_sender: RTCRtpSender | None = None
    feedback: Feedback | None = None
    layer: Layer | None = None
    clean_checks: int = 0
    last_fb: tuple[int, int] = (0, 0)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    drop_timer: asyncio.TimerHandle | None = None
    publish_width: int | None = None  # the widest picture worth sending us, last told to the participant
