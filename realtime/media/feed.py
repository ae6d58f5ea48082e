"""Viewer sharding: a meeting's encoded streams carried from the worker that composes them (the primary)
to other media workers that only serve viewers (shards), over the primary's Unix socket.

The primary encodes each layer once; a shard receives the same encoded packets once per layer and fans
them out to its own viewers, so a shard costs no decoding or encoding at all. A shard says which layers
its viewers need and routes their keyframe requests upstream (the primary's limiter still applies).

Wire format, primary -> shard, one message per frame (a list of packets):
    !BH  stream (0 high, 1 low, 2 audio), packet count;  then per packet  !BqI  flags (1 = key), pts, size
Shard -> primary: JSON lines {"op": "layers", "layers": [...]} and {"op": "keyframe", "layer": name}."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import struct
from typing import TYPE_CHECKING, Any

import av

from realtime.media.audio import AUDIO_TIME_BASE
from realtime.media.encoder import VIDEO_TIME_BASE

if TYPE_CHECKING:
    from realtime.media.room import Room

log = logging.getLogger("ecabinet.media")
STREAMS = {"high": 0, "low": 1, "audio": 2}
NAMES = {v: k for k, v in STREAMS.items()}
GROUP = struct.Struct("!BH")
PACKET = struct.Struct("!BqI")
MAX_BACKLOG = 2 * 1024 * 1024  # bytes queued for a shard before we drop frames (it waits for a keyframe)
KEYFRAME_COALESCE = 0.25  # seconds: one upstream request stands for every viewer PLI in that window


def encode_group(stream: str, packets: list[av.Packet]) -> bytes:
    parts = [GROUP.pack(STREAMS[stream], len(packets))]
    for packet in packets:
        data = bytes(packet)
        parts.append(PACKET.pack(1 if packet.is_keyframe else 0, int(packet.pts or 0), len(data)))
        parts.append(data)
    return b"".join(parts)


async def read_group(reader: asyncio.StreamReader) -> tuple[str, list[av.Packet]]:
    stream, count = GROUP.unpack(await reader.readexactly(GROUP.size))
    name = NAMES[stream]
    time_base = AUDIO_TIME_BASE if name == "audio" else VIDEO_TIME_BASE
    packets = []
    for _ in range(count):
        flags, pts, size = PACKET.unpack(await reader.readexactly(PACKET.size))
        packet = av.Packet(await reader.readexactly(size))
        packet.pts, packet.time_base, packet.is_keyframe = pts, time_base, bool(flags & 1)
        packets.append(packet)
    return name, packets


# --- primary side ---------------------------------------------------------------------------------
class StreamSink:
    """Stands in a layer's (or the audio) viewer set for one shard: what a PacketTrack does for a peer."""

    def __init__(self, feed: "FeedSink", stream: str, needs_keyframe: bool) -> None:
        self.feed, self.stream, self.needs_keyframe = feed, stream, needs_keyframe
        self.waiting_keyframe = needs_keyframe

    @property
    def readyState(self) -> str:
        return "ended" if self.feed.closed else "live"

    def hold(self) -> None:
        self.waiting_keyframe = self.needs_keyframe

    def deliver(self, packets: list[av.Packet]) -> None:
        if self.feed.closed or not packets:
            return
        if self.waiting_keyframe:
            if not any(p.is_keyframe for p in packets):
                return
            self.waiting_keyframe = False
        if self.feed.backlog() > MAX_BACKLOG:  # the shard cannot keep up: drop, restart on a keyframe
            self.hold()
            return
        self.feed.writer.write(encode_group(self.stream, packets))


class FeedSink:
    """One shard's subscription to a room of this (primary) worker."""

    def __init__(self, room: "Room", writer: asyncio.StreamWriter) -> None:
        self.room, self.writer = room, writer
        self.closed = False
        self.sinks = {name: StreamSink(self, name, needs_keyframe=True) for name in room.layers}
        self.audio = StreamSink(self, "audio", needs_keyframe=False)
        room.audio_viewers.add(self.audio)  # type: ignore[arg-type]

    def backlog(self) -> int:
        transport = self.writer.transport
        return transport.get_write_buffer_size() if transport and not transport.is_closing() else MAX_BACKLOG + 1

    def handle(self, msg: dict[str, Any]) -> None:
        if msg.get("op") == "layers":
            wanted = set(msg.get("layers") or ())
            for name, layer in self.room.layers.items():
                if name in wanted and self.sinks[name] not in layer.viewers:
                    layer.attach(self.sinks[name])  # type: ignore[arg-type]
                elif name not in wanted:
                    layer.detach(self.sinks[name])  # type: ignore[arg-type]
        elif msg.get("op") == "keyframe" and (asked := self.room.layers.get(str(msg.get("layer")))):
            asked.encoder.keyframes.request()

    def close(self) -> None:
        self.closed = True
        for name, layer in self.room.layers.items():
            layer.detach(self.sinks[name])  # type: ignore[arg-type]
        self.room.audio_viewers.discard(self.audio)


