"""The web process's side of the media workers: it starts them (lazily, or at once with prewarm), talks to
them over their Unix sockets with a shared secret, and routes each meeting to one worker.

Nothing here imports aiortc: the web process never touches media."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import secrets
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Awaitable, Callable

log = logging.getLogger("ecabinet.media")
EventHandler = Callable[[dict[str, Any]], Awaitable[None]]


class MediaUnavailable(RuntimeError):
    pass


class MediaRefused(ValueError):
    """The worker's aiortc would not take the client's offer or candidate: the client's error, not an outage."""


class WorkerLink:
    """One worker process and the connection to it."""

    def __init__(self, index: int, config_json: str, on_event: EventHandler, run_dir: Callable[[], Path]) -> None:
        self.index = index
        self.config_json = config_json
        self.on_event = on_event
        self.run_dir = run_dir
        self.socket_path = ""
        self.secret = secrets.token_urlsafe(32)
        self.proc: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self._starting: asyncio.Task[None] | None = None
        self._reader_task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None and self.writer is not None

    async def ensure(self) -> None:
        if self.alive:
            return
        if self._starting is None or self._starting.done():
            self._starting = asyncio.ensure_future(self._start())
        await asyncio.shield(self._starting)

    async def _start(self) -> None:
        await self._stop_process()
        self.socket_path = str(self.run_dir() / f"media-{self.index}.sock")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)
        env = {**os.environ, "ECABINET_MEDIA_SECRET": self.secret, "ECABINET_MEDIA_CONFIG": self.config_json}
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "realtime.media.worker",
            "--socket",
            self.socket_path,
            env=env,
            cwd=root,
            stdout=asyncio.subprocess.DEVNULL,
        )
        for _ in range(300):
            if self.proc.returncode is not None:
                raise MediaUnavailable(f"media worker exited with {self.proc.returncode}")
            if os.path.exists(self.socket_path):
                try:
                    reader, writer = await asyncio.open_unix_connection(self.socket_path)
                    break
                except (ConnectionError, FileNotFoundError):
                    pass
            await asyncio.sleep(0.05)
        else:
            raise MediaUnavailable("media worker did not start")
        writer.write((json.dumps({"secret": self.secret}) + "\n").encode())
        hello = json.loads(await asyncio.wait_for(reader.readline(), 10) or b"{}")
        if hello.get("hello") != "ok":
            raise MediaUnavailable("media worker refused the secret")
        self.writer = writer
        self._reader_task = asyncio.ensure_future(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                msg = json.loads(line)
                if "event" in msg:
                    try:
                        await self.on_event(msg)
                    except Exception:
                        log.exception("media event %s failed", msg.get("event"))
                elif (future := self.pending.pop(msg.get("id"), None)) and not future.done():
                    future.set_result(msg)
        finally:
            self.writer = None
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(MediaUnavailable("media worker connection lost"))
            self.pending.clear()

    async def request(self, op: str, timeout: float = 15, **payload: Any) -> Any:
        await self.ensure()
        assert self.writer is not None
        rid = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        self.writer.write((json.dumps({"id": rid, "op": op, **payload}) + "\n").encode())
        try:
            reply = await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(rid, None)
        if not reply["ok"]:
            if reply.get("refused"):
                raise MediaRefused(reply.get("error") or "refused")
            raise MediaUnavailable(reply.get("error") or "media error")
        return reply["data"]

    async def _stop_process(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self._reader_task:
            self._reader_task.cancel()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.proc = None

    async def stop(self) -> None:
        if self._starting and not self._starting.done():
            self._starting.cancel()
        await self._stop_process()


def publishes(sdp: str) -> bool:
    """Whether an offer sends anything (camera or microphone): a media section whose direction is
    sendrecv or sendonly (sendrecv when it names none)."""
    for section in sdp.replace("\r\n", "\n").split("\nm=")[1:]:
        lines = set(section.split("\n"))
        if "a=recvonly" not in lines and "a=inactive" not in lines:
            return True
    return False


class MediaWorkers:
    """Routes each meeting to its primary worker (meeting_id modulo the number of workers), which decodes
    the publishers, composes and encodes. With more than one worker, receive-only viewers beyond
    `primary_viewers` go to the other workers (shards), which get the encoded streams from the primary
    (realtime/media/feed.py). Every later request about a participant goes where they were placed."""

    def __init__(
        self, count: int, config_json: str, on_event: EventHandler | None = None, primary_viewers: int = 0
    ) -> None:
        self._run_dir: Path | None = None  # made when the first worker starts (nothing built before use)
        self._handlers: list[EventHandler] = [on_event] if on_event else []
        self.links = [
            WorkerLink(i, config_json, functools.partial(self._dispatch, i), self.run_dir) for i in range(max(1, count))
        ]
        self.primary_viewers = primary_viewers
        self.placed: dict[tuple[int, str], int] = {}  # (meeting, participant key) -> link index
        self.viewers: set[tuple[int, str]] = set()  # the receive-only ones among them

    def run_dir(self) -> Path:
        if self._run_dir is None:  # mkdtemp is 0700: only this user reaches the sockets
            self._run_dir = Path(tempfile.mkdtemp(prefix="ecabinet-media-"))
        return self._run_dir

    def on_event(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    async def _dispatch(self, index: int, event: dict[str, Any]) -> None:
        if event.get("event") == "gone":
            where = (event.get("meeting_id") or 0, _key(event))
            if self.placed.get(where, index) != index:
                return  # a stale drop from where the participant was before rejoining elsewhere
            self._forget(where)
        for handler in self._handlers:
            await handler(event)

    def _forget(self, where: tuple[int, str]) -> None:
        self.placed.pop(where, None)
        self.viewers.discard(where)

    def primary(self, meeting_id: int) -> int:
        return meeting_id % len(self.links)

    def _place(self, meeting_id: int, viewer: bool) -> int:
        primary = self.primary(meeting_id)
        if not viewer or len(self.links) == 1:
            return primary
        counts = Counter(i for where, i in self.placed.items() if where[0] == meeting_id and where in self.viewers)
        if counts[primary] < self.primary_viewers:
            return primary
        return min((i for i in range(len(self.links)) if i != primary), key=lambda i: (counts[i], i))

    async def request(self, meeting_id: int, op: str, **payload: Any) -> Any:
        where = (meeting_id, _key(payload))
        if op == "join":
            return await self._join(meeting_id, where, payload)
        if op == "close_room":
            hosts = {self.primary(meeting_id)} | {i for w, i in self.placed.items() if w[0] == meeting_id}
            for w in [w for w in self.placed if w[0] == meeting_id]:
                self._forget(w)
            results = await asyncio.gather(
                *(self.links[i].request(op, meeting_id=meeting_id, **payload) for i in sorted(hosts)),
                return_exceptions=True,
            )
            return all(r is True for r in results)
        if op in ("candidate", "leave", "mute"):
            index = self.placed.get(where, self.primary(meeting_id))
            if op == "leave":
                self._forget(where)
        else:  # floor and the rest: the primary composes, so it decides
            index = self.primary(meeting_id)
        return await self.links[index].request(op, meeting_id=meeting_id, **payload)

    async def _join(self, meeting_id: int, where: tuple[int, str], payload: dict[str, Any]) -> Any:
        viewer = not payload.get("hall") and not publishes(str((payload.get("offer") or {}).get("sdp", "")))
        index, before = self._place(meeting_id, viewer), self.placed.get(where)
        if before is not None and before != index:  # a rejoin that lands elsewhere: end the old connection
            with contextlib.suppress(MediaUnavailable, OSError, TimeoutError):
                await self.links[before].request(
                    "leave", meeting_id=meeting_id, user_id=payload.get("user_id"), hall=payload.get("hall")
                )
        if index != self.primary(meeting_id):
            primary = self.links[self.primary(meeting_id)]
            await primary.ensure()
            payload = {**payload, "upstream": {"socket": primary.socket_path, "secret": primary.secret}}
        try:
            data = await self.links[index].request("join", meeting_id=meeting_id, **payload)
        except MediaRefused:  # the worker left the participant's old connection before refusing the new one
            self._forget(where)
            raise
        self.placed[where] = index
        (self.viewers.add if viewer else self.viewers.discard)(where)
        return data

    async def stats(self) -> list[Any]:
        """Each worker's rooms, as the worker reports them (workers not started report nothing)."""
        return [await link.request("stats") if link.alive else {} for link in self.links]

    async def start(self) -> None:
        await asyncio.gather(*(link.ensure() for link in self.links))

    async def stop(self) -> None:
        await asyncio.gather(*(link.stop() for link in self.links), return_exceptions=True)
        self.placed.clear()
        self.viewers.clear()
        if self._run_dir is not None:
            with contextlib.suppress(OSError):
                for path in self._run_dir.iterdir():
                    path.unlink()
                self._run_dir.rmdir()
            self._run_dir = None


def _key(payload: dict[str, Any]) -> str:
    return f"hall:{payload.get('user_id')}" if payload.get("hall") else str(payload.get("user_id"))
