"""One meeting's media: participants (one RTCPeerConnection each, realtime/media/participant.py), publisher
inputs, the compositor, the shared encoders per quality layer, the audio mixer and the per-viewer output tracks.

Compose + encode and mix + encode run in the room's media thread (never on the event loop); decoding is
done by aiortc's receiver threads.

A room on a shard worker (`upstream` given) has no compositor loop, encoder or mixer of its own: it serves
receive-only viewers with the primary's encoded packets (realtime/media/feed.py). Only participants who
publish (camera, microphone, hall camera) get a tile; receive-only viewers are listed, not shown."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, TypeVar

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame, VideoFrame

from realtime.media.audio import SAMPLES, AudioMixer
from realtime.media.compositor import Compositor
from realtime.media.config import RoomConfig
from realtime.media.encoder import SharedEncoder
from realtime.media.fanout import Layer, PacketTrack
from realtime.media.feed import FeedSink, Upstream
from realtime.media.hooks import watch_sender
from realtime.media.participant import FrameTrack, Participant

log = logging.getLogger("ecabinet.media")
HALL = "hall"
PUBLISH_WIDTHS = (1280, 640, 320, 160)  # what a publisher is asked to send at most, by the width of its tile
T = TypeVar("T")


class Refused(ValueError):
    """aiortc would not take what a participant sent (an offer it cannot parse, apply or answer, a candidate it
    refuses): the client's error. The worker answers it as such (realtime/media/worker.py), without a traceback."""


async def _theirs(what: str, step: Awaitable[T]) -> T:
    """An aiortc step that reads only what the client sent (our side is the same for every join): its failure is
    the client's error."""
    try:
        return await step
    except Exception as exc:
        raise Refused(f"{what}: {type(exc).__name__}: {exc}") from exc


