"""A media worker process: hosts the rooms of the meetings assigned to it and answers the web process(es)
over a local Unix socket (JSON lines). The first line of a connection must carry the shared secret.

    python -m realtime.media.worker --socket /run/ecabinet/media-0.sock   (secret in ECABINET_MEDIA_SECRET,
                                                                            config in ECABINET_MEDIA_CONFIG)
Requests: {"id", "op", "meeting_id", ...} -> {"id", "ok", "data" | "error"}; `"refused": true` with an error
says aiortc would not take the client's offer or candidate (realtime/media/room.py: Refused), logged by the web
process as the client's error, not here with a traceback as a failure of the worker. The worker also pushes
{"event": "gone"|"mute"|"state"|"layer", ...} to every connected web process.

A `join` with `upstream: {socket, secret}` makes this worker a shard for that meeting: its room serves
viewers from the primary's encoded streams. The shard connects to the primary's socket with a hello that
carries `feed: meeting_id` (realtime/media/feed.py); such a connection gets packets, not JSON events."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
import logging
import os
import signal
from typing import Any

from aiortc.exceptions import InvalidStateError

from realtime.media import hooks
from realtime.media.config import MediaConfig
from realtime.media.feed import Upstream, serve_feed
from realtime.media.room import HALL, Refused, Room

log = logging.getLogger("ecabinet.media")


class Worker:
    def __init__(self, config: MediaConfig) -> None:
        self.config = config
        self.rooms: dict[int, Room] = {}
        self.clients: set[asyncio.StreamWriter] = set()

    def notify(self, event: dict[str, Any]) -> None:
        room = self.rooms.get(event.get("meeting_id") or 0)
        if event.get("event") == "gone" and room is not None and room.idle:
            asyncio.ensure_future(self.close_room(room.meeting_id))  # the last one dropped: free its threads
        line = (json.dumps(event) + "\n").encode()
        for writer in list(self.clients):
            with contextlib.suppress(Exception):
                writer.write(line)

    def room(self, meeting_id: int, upstream: dict[str, str] | None = None) -> Room:
        room = self.rooms.get(meeting_id)
        if room is None:
            link = Upstream(meeting_id, upstream["socket"], upstream["secret"]) if upstream else None
            room = self.rooms[meeting_id] = Room(
                meeting_id, self.config.room, self.config.rtc_configuration(), self.notify, link
            )
        elif upstream and room.upstream is not None:
            room.upstream.retarget(upstream["socket"], upstream["secret"])
        return room

    async def handle(self, msg: dict[str, Any]) -> Any:
        op, mid = msg["op"], int(msg.get("meeting_id") or 0)
        key = f"{HALL}:{msg['user_id']}" if msg.get("hall") else str(msg.get("user_id"))
        if op == "ping":
            return "pong"
        if op == "join":
            target = self.room(mid, msg.get("upstream"))
            target.set_floor(msg.get("floor"))
            try:
                answer = await target.join(
                    user_id=msg["user_id"], label=msg["label"], offer=msg["offer"], hall=bool(msg.get("hall"))
                )
            except Exception:
                if self.rooms.get(mid) is target and target.idle:  # a refused first join leaves no room behind
                    await self.close_room(mid)
                raise
            joined = target.participants.get(key)
            return {"answer": answer, "muted": target.muted(key), "max_width": joined.publish_width if joined else None}
        if op == "stats":
            return {str(m): r.stats() for m, r in self.rooms.items()}
        room = self.rooms.get(mid)
        if room is None:
            return False
        if op == "candidate":
            await room.add_candidate(key, msg["candidate"])
            return True
        if op == "leave":
            left = await room.leave(key, notify=False)
            if room.idle:
                await self.close_room(mid)
            return left
        if op == "mute":
            return room.mute(key, msg.get("audio"), msg.get("video"))
        if op == "floor":
            room.set_floor(msg.get("floor"))
            return True
        if op == "close_room":
            await self.close_room(mid)
            return True
        raise ValueError(f"unknown op {op!r}")

    async def close_room(self, meeting_id: int) -> None:
        room = self.rooms.pop(meeting_id, None)
        if room:
            await room.close()

    async def close(self) -> None:
        for mid in list(self.rooms):
            await self.close_room(mid)

    async def serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secret: str) -> None:
        try:
            hello = json.loads(await asyncio.wait_for(reader.readline(), 5) or b"{}")
            if not hmac.compare_digest(str(hello.get("secret", "")), secret):
                return
            if hello.get("feed"):  # a shard worker subscribing to a meeting composed here
                await self._feed(int(hello["feed"]), reader, writer)
                return
            self.clients.add(writer)
            writer.write(b'{"hello": "ok"}\n')
            while line := await reader.readline():
                asyncio.ensure_future(self._answer(json.loads(line), writer))
        except (asyncio.TimeoutError, ConnectionError, json.JSONDecodeError, ValueError, asyncio.CancelledError):
            pass  # (cancelled: the worker is stopping; ending quietly keeps asyncio from logging the handler)
        finally:
            self.clients.discard(writer)
            writer.close()

    async def _feed(self, meeting_id: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        room = self.room(meeting_id)
        await serve_feed(room, reader, writer)
        if self.rooms.get(meeting_id) is room and room.idle:
            await self.close_room(meeting_id)

    async def _answer(self, msg: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        try:
            reply = {"id": msg.get("id"), "ok": True, "data": await self.handle(msg)}
        except Refused as exc:  # the client's error: the web process answers and logs it (realtime/rtc.py)
            reply = {"id": msg.get("id"), "ok": False, "error": str(exc)[:500], "refused": True}
        except Exception as exc:
            log.exception("media op %s failed", msg.get("op"))
            reply = {"id": msg.get("id"), "ok": False, "error": str(exc)}
        with contextlib.suppress(Exception):
            writer.write((json.dumps(reply) + "\n").encode())


def _closed_while_connecting(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """aiortc connects a peer in a task nobody awaits; a peer closed meanwhile (a leave or a rejoin right after the
    join) makes it raise InvalidStateError("... is closed"). That is no failure of the worker: said at INFO, once,
    without a traceback. Anything else is reported as asyncio does."""
    exc = context.get("exception")
    if isinstance(exc, InvalidStateError) and str(exc).endswith("is closed"):
        log.info("a peer connection closed while it was connecting: %s", exc)
        return
    loop.default_exception_handler(context)


async def run(socket_path: str, secret: str, config: MediaConfig) -> None:
    hooks.check_internals()
    hooks.limit_host_addresses(config.host_addresses)
    worker = Worker(config)
    server = await asyncio.start_unix_server(lambda r, w: worker.serve_client(r, w, secret), path=socket_path)
    os.chmod(socket_path, 0o600)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(_closed_while_connecting)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    print("media worker ready", flush=True)
    while not stop.is_set():  # also stop when the web process that started us is gone
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        if os.getppid() != parent:
            break
    server.close()
    await worker.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="ecabinet-media-worker")
    parser.add_argument("--socket", required=True)
    args = parser.parse_args()
    secret = os.environ.pop("ECABINET_MEDIA_SECRET", "")
    if not secret:
        raise SystemExit("ECABINET_MEDIA_SECRET is required")
    asyncio.run(run(args.socket, secret, MediaConfig.from_json(os.environ.get("ECABINET_MEDIA_CONFIG", "{}"))))


if __name__ == "__main__":
    main()