async def serve_feed(room: "Room", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    feed = FeedSink(room, writer)
    room.feeds.add(feed)
    try:
        while line := await reader.readline():
            feed.handle(json.loads(line))
    except (ConnectionError, json.JSONDecodeError, ValueError):
        pass
    finally:
        feed.close()
        room.feeds.discard(feed)


# --- shard side -----------------------------------------------------------------------------------
class UpstreamKeyframes:
    """The `keyframes` of a shard's layer: requests go to the primary's encoder (coalesced)."""

    def __init__(self, upstream: "Upstream", layer: str) -> None:
        self.upstream, self.layer = upstream, layer
        self.forced = 0
        self._last = -1.0

    def request(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._last >= KEYFRAME_COALESCE and self.upstream.send({"op": "keyframe", "layer": self.layer}):
            self._last = now
            self.forced += 1


class UpstreamEncoder:
    """What a shard's Layer holds in place of a SharedEncoder."""

    def __init__(self, upstream: "Upstream", layer: str) -> None:
        self.keyframes = UpstreamKeyframes(upstream, layer)


class Upstream:
    """A shard room's link to the primary: (re)connects, subscribes to the layers its viewers use and
    delivers the primary's packets to them. Reconnects every second while the room lives."""

    def __init__(self, meeting_id: int, socket_path: str, secret: str) -> None:
        self.meeting_id = meeting_id
        self.socket_path, self.secret = socket_path, secret
        self.room: Room | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.subscribed: frozenset[str] | None = None
        self.groups = 0
        self._task: asyncio.Task[None] | None = None

    def encoder(self, layer: str) -> UpstreamEncoder:
        return UpstreamEncoder(self, layer)

    def bind(self, room: "Room") -> None:
        self.room = room
        for layer in room.layers.values():
            layer.on_change = self.resubscribe
        self._task = asyncio.ensure_future(self._run())

    def retarget(self, socket_path: str, secret: str) -> None:
        """The primary was restarted (new socket/secret): reconnect there."""
        if (socket_path, secret) != (self.socket_path, self.secret):
            self.socket_path, self.secret = socket_path, secret
            if self.writer is not None:
                self.writer.close()

    def send(self, msg: dict[str, Any]) -> bool:
        if self.writer is None or self.writer.is_closing():
            return False
        self.writer.write((json.dumps(msg) + "\n").encode())
        return True

    def resubscribe(self) -> None:
        assert self.room is not None
        wanted = frozenset(name for name, layer in self.room.layers.items() if layer.viewers)
        if wanted != self.subscribed and self.send({"op": "layers", "layers": sorted(wanted)}):
            self.subscribed = wanted

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_unix_connection(self.socket_path)
                writer.write((json.dumps({"secret": self.secret, "feed": self.meeting_id}) + "\n").encode())
                self.writer, self.subscribed = writer, None
                self.resubscribe()
                for layer in self.room.layers.values() if self.room else ():
                    if layer.viewers:
                        layer.encoder.keyframes.request()
                await self._read(reader)
            except (OSError, asyncio.IncompleteReadError, ConnectionError, KeyError, struct.error) as exc:
                log.info("media feed of meeting %s from %s: %s", self.meeting_id, self.socket_path, exc)
            finally:
                if self.writer is not None:
                    self.writer.close()
                self.writer = None
            await asyncio.sleep(1.0)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        room = self.room
        assert room is not None
        while True:
            stream, packets = await read_group(reader)
            self.groups += 1
            if stream == "audio":
                for track in list(room.audio_viewers):
                    track.deliver(packets)
            else:
                room.layers[stream].deliver(packets)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.writer is not None:
            self.writer.close()
