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

What this relies on (tests/test_fanout_wire.py fails when an engine.io or uvicorn upgrade changes it):
uvicorn's websockets-sansio protocol (`transport`, `conn`, `writable`, `close_sent`, `disconnected`, and the
ASGI `send` being its bound method), engine.io's AsyncSocket (`queue` an asyncio.Queue drained only by the
websocket writer through `poll()`, `upgraded`, `closed`) and the environ carrying `asgi.scope`.

Direct sockets (no writer task or queue at all): realtime/direct.py. Those with nothing waiting in their
transport are sent the frame in one call (realtime/_fastsend.c: a loop in C that releases the interpreter's
lock; where it was not built, each through its transport as before): less work per socket than
`transport.write`, and the frames leave in one burst, so a receiver wakes once for many (bench/fanout.py at 1000
tablets, 7 rounds each: p99 median 25.9 -> 19.8 ms; docs/performance.md). A socket that does not take the whole
frame gets the rest through its transport, behind which its later frames queue.
"""

from __future__ import annotations

import asyncio
import logging
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from realtime.direct import MAX_BUFFERED, SCOPE_KEY, DirectQueue, spawn, text_frame

log = logging.getLogger("ecabinet.realtime")

SEND_ALL: Callable[[array[int], bytes], list[tuple[int, int]]] | None
try:  # built by `pip install` (pyproject.toml ext-modules); optional: without a C compiler, every socket's transport
    from realtime._fastsend import send_all as SEND_ALL
except ImportError:  # pragma: no cover - an install without a C compiler
    SEND_ALL = None

MAX_QUEUED = 256  # packets waiting in a socket's Engine.IO queue before the tablet is dropped
_UNKNOWN = object()


if TYPE_CHECKING:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


def _sansio_class() -> type[WebSocketsSansIOProtocol] | None:
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
        sockets, direct_ok, send_all = self.sio.eio.sockets, self.direct_ok, SEND_ALL
        frame = text_frame(pkt.encode())  # the same bytes for every recipient (server frames are not masked)
        direct = dropped = 0
        others: list[tuple[str, Any]] = []
        fds: list[int] = []  # sockets with nothing waiting in their transport: the frame goes straight to the kernel
        clean: list[Any] = []  # their transports, in the same order
        # The common case, kept tight: a direct socket with an empty transport buffer joins the batch sent in C.
        for eio_sid in eio_sids:
            sock = sockets.get(eio_sid)
            if sock is None or sock.closed:
                continue
            queue = sock.queue
            if type(queue) is DirectQueue and direct_ok:
                fd = queue.fd
                if send_all is not None and fd >= 0 and queue.open:
                    transport = queue.transport
                    proto = queue.proto
                    if proto.disconnected or proto.close_sent or transport.is_closing():
                        continue
                    if not transport.get_write_buffer_size():
                        fds.append(fd)
                        clean.append(transport)
                        continue
                done = queue.offer(frame)  # something waits in its transport (or no C sender): behind it, in order
                if done > 0:
                    direct += 1
                elif done < 0:
                    dropped += 1
            else:
                others.append((eio_sid, sock))
        if fds:
            assert send_all is not None
            direct += len(fds)
            for i, sent in send_all(array("i", fds), frame):
                # Not taken whole (a full kernel buffer, a reset peer): the rest through its transport, which
                # buffers it in order (and drops a tablet past MAX_BUFFERED at its next frame) or closes on error.
                clean[i].write(frame[sent:] if sent > 0 else frame)
        self.direct += direct
        self.dropped += dropped
        for eio_sid, sock in others:
            self.deliver_queued(eio_sid, sock, pkt, frame)

    def deliver_queued(self, eio_sid: str, sock: Any, pkt: Any, frame: bytes) -> None:
        """A socket with engine.io's own writer (an upgrade from polling, deflate, another server): the frame is
        written directly only while its writer is idle, else the packet is queued behind what is there."""
        if getattr(sock, "_ecabinet_dropped", False):
            return
        proto = protocol_of(sock, self.sio.environ.get(eio_sid)) if sock.upgraded and self.direct_ok else None
        if proto is not None:
            transport = proto.transport
            if proto.disconnected or proto.close_sent or transport.is_closing():
                return
            if transport.get_write_buffer_size() > MAX_BUFFERED:
                self.drop(eio_sid, sock, proto)
                return
            if proto.writable.is_set() and writer_idle(sock.queue):
                transport.write(frame)
                self.direct += 1
                return
        if sock.queue.qsize() >= MAX_QUEUED:
            self.drop(eio_sid, sock, proto)
            return
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
            spawn(sock.close(wait=False, abort=True))