class Room:
    def __init__(
        self,
        meeting_id: int,
        config: RoomConfig,
        ice: RTCConfiguration,
        notify: Callable[[dict[str, Any]], None] = lambda e: None,
        upstream: Upstream | None = None,
    ) -> None:
        self.meeting_id = meeting_id
        self.config = config
        self.ice = ice
        self.notify = notify
        self.upstream = upstream
        self.participants: dict[str, Participant] = {}
        self.feeds: set[FeedSink] = set()  # shards served from this room (primary side)
        self.floor: int | None = None
        self.compositor = Compositor(config.width, config.height)
        if upstream is None:
            self.layers = {
                "high": Layer(
                    "high",
                    SharedEncoder(config.width, config.height, config.fps, config.bitrate, config.keyframe_interval),
                ),
                "low": Layer(
                    "low",
                    SharedEncoder(
                        config.low_width, config.low_height, config.fps, config.low_bitrate, config.keyframe_interval
                    ),
                ),
            }
        else:
            self.layers = {name: Layer(name, upstream.encoder(name)) for name in ("high", "low")}
        self.mixer = AudioMixer()
        self.audio_viewers: set[PacketTrack] = set()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix=f"media-{meeting_id}")
        self.audio_executor = ThreadPoolExecutor(1, thread_name_prefix=f"audio-{meeting_id}")
        self._loops = [asyncio.ensure_future(self._quality_loop())]
        if upstream is None:
            self._loops += [asyncio.ensure_future(self._video_loop()), asyncio.ensure_future(self._audio_loop())]
        else:
            upstream.bind(self)
        self.frames_composed = 0

    @property
    def idle(self) -> bool:
        """Nobody to serve: no participant here and no shard fed from here."""
        return not self.participants and not self.feeds

    # --- joining and leaving ----------------------------------------------------------------------
    async def join(self, *, user_id: int, label: str, offer: dict[str, str], hall: bool = False) -> dict[str, str]:
        key = f"{HALL}:{user_id}" if hall else str(user_id)
        await self.leave(key, notify=False)  # a rejoin (recovery after a drop) replaces the old connection
        pc = RTCPeerConnection(self.ice)
        muted = self.upstream is not None or (self.config.mute_without_floor and not hall and self.floor != user_id)
        p = Participant(
            key=key, user_id=user_id, label=("Phòng họp" if hall else label), pc=pc, hall=hall, audio_on=not muted
        )
        self.participants[key] = p

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if self.upstream is not None:  # a shard only serves viewers; the web process routes publishers away
                return
            self.compositor.add(key, p.label)  # a publisher: it gets a tile (placeholder until frames come)
            self._apply_floor()
            p.tasks.append(asyncio.ensure_future(self._consume(p, track)))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            state = pc.connectionState
            if state == "connected" and p.drop_timer:
                p.drop_timer.cancel()
                p.drop_timer = None
            elif state in ("failed", "disconnected", "closed") and p.drop_timer is None:
                p.drop_timer = asyncio.get_running_loop().call_later(self.config.grace_seconds, self._drop, p)
            self.notify({"event": "state", "meeting_id": self.meeting_id, "user_id": user_id, "state": state})

        try:  # the edge checked the offer's grammar (realtime/media/sdpcheck.py); aiortc may still refuse it
            await _theirs("offer", pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer")))
            for transceiver in pc.getTransceivers():
                if transceiver.kind == "video":
                    caps = RTCRtpSender.getCapabilities("video").codecs
                    transceiver.setCodecPreferences([c for c in caps if c.mimeType in ("video/VP8", "video/rtx")])
            if not hall:
                self._add_outputs(p)
            answer = await _theirs("offer", pc.createAnswer())
            await pc.setLocalDescription(answer)
        except BaseException:  # nothing of a join that failed stays: no peer, no tile, no track
            if self.participants.get(key) is p:
                await self.leave(key, notify=False)
            raise
        self._notify_mute(p)
        return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}

    def muted(self, key: str) -> dict[str, bool] | None:
        p = self.participants.get(key)
        return {"audio": not p.audio_on, "video": not p.video_on} if p else None

    def _add_outputs(self, p: Participant) -> None:
        kinds = {t.kind for t in p.pc.getTransceivers()}
        if "video" in kinds:
            p.video_out = PacketTrack("video", needs_keyframe=True)
            sender = p.pc.addTrack(p.video_out)
            p.layer = self.layers["high"]

            def request_keyframe() -> None:  # a lost picture (PLI/FIR) or a stalled track: the next frame is a key
                if p.layer:
                    p.layer.encoder.keyframes.request()

            p.feedback = watch_sender(sender, request_keyframe)
            p.video_out.on_stall = request_keyframe
            p.layer.attach(p.video_out)
        if "audio" in kinds:
            p.audio_out = PacketTrack("audio", needs_keyframe=False)
            p.minus_out = FrameTrack()
            p.audio_sender = p.pc.addTrack(p.minus_out if p.audio_on else p.audio_out)
            self.audio_viewers.add(p.audio_out)

    async def add_candidate(self, key: str, candidate: dict[str, Any]) -> None:
        p = self.participants.get(key)
        if p is None or not candidate or not candidate.get("candidate"):
            return
        sdp = candidate["candidate"].removeprefix("candidate:")
        try:  # the edge checked its grammar (realtime/media/sdpcheck.py); aiortc may still refuse it
            c = candidate_from_sdp(sdp)
            c.sdpMid, c.sdpMLineIndex = candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
            await p.pc.addIceCandidate(c)
        except Exception as exc:  # what the edge lets through and aiortc still cannot read or add
            raise Refused(f"candidate: {type(exc).__name__}: {exc}") from exc

    def _drop(self, p: Participant) -> None:
        if self.participants.get(p.key) is p:
            asyncio.ensure_future(self.leave(p.key, notify=True))

    async def leave(self, key: str, notify: bool = True) -> bool:
        p = self.participants.pop(key, None)
        if p is None:
            return False
        if p.drop_timer:
            p.drop_timer.cancel()
        for task in p.tasks:
            task.cancel()
        for layer in self.layers.values():
            if p.video_out:
                layer.detach(p.video_out)
        for track in (p.video_out, p.audio_out, p.minus_out):
            if track:
                track.stop()
        if p.audio_out:
            self.audio_viewers.discard(p.audio_out)
        self.compositor.remove(key)
        self.mixer.remove(key)
        self._apply_floor()
        await p.pc.close()
        if notify:
            self.notify({"event": "gone", "meeting_id": self.meeting_id, "user_id": p.user_id, "hall": p.hall})
        return True

    async def close(self) -> None:
        for key in list(self.participants):
            await self.leave(key, notify=False)
        for task in self._loops:
            task.cancel()
        for feed in list(self.feeds):
            feed.writer.close()
        if self.upstream is not None:
            await self.upstream.close()
        self.executor.shutdown(wait=False)
        self.audio_executor.shutdown(wait=False)

    # --- control ----------------------------------------------------------------------------------
    def find(self, user_id: int) -> Participant | None:
        return self.participants.get(str(user_id))

    def mute(self, key: str, audio: bool | None, video: bool | None) -> bool:
        """audio/video: True = muted. None leaves that one as it is."""
        p = self.participants.get(key)
        if p is None:
            return False
        if video is not None:
            p.video_on = not video
            self.compositor.set_video(key, p.video_on)
        if (
            audio is not None and p.audio_on == audio and (audio or self.upstream is None)
        ):  # a shard's viewers have no microphone path
            p.audio_on = not audio
            if p.audio_sender and p.audio_out and p.minus_out:  # listeners' mix <-> mix-minus
                p.audio_sender.replaceTrack(p.minus_out if p.audio_on else p.audio_out)
            if not p.audio_on:
                self.mixer.remove(key)
        self._notify_mute(p)
        return True

    def _notify_mute(self, p: Participant) -> None:
        self.notify(
            {
                "event": "mute",
                "meeting_id": self.meeting_id,
                "user_id": p.user_id,
                "audio": not p.audio_on,
                "video": not p.video_on,
            }
        )

    def set_floor(self, user_id: int | None) -> None:
        previous, self.floor = self.floor, user_id
        if self.config.mute_without_floor and previous != user_id:
            if previous is not None and self.find(previous):
                self.mute(str(previous), audio=True, video=None)
            if user_id is not None and self.find(user_id):
                self.mute(str(user_id), audio=False, video=None)
        self._apply_floor()

    def _apply_floor(self) -> None:
        if self.floor is not None and str(self.floor) in self.participants:
            self.compositor.feature(str(self.floor))
        else:
            self.compositor.feature(next((k for k, p in self.participants.items() if p.hall), None))
        self._tell_publish_widths()

    def _tell_publish_widths(self) -> None:
        """Tell each publisher how wide its picture is drawn, so a small tile's camera sends a scaled-down
        picture (less to decode here, less uplink for the tablet) and the big picture gets full size."""
        for key, (_x, _y, w, _h) in self.compositor.rects().items():
            p = self.participants.get(key)
            width = next((b for b in PUBLISH_WIDTHS if w >= b * 3 // 4), PUBLISH_WIDTHS[-1])
            if p is None or p.publish_width == width:
                continue
            p.publish_width = width
            self.notify(
                {
                    "event": "publish",
                    "meeting_id": self.meeting_id,
                    "user_id": p.user_id,
                    "hall": p.hall,
                    "max_width": width,
                }
            )

    def set_layer(self, p: Participant, name: str) -> None:
        if p.video_out is None or p.layer is self.layers[name]:
            return
        if p.layer:
            p.layer.detach(p.video_out)
        p.layer = self.layers[name]
        p.layer.attach(p.video_out)
        self.notify({"event": "layer", "meeting_id": self.meeting_id, "user_id": p.user_id, "layer": name})

    # --- media ------------------------------------------------------------------------------------
    async def _consume(self, p: Participant, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if isinstance(frame, VideoFrame):
                    self.compositor.update(p.key, frame)
                elif isinstance(frame, AudioFrame) and p.audio_on:
                    self.mixer.push(p.key, frame)
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _produce(self, pts: int) -> list[tuple[Layer, list[Any]]]:
        active = [layer for layer in self.layers.values() if layer.viewers]
        if not active:
            return []
        frame = self.compositor.compose()
        self.frames_composed += 1
        return [(layer, layer.encoder.encode(frame, pts)) for layer in active]

    async def _paced(self, period: float, step: Callable[[int], Any]) -> None:
        """Call step(index) every `period`; when late, skip whole missed periods (the clock catches up
        within one period and pts stay on the wall-clock grid) instead of resetting or bursting."""
        loop = asyncio.get_running_loop()
        start, index = loop.time(), 0
        while True:
            await step(index)
            index += 1
            behind = loop.time() - (start + index * period)
            if behind > period:
                index += int(behind // period)
            await asyncio.sleep(max(0.0, start + index * period - loop.time()))

    async def _video_loop(self) -> None:
        loop = asyncio.get_running_loop()
        tick = 90000 // self.config.fps

        async def step(index: int) -> None:
            try:
                for layer, packets in await loop.run_in_executor(self.executor, self._produce, index * tick):
                    layer.deliver(packets)
            except Exception:
                log.exception("compose/encode failed in meeting %s", self.meeting_id)

        await self._paced(1 / self.config.fps, step)

    async def _audio_loop(self) -> None:
        loop = asyncio.get_running_loop()

        async def step(index: int) -> None:
            if not self.participants:
                return
            live = {k for k, p in self.participants.items() if p.audio_on}
            packets, minus = await loop.run_in_executor(self.audio_executor, self.mixer.tick, live, index * SAMPLES)
            for track in list(self.audio_viewers):
                track.deliver(packets)
            for key, frame in minus.items():
                p = self.participants.get(key)
                if p and p.minus_out:
                    p.minus_out.deliver(frame)

        await self._paced(SAMPLES / 48000, step)

    async def _quality_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.quality_every)
            self.check_quality()

    def check_quality(self) -> None:
        """Weak link -> low layer (loss >= 8 %, new NACKs or PLIs); 5 clean checks in a row -> high."""
        for p in list(self.participants.values()):
            if p.feedback is None:
                continue
            fb = p.feedback
            fresh = (fb.nacks - p.last_fb[0], fb.plis - p.last_fb[1])
            p.last_fb = (fb.nacks, fb.plis)
            weak = fb.fraction_lost >= 20 or fresh[0] > 10 or fresh[1] > 1
            if weak:
                p.clean_checks = 0
                self.set_layer(p, "low")
            else:
                p.clean_checks += 1
                if p.clean_checks >= 5:
                    self.set_layer(p, "high")

    def stats(self) -> dict[str, Any]:
        return {
            "participants": len(self.participants),
            "composed": self.frames_composed,
            "keyframes": {n: layer.encoder.keyframes.forced for n, layer in self.layers.items()},
            "viewers": {n: len(layer.viewers) for n, layer in self.layers.items()},
            "feeds": len(self.feeds),
            "published": {
                str(k): [s.frame.width, s.frame.height] for k, s in list(self.compositor.sources.items()) if s.frame
            },
            "shard": self.upstream is not None,
        }
