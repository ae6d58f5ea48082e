"""Direct sockets (`DirectWebSocket`, installed by `install`): a websocket opened straight (no polling first) on
uvicorn's sans-io protocol has no writer task and no queue at all. engine.io asks its server's `_async
['websocket']` for the websocket wrapper; ours turns the Engine.IO socket into a `DirectSocket` whose `queue`
is a `DirectQueue`: every packet put on it (acks, pings, presence, events, CLOSE) is framed and written to the
transport at once, in call order, so per-socket order is the order of the calls. The reader awaits the ASGI
`receive` itself (no task per message), pings are a timer instead of a sleeping task per socket. Per idle
connection that removes four asyncio tasks with their coroutine frames, futures and timeout handles, and
the asyncio.Queue (docs/performance.md "What changed"). A direct socket that does not read is dropped past
`MAX_BUFFERED` bytes waiting in its transport, whatever was written (events, acks or presence).
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from typing import Any

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers.asgi import WebSocket as EngineWebSocket
from engineio.async_socket import AsyncSocket
from websockets.protocol import Protocol as WebSocketProtocol
from websockets.protocol import State

from infra.gctune import trimmer

log = logging.getLogger("ecabinet.realtime")

SCOPE_KEY = "ecabinet.ws_protocol"  # where realtime/wire.py: WireTap records a websocket's uvicorn protocol
MAX_BUFFERED = 4 * 2**20  # bytes waiting in a transport's buffer before the tablet is dropped
_closing: set[asyncio.Future[Any]] = set()


def text_frame(payload: str | bytes) -> bytes:
    """One unfragmented, unmasked websocket frame (RFC 6455 5.2), as a server sends it: text for a str, binary
    for bytes."""
    if isinstance(payload, str):
        data, op = payload.encode(), 0x81
    else:
        data, op = payload, 0x82
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", op, n)
    elif n < 65536:
        head = struct.pack("!BBH", op, 126, n)
    else:
        head = struct.pack("!BBQ", op, 127, n)
    return head + data


def spawn(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _closing.add(task)
    task.add_done_callback(_closing.discard)


async def _quietly(coro: Any) -> None:
    try:
        await coro
    except Exception:  # the connection is already gone: nothing to close
        pass


class DirectQueue:
    """Stands in for an Engine.IO socket's asyncio.Queue on a direct socket: a packet put is framed and written
    to the transport at once. Nothing is ever queued, so `empty()` is always true and `join()` returns."""

    __slots__ = ("proto", "transport", "open", "fd")

    def __init__(self, proto: Any) -> None:
        self.proto, self.transport, self.open = proto, proto.transport, True
        # Its descriptor, for the fan-out's batch (realtime/wire.py); none under TLS, where bytes on the socket would
        # not be the stream the peer reads (uvicorn does not serve TLS here, HAProxy does: a guard, not a case).
        raw = proto.transport.get_extra_info("socket")
        plain = raw is not None and proto.transport.get_extra_info("ssl_object") is None
        self.fd: int = raw.fileno() if plain else -1

    def qsize(self) -> int:
        return 0

    def empty(self) -> bool:
        return True

    def task_done(self) -> None:
        pass

    async def join(self) -> None:
        pass

    def get_nowait(self) -> Any:
        raise asyncio.QueueEmpty

    async def put(self, pkt: Any) -> None:
        self.put_nowait(pkt)

    def writable(self) -> bool:
        proto = self.proto
        return self.open and not (proto.disconnected or proto.close_sent or self.transport.is_closing())

    def write(self, frame: bytes) -> bool:
        """Write one pre-built frame; False (and the connection aborted) when the tablet does not read."""
        transport = self.transport
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            self.abort()
            return False
        transport.write(frame)
        return True

    def offer(self, frame: bytes) -> int:
        """The fan-out's one call per socket (realtime/wire.py): `writable` and `write` in one. 1 written, 0 not
        open any more, -1 dropped (the tablet does not read: its connection is aborted)."""
        proto, transport = self.proto, self.transport
        if not self.open or proto.disconnected or proto.close_sent or transport.is_closing():
            return 0
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            self.abort()
            return -1
        transport.write(frame)
        return 1

    def put_nowait(self, pkt: Any) -> None:
        if pkt is None:  # engine.io's "writer, stop": the websocket closes
            self.shut()
            return
        if not self.writable():
            return
        if self.write(text_frame(pkt.encode())) and pkt.packet_type == eio_packet.CLOSE:
            # engine.io closed the socket (server disconnect, ping timeout): the client closes on this packet;
            # one that does not is cut off after ping_timeout, as engine.io's writer did.
            asyncio.get_running_loop().call_later(PING_GRACE, self.transport.close)

    def shut(self) -> None:
        if self.open:
            self.open = False
            proto = self.proto
            if not (proto.disconnected or proto.close_sent or self.transport.is_closing()):
                spawn(_quietly(proto.send({"type": "websocket.close"})))

    def abort(self) -> None:
        """A tablet that does not read: its connection is cut; it reconnects and resyncs with a snapshot."""
        log.warning("dropping a socket: it does not read what is sent to it (back-pressure)")
        self.open = False
        self.transport.abort()


PING_GRACE = 10.0


class InboxQueue:
    """Stands in for the asyncio.Queue uvicorn's protocol puts a websocket's received messages on (only
    `put_nowait`, `get` and `empty` are used, by one reader): a list and one waiter instead of an
    asyncio.Queue's three deques and Event (about 3 KB per connection)."""

    __slots__ = ("items", "waiter")

    def __init__(self, items: list[Any]) -> None:
        self.items: list[Any] = items
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self.items

    def qsize(self) -> int:
        return len(self.items)

    async def get(self) -> Any:
        while not self.items:
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return self.items.pop(0)


