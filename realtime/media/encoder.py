"""One shared VP8 encoder per quality layer: the composite is encoded once and every viewer of the layer
gets the same av.Packet objects. Keyframes are forced on request (new viewer, a viewer's PLI/FIR) but at
most once per `min_interval` seconds; a request inside the interval is served when it ends."""

from __future__ import annotations

import fractions
import threading
import time
from typing import Callable

import av
from av.video.codeccontext import VideoCodecContext
from av.video.reformatter import VideoReformatter

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


class KeyframeLimiter:
    def __init__(self, min_interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_interval = min_interval
        self.clock = clock
        self.last: float | None = None
        self.pending = False
        self.forced = 0
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            self.pending = True

    def take(self) -> bool:
        """Whether the frame being encoded now should be a keyframe (consumes a pending request)."""
        with self._lock:
            now = self.clock()
            if not self.pending or (self.last is not None and now - self.last < self.min_interval):
                return False
            self.pending = False
            self.last = now
            self.forced += 1
            return True

    def saw_keyframe(self) -> None:
        with self._lock:
            self.last = self.clock()


class SharedEncoder:
    def __init__(self, width: int, height: int, fps: int, bitrate: int, keyframe_interval: float = 1.0) -> None:
        self.width, self.height, self.fps, self.bitrate = width, height, fps, bitrate
        self.keyframes = KeyframeLimiter(keyframe_interval)
        self._reformatter = VideoReformatter()
        self._codec: VideoCodecContext | None = None
        self.frames = 0

    def _open(self) -> VideoCodecContext:
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = self.width, self.height
        codec.pix_fmt = "yuv420p"
        codec.time_base = VIDEO_TIME_BASE
        codec.framerate = fractions.Fraction(self.fps, 1)
        codec.bit_rate = self.bitrate
        codec.gop_size = self.fps * 10  # keyframes come on request; a periodic one bounds a lost picture
        codec.thread_count = 1
        codec.options = {
            "deadline": "realtime",
            "cpu-used": "12",
            "lag-in-frames": "0",
            "error-resilient": "1",
            "static-thresh": "100",
            "max-intra-rate": "300",
        }
        return codec

    def encode(self, frame: av.VideoFrame, pts: int) -> list[av.Packet]:
        """Encode one composite frame (any format/size) at `pts` (90 kHz). Runs in the media thread."""
        if self._codec is None:
            self._codec = self._open()
            self.keyframes.request()
        out = self._reformatter.reformat(frame, width=self.width, height=self.height, format="yuv420p")
        out.pts, out.time_base = pts, VIDEO_TIME_BASE
        out.pict_type = av.video.frame.PictureType.I if self.keyframes.take() else av.video.frame.PictureType.NONE
        packets = list(self._codec.encode(out))
        for packet in packets:
            packet.pts = packet.pts if packet.pts is not None else pts
            packet.time_base = VIDEO_TIME_BASE
            if packet.is_keyframe:
                self.keyframes.saw_keyframe()
        self.frames += 1
        return packets

    def close(self) -> None:
        self._codec = None
