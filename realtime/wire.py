"""The last hop of the fast fan-out: one pre-framed websocket frame written straight to each idle tablet.

python-socketio hands a packet to a socket's Engine.IO queue; that socket's writer task wakes, `poll()`
(a task per wait in Python 3.11), the ASGI `send` dict, websockets' framing, `text.encode()`, then one
`transport.write`. For one meeting event to 1000 tablets that is 1000 task wake-ups and 1000 framings of the
same bytes. Here the frame is built once per event and audience (server frames are unmasked, so it is the
same for every recipient) and written with `transport.write` to every socket whose writer is idle.

Ordering: a frame is written directly only when the socket's Engine.IO queue is empty AND its writer task is
parked in `queue.get()` (a pending getter). The writer goes back to `get()` only after it has written
everything it took, so nothing of that socket (acks, pings, presence, earlier events) is queued or in
flight: the direct frame goes out after all of it. In any other state the packet goes on the queue as
python-socketio would, behind what is there.

Back-pressure: a tablet that stops reading fills its kernel buffer, then the transport's buffer, then the
queue. Past `MAX_BUFFERED` bytes or `MAX_QUEUED` packets it is dropped (the connection aborted): the client
reconnects, joins and gets a fresh snapshot, and the server holds nothing more for it. Others never wait for
it: nothing here awaits.

What this relies on (tests/test_wire_internals.py fails when an engine.io or uvicorn upgrade changes it):
uvicorn's websockets-sansio protocol (`transport`, `conn`, `writable`, `close_sent`, `disconnected`, and the
ASGI `send` being its bound method), engine.io's AsyncSocket (`queue` an asyncio.Queue drained only by the
websocket writer through `poll()`, `upgraded`, `closed`) and the environ carrying `asgi.scope`.

Direct sockets (`DirectWebSocket`, installed by `install`): a websocket opened straight (no polling first) on
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

from infra.gctune import trimmer

log = logging.getLogger("ecabinet.realtime")

SCOPE_KEY = "ecabinet.ws_protocol"
MAX_BUFFERED = 4 * 2**20  # bytes waiting in a transport's buffer before the tablet is dropped
MAX_QUEUED = 256  # packets waiting in a socket's Engine.IO queue before the tablet is dropped
_UNKNOWN = object()
_closing: set[asyncio.Future[Any]] = set()


def _sansio_class() -> type | None:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    except ImportError:  # pragma: no cover - uvicorn without the sans-io implementation
        return None
    return WebSocketsSansIOProtocol


SANSIO = _sansio_class()


class WireTap:
    """Outermost ASGI wrapper: remembers, in the websocket's scope, the uvicorn protocol that serves it (the
    `send` uvicorn passes is that protocol's bound method). Any other server: nothing is remembered and
    every packet takes the ordinary queue."""

    def __init__(self, app: Any) -> None:
        self.inner = app

    def __getattr__(self, name: str) -> Any:  # transparent: .state, .app, ... are the wrapped app's
        return getattr(self.inner, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            proto = getattr(send, "__self__", None)
            if SANSIO is not None and type(proto) is SANSIO:
                scope[SCOPE_KEY] = proto
        await self.inner(scope, receive, send)


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


def protocol_of(sock: Any, environ: dict[str, Any] | None) -> Any:
    """The uvicorn protocol of an Engine.IO socket (cached on it), or None."""
    proto = getattr(sock, "_ecabinet_wire", _UNKNOWN)
    if proto is _UNKNOWN:
        scope = (environ or {}).get("asgi.scope") or {}
        proto = scope.get(SCOPE_KEY)
        if proto is not None and proto.conn.extensions:  # a negotiated extension (deflate): frames differ
            proto = None
        sock._ecabinet_wire = proto
    return proto


def _spawn(coro: Any) -> None:
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

    __slots__ = ("proto", "transport", "open")

    def __init__(self, proto: Any) -> None:
        self.proto, self.transport, self.open = proto, proto.transport, True

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
                _spawn(_quietly(proto.send({"type": "websocket.close"})))

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


class DirectSocket(AsyncSocket):  # type: ignore[misc]
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
            return await EngineWebSocket(self.handler, self.server)(environ)  # type: ignore[no-any-return]
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
                except eio_exceptions.UnknownPacketError:
                    pass
                except eio_exceptions.SocketIsClosedError:
                    break
                except Exception:
                    server.logger.exception("Unknown receive error")
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
    timer from then on, not a task sleeping for ping_interval)."""
    eio = sio.eio
    eio._async = {**eio._async, "websocket": DirectWebSocket}
    on_connect = eio.handlers["connect"]

    async def connected(eio_sid: str, environ: dict[str, Any]) -> Any:
        sock = eio.sockets.get(eio_sid)
        if type(sock) is AsyncSocket and (environ.get("asgi.scope") or {}).get(SCOPE_KEY) is not None:
            sock.__class__ = DirectSocket
        return await on_connect(eio_sid, environ)

    eio.handlers["connect"] = connected


