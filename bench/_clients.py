"""Client side of bench/fanout.py: runs in its own process (never in the server's), holds many sockets.

Protocol with the parent (multiprocessing Pipe): the parent sends ("connect", spec); the child connects and
joins every socket, answers ("ready", {...}); the parent sends ("collect", None) after the run, the child
answers ("data", {...}) with raw receive records; the parent sends ("stop", None) and the child disconnects
everything and exits. Every wait is bounded.

Two client kinds:
- "sio": python-socketio AsyncClient (transports=['websocket']) — what the issue asks for;
- "raw": a minimal Engine.IO v4 / Socket.IO v5 speaker over aiohttp websockets (open, connect, join with
  ack, answer pings, read events). Same wire protocol, far less client CPU per message, so the client
  process is less likely to be the bottleneck when N is large on a 2-core machine;
- "light": the same speaker on an asyncio Protocol of its own (RFC 6455 framing, no aiohttp, no task per
  socket): each frame is stamped as its bytes arrive and only its seq and `at` are looked up, so a
  tablet's share of the machine is a few microseconds per event. On one machine the clients' CPU is taken
  from the server's: the lighter they are, the more the figure is the server's, as with real tablets.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import time
from typing import Any

from _common import quiet_gc

JOIN_TIMEOUT = 20.0
CONNECT_TIMEOUT = 20.0


class Recorder:
    """Per-socket receive log: (seq, receive wall time, at string). Parsing happens after the run."""

    __slots__ = ("rows", "join_seq", "closed", "sample")

    def __init__(self) -> None:
        self.sample: Any = None  # the first event's data: the Node reference emits one of the same size
        self.rows: list[tuple[int, float, str]] = []
        self.join_seq = -1
        self.closed = ""  # why the server side ended the connection, when it did

    def on_event(self, env: dict[str, Any]) -> None:
        if self.sample is None:
            self.sample = env.get("data")
        self.rows.append((env.get("seq", -1), time.time(), env.get("at", "")))


async def _sio_client(url: str, cookie: str, meeting_id: int, session: Any, compress: int = 0) -> tuple[Any, Recorder]:
    import socketio

    rec = Recorder()
    client = socketio.AsyncClient(reconnection=False, http_session=session, handle_sigint=False)

    async def on_event(env: dict[str, Any]) -> None:
        rec.on_event(env)

    client.on("event", on_event)
    client.on("presence", lambda *_: None)
    await asyncio.wait_for(
        client.connect(url, transports=["websocket"], headers={"Cookie": f"ecabinet_session={cookie}"}),
        CONNECT_TIMEOUT,
    )
    ack = await client.call("meeting:join", {"meeting_id": meeting_id}, timeout=JOIN_TIMEOUT)
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"join refused: {ack!r}")
    rec.join_seq = ack["data"]["seq"]
    return client, rec


class RawClient:
    """Engine.IO v4 + Socket.IO v5 over one aiohttp websocket, default namespace only."""

    def __init__(self, ws: Any, rec: Recorder) -> None:
        self.ws, self.rec = ws, rec
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.reader: asyncio.Task[None] | None = None

    async def read_loop(self) -> None:
        import aiohttp

        ws, rec = self.ws, self.rec
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.PING:  # uvicorn's websocket keepalive (autoping is off)
                await ws.pong(msg.data)
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                rec.closed = f"{msg.type.name} {ws.close_code}"
                break
            text: str = msg.data
            if text.startswith("42"):  # socket.io EVENT on '/'
                now = time.time()
                name, *args = json.loads(text[2:])
                if name == "event" and args:
                    env = args[0]
                    if rec.sample is None:
                        rec.sample = env.get("data")
                    rec.rows.append((env.get("seq", -1), now, env.get("at", "")))
            elif text == "2":  # engine.io PING -> PONG
                await ws.send_str("3")
            elif text.startswith("43"):  # ACK: 43<id>[...]
                body = text[2:]
                i = 0
                while i < len(body) and body[i].isdigit():
                    i += 1
                fut = self.acks.pop(int(body[:i]), None)
                if fut and not fut.done():
                    fut.set_result(json.loads(body[i:]))

    async def call(self, event: str, data: Any, timeout: float) -> Any:
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = fut
        await self.ws.send_str(f"42{self.next_id}" + json.dumps([event, data]))
        result = await asyncio.wait_for(fut, timeout)
        return result[0] if isinstance(result, list) and result else result

    async def disconnect(self) -> None:
        try:
            await self.ws.send_str("41")
            await self.ws.close()
        except Exception:
            pass
        if self.reader:
            self.reader.cancel()


async def _raw_client(url: str, cookie: str, meeting_id: int, session: Any, compress: int = 0) -> tuple[Any, Recorder]:
    rec = Recorder()
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = await asyncio.wait_for(
        session.ws_connect(ws_url, headers={"Cookie": f"ecabinet_session={cookie}"}, autoping=False, compress=compress),
        CONNECT_TIMEOUT,
    )
    opened = await asyncio.wait_for(ws.receive_str(), CONNECT_TIMEOUT)
    if not opened.startswith("0"):
        raise RuntimeError(f"no engine.io OPEN: {opened[:80]!r}")
    await ws.send_str("40")
    connected = await asyncio.wait_for(ws.receive_str(), CONNECT_TIMEOUT)
    if not connected.startswith("40"):
        raise RuntimeError(f"socket.io connect refused: {connected[:120]!r}")
    client = RawClient(ws, rec)
    client.reader = asyncio.create_task(client.read_loop())
    ack = await client.call("meeting:join", {"meeting_id": meeting_id}, timeout=JOIN_TIMEOUT)
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"join refused: {str(ack)[:200]}")
    rec.join_seq = ack["data"]["seq"]
    return client, rec


class LightClient(asyncio.Protocol):
    """Engine.IO v4 + Socket.IO v5 over a websocket framed by hand (server frames are unmasked; ours masked)."""

    def __init__(self, rec: Recorder, host: str, cookie: str) -> None:
        self.rec, self.host, self.cookie = rec, host, cookie
        self.buf = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.next_id = 0
        self.fragments: list[bytes] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                f"Host: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Cookie: ecabinet_session={self.cookie}\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.rec.closed:
            self.rec.closed = f"connection lost {exc or ''}".strip()
        for fut in (self.opened, self.connected, *self.acks.values()):
            if not fut.done():
                fut.set_exception(ConnectionError(self.rec.closed))

    def send(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
        mask = os.urandom(4)
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big")
        assert self.transport is not None
        self.transport.write(head + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.time()  # every frame in this read arrived now
        buf = self.buf + data if self.buf else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.rec.closed = buf[:80].decode(errors="replace")
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            buf = buf[end + 4 :]
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1] & 0x7F
            head = 2
            if b1 == 126:
                if size - pos < 4:
                    break
                b1, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif b1 == 127:
                if size - pos < 10:
                    break
                b1, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + b1:
                break
            payload = buf[pos + head : pos + head + b1]
            pos += head + b1
            opcode = b0 & 0x0F
            if not b0 & 0x80:  # a fragment: kept until the last one
                self.fragments.append(payload)
                continue
            if opcode == 0 and self.fragments:
                payload, self.fragments = b"".join(self.fragments) + payload, []
            self.frame(opcode, payload, now)
        self.buf = buf[pos:]

    def frame(self, opcode: int, payload: bytes, now: float) -> None:
        if opcode == 0x9:  # uvicorn's websocket keepalive
            self.send(0xA, payload)
            return
        if opcode == 0x8:
            self.rec.closed = f"CLOSE {int.from_bytes(payload[:2], 'big') if len(payload) >= 2 else ''}"
            assert self.transport is not None
            self.transport.close()
            return
        if payload.startswith(b'42["event",'):
            rec = self.rec
            i = payload.find(b'"seq":') + 6
            j = i
            while 48 <= payload[j] <= 57:
                j += 1
            k = payload.find(b'"at":"')
            at = payload[k + 6 : payload.find(b'"', k + 6)].decode() if k >= 0 else ""
            rec.rows.append((int(payload[i:j]) if j > i else -1, now, at))
            if rec.sample is None:
                rec.sample = json.loads(payload[2:])[1].get("data")
        elif payload == b"2":  # engine.io PING -> PONG
            self.send(0x1, b"3")
        elif payload.startswith(b"43"):  # ACK: 43<id>[...]
            body = payload[2:]
            i = 0
            while i < len(body) and 48 <= body[i] <= 57:
                i += 1
            fut = self.acks.pop(int(body[:i]), None)
            if fut and not fut.done():
                fut.set_result(json.loads(body[i:]))
        elif payload.startswith(b"0") and not self.opened.done():
            self.opened.set_result(None)
        elif payload.startswith(b"40") and not self.connected.done():
            self.connected.set_result(None)
        elif payload.startswith(b"44") and not self.connected.done():
            self.connected.set_exception(RuntimeError(f"socket.io connect refused: {payload[:120]!r}"))

    async def call(self, event: str, data: Any, timeout: float) -> Any:
        self.next_id += 1
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[self.next_id] = fut
        self.send(0x1, f"42{self.next_id}".encode() + json.dumps([event, data]).encode())
        result = await asyncio.wait_for(fut, timeout)
        return result[0] if isinstance(result, list) and result else result

    async def disconnect(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(0x1, b"41")
            self.transport.close()


async def _light_client(
    url: str, cookie: str, meeting_id: int, session: Any, compress: int = 0
) -> tuple[Any, Recorder]:
    rec = Recorder()
    host = url.split("://", 1)[1].rstrip("/")
    name, _, port = host.partition(":")
    loop = asyncio.get_running_loop()
    _, client = await asyncio.wait_for(
        loop.create_connection(lambda: LightClient(rec, host, cookie), name, int(port or 80)), CONNECT_TIMEOUT
    )
    await asyncio.wait_for(client.opened, CONNECT_TIMEOUT)
    client.send(0x1, b"40")
    await asyncio.wait_for(client.connected, CONNECT_TIMEOUT)
    ack = await client.call("meeting:join", {"meeting_id": meeting_id}, timeout=JOIN_TIMEOUT)
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"join refused: {str(ack)[:200]}")
    rec.join_seq = ack["data"]["seq"]
    return client, rec


async def _run(conn: Any) -> None:
    import aiohttp

    cmd, spec = conn.recv()
    assert cmd == "connect"
    url, cookies, count, meeting_id, kind = (
        spec["url"],
        spec["cookies"],
        spec["count"],
        spec["meeting_id"],
        spec["kind"],
    )
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
    make = {"raw": _raw_client, "light": _light_client}.get(kind, _sio_client)
    sem = asyncio.Semaphore(spec.get("connect_concurrency", 25))
    clients: list[Any] = []
    recs: list[Recorder] = []
    errors: list[str] = []

    async def one(i: int) -> None:
        async with sem:
            try:
                client, rec = await make(url, cookies[i % len(cookies)], meeting_id, session, spec.get("compress", 0))
                clients.append(client)
                recs.append(rec)
            except Exception as exc:  # counted and reported, never retried
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(count))), timeout=60 + count * 0.2)
    connect_s = time.perf_counter() - t0
    cpu0 = os.times()
    quiet_gc()
    conn.send(
        ("ready", {"connected": len(clients), "errors": errors[:5], "n_errors": len(errors), "connect_s": connect_s})
    )

    # Wait (bounded) for the parent's "collect" while the event loop keeps receiving.
    loop = asyncio.get_running_loop()
    got = await asyncio.wait_for(loop.run_in_executor(None, conn.recv), timeout=600)
    assert got[0] == "collect"
    cpu1 = os.times()
    gc.enable()
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    conn.send(
        (
            "data",
            {
                "rows": [r.rows for r in recs],
                "join_seq": [r.join_seq for r in recs],
                "cpu_s": cpu_s,
                "closed": [r.closed for r in recs if r.closed],
                "sample": next((r.sample for r in recs if r.sample is not None), None),
            },
        )
    )

    got = await asyncio.wait_for(loop.run_in_executor(None, conn.recv), timeout=120)
    assert got[0] == "stop"
    await asyncio.wait_for(asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True), timeout=30)
    await session.close()


def child_main(conn: Any, use_uvloop: bool) -> None:
    import logging

    # python-socketio's client logs 'packet queue is empty, aborting' for every socket the server closes.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if use_uvloop:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
    try:
        asyncio.run(_run(conn))
    finally:
        conn.close()