class WritableFlag:
    """Stands in for uvicorn's `writable` asyncio.Event (cleared and set by pause/resume_writing, awaited only
    by its own `send`, which a direct socket uses just to close): a bool, and futures only while someone waits.
    An Event carries a deque from birth (about 700 bytes per connection)."""

    __slots__ = ("flag", "waiters")

    def __init__(self, flag: bool) -> None:
        self.flag = flag
        self.waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        self.flag = True
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self.flag = False

    async def wait(self) -> bool:
        while not self.flag:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            await waiter
        return True


def release_handshake(proto: Any) -> None:
    """Free what the websocket handshake left behind once the socket is direct. websockets' server parser is
    a generator whose frame keeps the handshake request (its headers) alive for the connection's whole life;
    it is swapped for the frame parser it delegates to, started fresh. Only while nothing has arrived (the
    client has not even been sent Engine.IO's OPEN yet): a parser mid-frame keeps its state."""
    conn = proto.conn
    if conn.reader.buffer or conn.events or conn.state is not State.OPEN:
        return
    old, conn.parser = conn.parser, WebSocketProtocol.parse(conn)
    next(conn.parser)
    old.close()
    writable = proto.writable
    proto.writable = WritableFlag(writable.is_set())


# What a socket's environ keeps once Socket.IO's connect handler has read the cookie, the language and the host.
ENVIRON_KEPT = ("asgi.scope", "REMOTE_ADDR", "REMOTE_PORT", "REQUEST_METHOD", "PATH_INFO", "QUERY_STRING")


def forget_headers(environ: dict[str, Any]) -> None:
    """After the connect handler: the request's headers (cookie included) are not kept for the connection's
    life, in the environ or in the ASGI scope (about 3.5 KB per tablet, and one copy fewer of a session token)."""
    kept = {key: environ[key] for key in ENVIRON_KEPT if key in environ}
    environ.clear()  # the same dict python-socketio and engine.io hold; clear() frees its table
    environ.update(kept)
    scope = kept.get("asgi.scope")
    if isinstance(scope, dict):
        scope["headers"] = []


class GuardedSocket(AsyncSocket):
    """Every Engine.IO socket of this server (its class set at engine.io's connect, see `install`), direct or
    not: both read loops (DirectWebSocket's below, engine.io's own `_websocket_handler`) hand each frame to
    `receive`. A MESSAGE goes on to Socket.IO (realtime/guarded.py charges it to its budget there); any other
    Engine.IO packet (PONG, UPGRADE, CLOSE, ...) is first put to the server's `ecabinet_engine_packet`
    (realtime/guarded.py), which charges it and answers whether engine.io may act on it: engine.io alone would
    answer every UPGRADE with a NOOP and take any number of PONGs, neither counted anywhere. The counts below
    are this connection's (realtime/guarded.py)."""

    ecabinet_connects = 0  # Socket.IO CONNECT packets received (one is allowed)
    ecabinet_handshake_frames = 0  # frames received while not signed in
    ecabinet_stray_pongs = 0  # PONGs that answered no PING

    async def receive(self, pkt: Any) -> None:
        if pkt.packet_type == eio_packet.MESSAGE:  # AsyncSocket.receive's MESSAGE branch, less its log call
            server = self.server
            await server._trigger_event("message", self.sid, pkt.data, run_async=server.async_handlers)
            return
        check = getattr(self.server, "ecabinet_engine_packet", None)
        if check is None or check(self, pkt):
            await super().receive(pkt)