def writer_idle(queue: asyncio.Queue[Any]) -> bool:
    """Nothing queued and the writer parked in get(): nothing of this socket is waiting or in flight."""
    if queue._queue:  # type: ignore[attr-defined]
        return False
    return any(not g.done() for g in queue._getters)  # type: ignore[attr-defined]


class Sender:
    """Delivers one encoded Engine.IO packet to many sockets; counts what it did (bench, tests)."""

    def __init__(self, sio: Any, *, direct: bool = True) -> None:
        self.sio = sio
        self.direct_ok = direct  # False: always the queue (the bench's comparison, a server without the tap)
        self.direct = 0
        self.queued = 0
        self.dropped = 0

    def deliver(self, eio_sids: list[str], pkt: Any) -> None:
        frame: bytes | None = None
        sockets, environs, direct_ok = self.sio.eio.sockets, self.sio.environ, self.direct_ok
        for eio_sid in eio_sids:
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            queue = sock.queue
            if type(queue) is DirectQueue and direct_ok:  # the common case: written now, nothing else to check
                if queue.writable():
                    if frame is None:
                        frame = text_frame(pkt.encode())
                    if queue.write(frame):
                        self.direct += 1
                    else:
                        self.dropped += 1
                continue
            if getattr(sock, "_ecabinet_dropped", False):
                continue
            proto = protocol_of(sock, environs.get(eio_sid)) if sock.upgraded and self.direct_ok else None
            if proto is not None:
                transport = proto.transport
                if proto.disconnected or proto.close_sent or transport.is_closing():
                    continue
                if transport.get_write_buffer_size() > MAX_BUFFERED:
                    self.drop(eio_sid, sock, proto)
                    continue
                if proto.writable.is_set() and writer_idle(sock.queue):
                    if frame is None:
                        frame = text_frame(pkt.encode())
                    transport.write(frame)
                    self.direct += 1
                    continue
            if sock.queue.qsize() >= MAX_QUEUED:
                self.drop(eio_sid, sock, proto)
                continue
            sock.queue.put_nowait(pkt)
            self.queued += 1

    def drop(self, eio_sid: str, sock: Any, proto: Any) -> None:
        """A tablet that does not read: abort its connection (it will resync with a snapshot on reconnect)."""
        self.dropped += 1
        log.warning("dropping socket %s: it does not read its events (back-pressure)", eio_sid)
        sock._ecabinet_dropped = True  # nothing more is queued for it
        while not sock.queue.empty():  # what it would never read is freed now
            sock.queue.get_nowait()
            sock.queue.task_done()
        sock.queue.put_nowait(None)  # its writer task ends
        if proto is not None:
            proto.transport.abort()  # uvicorn reports the disconnect; engine.io and socket.io clean up as usual
        else:
            task = asyncio.ensure_future(sock.close(wait=False, abort=True))
            _closing.add(task)
            task.add_done_callback(_closing.discard)
