"""Test peers: aiortc clients that join a meeting through the real socket.io signalling, publish a solid
colour and a 400 Hz tone, and record what the server sends back (the composite and the audio mix)."""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import time
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack, VideoStreamTrack
from PIL import Image

from tests.live import LiveClient
from tests.waiting import eventually

_TONE = array.array("h", (int(8000 * math.sin(2 * math.pi * 400 * i / 48000)) for i in range(960))).tobytes()


class ColourTrack(VideoStreamTrack):
    def __init__(self, rgb: tuple[int, int, int]) -> None:
        super().__init__()
        self.image = Image.new("RGB", (320, 180), rgb)

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_image(self.image)
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    async def recv(self) -> av.AudioFrame:
        if not hasattr(self, "_t0"):
            self._t0, self._n = time.time(), 0
        wait = self._t0 + self._n * 0.02 - time.time()
        if wait > 0:  # real-time pacing, as a microphone: one 20 ms frame every 20 ms
            await asyncio.sleep(wait)
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.planes[0].update(_TONE)
        frame.sample_rate, frame.pts, frame.time_base = 48000, self._n * 960, fractions.Fraction(1, 48000)
        self._n += 1
        return frame


class Peer:
    def __init__(self, client: LiveClient, meeting_id: int) -> None:
        self.client = client
        self.meeting_id = meeting_id
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # never a public STUN server
        self.video: av.VideoFrame | None = None
        self.video_frames = 0
        self.audio_rms: list[int] = []
        self.first_frame_at: float | None = None
        self.joined_at = 0.0
        self.got_frame = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    assert isinstance(frame, av.VideoFrame)
                    self.video, self.video_frames = frame, self.video_frames + 1
                    if self.first_frame_at is None:
                        self.first_frame_at = time.monotonic()
                    self.got_frame.set()
                else:
                    assert isinstance(frame, av.AudioFrame)
                    pcm = bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)]
                    self.audio_rms.append(pcm_rms(pcm))
        except MediaStreamError:
            pass

    async def join(self, colour: tuple[int, int, int] | None, **extra: Any) -> dict[str, Any]:
        if colour is not None:
            self.pc.addTrack(ColourTrack(colour))
            self.pc.addTrack(ToneTrack())
        else:
            self.pc.addTransceiver("video", direction="recvonly")
            self.pc.addTransceiver("audio", direction="recvonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        self.joined_at = time.monotonic()
        offer = {"sdp": self.pc.localDescription.sdp, "type": "offer"}
        ack = await self.client.call("rtc:join", {"meeting_id": self.meeting_id, "offer": offer, **extra})
        if ack["ok"]:
            await self.pc.setRemoteDescription(RTCSessionDescription(**ack["data"]["answer"]))
        return ack

    def pixel(self, x: float, y: float) -> tuple[int, int, int]:
        """The colour at (x, y), fractions of the composite's width and height."""
        assert self.video is not None
        image = self.video.to_image()
        return image.getpixel((int(x * image.width), int(y * image.height)))

    def grid(self) -> list[tuple[int, int, int]]:
        """The colours at the 9 x 9 inner points of the composite (the picture decoded once)."""
        assert self.video is not None
        image = self.video.to_image()
        return [
            image.getpixel((int(x / 10 * image.width), int(y / 10 * image.height)))
            for x in range(1, 10)
            for y in range(1, 10)
        ]

    def shows(self, *colours: tuple[int, int, int]) -> bool:
        """Each of `colours` is somewhere in the composite."""
        grid = self.grid()
        return all(any(near(p, colour) for p in grid) for colour in colours)

    async def frames_after(self, n: int, timeout: float = 10) -> None:
        target = self.video_frames + n
        await eventually(lambda: self.video_frames >= target, f"{n} more video frames", timeout=timeout, interval=0.05)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


def pcm_rms(pcm: bytes) -> int:
    """Root mean square of s16 samples (what audioop.rms gave before Python 3.13 removed it)."""
    samples = np.frombuffer(pcm, np.int16).astype(np.float64)
    return int(np.sqrt(np.mean(samples**2))) if samples.size else 0


def near(rgb: tuple[int, int, int], want: tuple[int, int, int], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, want))


async def close_all(peers: list[Peer], clients: list[tuple[LiveClient, Any]]) -> None:
    for peer in peers:
        await peer.close()
    for client, http in clients:
        await client.close()
        await http.aclose()