class DirectSocket(GuardedSocket):
    """An Engine.IO socket (its class set at engine.io's connect, see `install`) whose queue becomes a
    DirectQueue once its websocket is accepted. Sending puts without awaiting (a DirectQueue writes at once);
    the next ping is a timer, not a task sleeping per socket."""

    last_ping: float | None

    async def send(self, pkt: Any) -> None:
        if await self.check_ping_timeout():
            self.queue.put_nowait(pkt)

    def schedule_ping(self) -> None:
        if self.last_ping:
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))


class DirectWebSocket:
    """engine.io's websocket wrapper (`server._async['websocket']`) for sockets that open straight on uvicorn's
    sans-io protocol (recorded by WireTap) without a negotiated extension: no writer task, no queue. Any other
    case (an upgrade from polling, another server, deflate) gets engine.io's own wrapper unchanged."""

    def __init__(self, handler: Any, server: Any) -> None:
        self.handler, self.server = handler, server

    async def __call__(self, environ: dict[str, Any]) -> str:
        sock = getattr(self.handler, "__self__", None)
        proto = (environ.get("asgi.scope") or {}).get(SCOPE_KEY)
        if proto is None or not isinstance(sock, AsyncSocket) or sock.connected or sock.upgrading:
            return await EngineWebSocket(self.handler, self.server)(environ)
        receive, send = environ["asgi.receive"], environ["asgi.send"]
        await send({"type": "websocket.accept"})
        trimmer.connected()  # after a burst of joins, freed memory goes back to the system (infra/gctune.py)
        if proto.conn.extensions:  # pragma: no cover - the product turns deflate off; frames would differ
            return await self._engine_loop(environ)
        queued = sock.queue  # the OPEN packet (and whatever followed) waits here: written first, in order
        sock._ecabinet_wire = proto
        sock.queue = DirectQueue(proto)
        sock.__class__ = DirectSocket
        sock.connected = sock.upgraded = True
        environ.pop("wsgi.input", None)  # engine.io's request body reader (its class is made per request)
        proto.request = proto.response = None  # the handshake is done: uvicorn reads neither again
        inbox = proto.queue  # what arrived since the accept moves over, in order
        proto.queue = InboxQueue([inbox.get_nowait() for _ in range(inbox.qsize())])
        del inbox
        while not queued.empty():
            sock.queue.put_nowait(queued.get_nowait())
        del queued
        release_handshake(proto)
        server, limit = self.server, self.server.max_http_buffer_size
        try:
            while True:
                try:
                    message = await receive()
                except BaseException:  # cancelled (shutdown) or the connection failed: the socket ends
                    break
                if message["type"] != "websocket.receive":
                    break
                data = message.get("text")
                if data is None:
                    data = message.get("bytes")
                if data is None or len(data) > limit:
                    break
                try:
                    await sock.receive(eio_packet.Packet(encoded_packet=data))
                except eio_exceptions.SocketIsClosedError:
                    break
                except Exception as exc:  # not a packet a client sends (a handler's own error is logged inside)
                    what = f"Engine.IO packet ({type(exc).__name__})"
                    faulty = getattr(server, "ecabinet_protocol_error", None)  # realtime/guarded.py
                    if faulty is None:
                        log.info("closing a socket: malformed %s", what)
                        break
                    faulty(sock.sid, what)  # logged (bounded) and closed there; what follows is ignored
        finally:
            sock.queue.shut()
            await sock.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
        return ""

    async def _engine_loop(self, environ: dict[str, Any]) -> str:  # pragma: no cover
        """Already accepted: engine.io's handler with a wrapper that does not accept again."""
        ws = EngineWebSocket(self.handler, self.server)
        ws.asgi_receive, ws.asgi_send = environ["asgi.receive"], environ["asgi.send"]
        await self.handler(ws)
        return ""


def install(sio: Any) -> None:
    """This server's engine.io opens its websockets through DirectWebSocket (its own copy of the driver table:
    engine.io shares the module's dict between servers). A socket that arrives on uvicorn's sans-io protocol
    becomes a DirectSocket as engine.io reports it connected, before engine.io schedules its first ping (a
    timer from then on, not a task sleeping for ping_interval); any other becomes a GuardedSocket (its Engine.IO
    packets checked all the same)."""
    eio = sio.eio
    eio._async = {**eio._async, "websocket": DirectWebSocket}
    on_connect = eio.handlers["connect"]

    async def connected(eio_sid: str, environ: dict[str, Any]) -> Any:
        sock = eio.sockets.get(eio_sid)
        if type(sock) is AsyncSocket:
            direct = (environ.get("asgi.scope") or {}).get(SCOPE_KEY) is not None
            sock.__class__ = DirectSocket if direct else GuardedSocket
        return await on_connect(eio_sid, environ)

    eio.handlers["connect"] = connected
