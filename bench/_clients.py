"""Client side of bench/fanout.py: runs in its own process (never in the server's), holds many sockets.

Protocol with the parent (multiprocessing Pipe): the parent sends ("connect", spec); the child connects and
joins every socket, answers ("ready", {...}); the parent sends ("collect", None) after the run, the child
answers ("data", {...}) with raw receive records; the parent sends ("stop", None) and the child disconnects
everything and exits. Every wait is bounded.

Two client kinds:
- "sio": python-socketio AsyncClient (transports=['websocket']) — what the issue asks for;
- "raw": a minimal Engine.IO v4 / Socket.IO v5 speaker over aiohttp websockets (open, connect, join with
  ack, answer pings, read events). Same wire protocol, far less client CPU per message, so the client
  process is less likely to be the bottleneck when N is large on a 2-core machine.
"""

from __future__ import annotations

import asyncio
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
    make = _raw_client if kind == "raw" else _sio_client
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
