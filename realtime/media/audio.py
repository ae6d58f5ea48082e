"""The audio mixer: every live microphone resampled to 48 kHz mono s16, mixed every 20 ms.

Listeners (microphone muted or absent) all get ONE mix, Opus-encoded once and shared as packets. A
participant whose microphone is live gets a mix-minus (everyone but themself) as frames, which its own
sender encodes. `tick()` runs in the room's media thread; `push()` on the event loop."""

from __future__ import annotations

import fractions
import threading

import av
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.audio.resampler import AudioResampler

RATE = 48000
SAMPLES = 960  # 20 ms
BYTES = SAMPLES * 2
MAX_BUFFER = BYTES * 10  # 200 ms: older audio is dropped rather than delayed
AUDIO_TIME_BASE = fractions.Fraction(1, RATE)


class AudioMixer:
    def __init__(self) -> None:
        self._buffers: dict[str, bytearray] = {}
        self._resamplers: dict[str, AudioResampler] = {}
        self._lock = threading.Lock()
        self._encoder: AudioCodecContext | None = None
        self._encoded = 0

    def push(self, key: str, frame: av.AudioFrame) -> None:
        resampler = self._resamplers.get(key)
        if resampler is None:
            resampler = self._resamplers[key] = AudioResampler(format="s16", layout="mono", rate=RATE)
        data = b"".join(bytes(f.planes[0])[: f.samples * 2] for f in resampler.resample(frame))
        with self._lock:
            buf = self._buffers.setdefault(key, bytearray())
            buf += data
            if len(buf) > MAX_BUFFER:
                del buf[: len(buf) - MAX_BUFFER]

    def remove(self, key: str) -> None:
        with self._lock:
            self._buffers.pop(key, None)
        self._resamplers.pop(key, None)

    def _take(self) -> dict[str, bytes]:
        with self._lock:
            chunks = {}
            for key, buf in self._buffers.items():
                if len(buf) >= BYTES:
                    chunks[key] = bytes(buf[:BYTES])
                    del buf[:BYTES]
        return chunks

    def tick(self, live: set[str], pts: int) -> tuple[list[av.Packet], dict[str, av.AudioFrame]]:
        """20 ms of audio: the listeners' mix encoded once, and a mix-minus frame for each live key."""
        chunks = {k: np.frombuffer(v, np.int16) for k, v in self._take().items() if k in live}
        total = np.zeros(SAMPLES, np.int32)  # summed wide, clipped once: loud voices saturate instead of wrapping
        for chunk in chunks.values():
            total += chunk
        minus = {key: _frame(_pcm(total - chunks[key] if key in chunks else total), pts) for key in live}
        return self._encode(_pcm(total), pts), minus

    def _encode(self, pcm: bytes, pts: int) -> list[av.Packet]:
        if self._encoder is None:
            codec = av.CodecContext.create("libopus", "w")
            codec.sample_rate = RATE
            codec.layout = "stereo"
            codec.format = "s16"
            codec.bit_rate = 64000
            codec.time_base = AUDIO_TIME_BASE
            codec.options = {"application": "voip", "frame_duration": "20"}
            self._encoder = codec
        frame = av.AudioFrame(format="s16", layout="stereo", samples=SAMPLES)
        frame.planes[0].update(np.repeat(np.frombuffer(pcm, np.int16), 2).tobytes())  # mono -> interleaved stereo
        frame.sample_rate, frame.pts, frame.time_base = RATE, pts, AUDIO_TIME_BASE
        packets = list(self._encoder.encode(frame))
        for packet in packets:
            packet.pts = self._encoded * SAMPLES
            packet.time_base = AUDIO_TIME_BASE
            self._encoded += 1
        return packets


def _pcm(mix: np.ndarray) -> bytes:
    """A wide sum of s16 samples as s16 bytes, clipped at full scale."""
    return np.clip(mix, -32768, 32767).astype(np.int16).tobytes()


def _frame(pcm: bytes, pts: int) -> av.AudioFrame:
    frame = av.AudioFrame(format="s16", layout="mono", samples=SAMPLES)
    frame.planes[0].update(pcm)
    frame.sample_rate, frame.pts, frame.time_base = RATE, pts, AUDIO_TIME_BASE
    return frame
