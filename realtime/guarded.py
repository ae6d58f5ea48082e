"""python-socketio's server, less what a client may not do with it. Its `connect` and `disconnect` handlers are
registered like any event, so a client that sends an ordinary event named `disconnect` would run the server's own
disconnect handler (its user, session and rooms forgotten while the socket stays open) and one named `connect` the
connect handler with a payload of its choosing. Those names are refused here, as is any event no handler takes,
which python-socketio leaves unanswered (the client would wait for its ack until its own timeout).

Limits of the connection itself live here too (docs/realtime-protocol.md "Connection"):
- a websocket that has not completed Socket.IO's connect (signed in) within `connect_timeout` seconds, or no
  longer has it, is closed: pings alone would otherwise keep an anonymous connection open for good;
- a frame that is not a valid Engine.IO or Socket.IO packet is a protocol error: an error ack when its ack id can
  be read, one short log line (no traceback; `FaultLog` bounds them), and the connection is closed once the calls
  received before it are answered. python-socketio would log a traceback per frame and keep the socket;
- what a frame may cost before it is decoded: none is larger than MAX_FRAME_BYTES (uvicorn's websocket fails the
  connection at the frame's header, app/cli.py); a socket not signed in may send only Socket.IO's CONNECT or
  DISCONNECT, of at most HANDSHAKE_MAX characters, and at most HANDSHAKE_FRAMES frames of any kind, anything else
  closes it undecoded; a signed-in socket's frames are charged to its user's byte budget (`frame_gate`,
  realtime/actions.py; a hall display's sockets share their link's) before they are decoded, and a frame past it
  is refused (rate_limited, answered when its ack id reads) without being decoded. Decoding a frame costs about
  as much per byte as the frame is long: one socket sending 1 MB frames as fast as it could held the event loop
  for every tablet (healthz 4 ms -> 780 ms);
- one Socket.IO CONNECT per Engine.IO connection: each runs a database read (the session cookie, a display
  token), so a second one closes the connection, and so does a refused one once its connect_error is sent (one
  socket used to have 1 700 refused handshakes a second read). Attempts per client address are limited apart
  (realtime/connect_limit.py: with a budget of its own for each login or display link seen working, so one device
  cannot lock out its address). Every other limit before sign-in is the connection's own (its frames, its connect
  deadline), never its address's: nothing here refuses a connection for what another one did;
- Engine.IO's own packets are checked too, before engine.io acts on them (`engine_packet`, called by
  realtime/direct.py GuardedSocket for both read loops): a PONG answers the server's PING (those that answer none
  are dropped, and past STRAY_PONGS of them the connection closes), carries nothing and is charged like any
  frame; an UPGRADE (ours are
  websockets from the start: there is nothing to upgrade; engine.io answered each with a NOOP, 138 000 in 5 s)
  and every other packet a client does not send close the connection;
- no binary packets: the product's clients never send any, and python-socketio kept a BINARY_EVENT's
  attachments (up to 999 999 999 announced) until the last arrived, for as long as the socket lived. A
  BINARY_EVENT or BINARY_ACK, or a binary frame, is a protocol error: nothing is ever held pending."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Callable

import socketio
from engineio import packet as eio_packet
from socketio import packet

from core.i18n import DEFAULT_LANG, N_, translate
from realtime.direct import spawn

log = logging.getLogger("ecabinet.realtime")
# The names python-socketio triggers itself: never accepted from a client.
RESERVED = frozenset({"connect", "disconnect", "connect_error", "message"})
UNKNOWN = N_("Sự kiện không được hỗ trợ.")
MALFORMED = N_("Gói tin không hợp lệ; kết nối sẽ được đóng.")
NAMESPACE = "/"  # the only one with handlers: any other is refused at connect
# An EVENT (2) or BINARY_EVENT (5) frame's ack id, read as python-socketio reads it: [attachments-][/namespace,]id
ACK_ID = re.compile(r"[25](?:[0-9]{1,10}-)?(?:(/[^,]*),)?([0-9]{1,100})(?![0-9])")
PENDING_RECHECK = 1.0  # seconds: a connect whose handler still runs at the deadline is looked at again then
IN_FLIGHT_GRACE = 10.0  # seconds: the most the calls before a protocol error may delay the close
# The largest frame a client may send (bytes on the wire; Engine.IO's max_http_buffer_size counts characters, never
# more). What the largest events the payload schemas admit need, with margin: an annotation of 5 000 points (50
# strokes) at the 4 decimals the viewer sends is ~118 KB as JSON, an SDP offer of the schema's 100 000 characters
# ~105 KB; the viewer's own largest, one 2 000-point stroke of presenter:ink, is ~46 KB (tests/test_socket_frames.py).
MAX_FRAME_BYTES = 128 * 1024
HANDSHAKE_MAX = 512  # characters: a CONNECT with a hall display's token (auth) and a namespace, with margin
# Frames of any kind a connection may send before it is signed in: its CONNECT, the PONG to a PING that came before
# the connect was answered, a DISCONNECT, with margin.
HANDSHAKE_FRAMES = 4
STRAY_PONGS = 2  # PONGs that answer no PING (per connection) dropped quietly; one more closes the connection
RATE_LIMITED = N_("Gửi quá nhiều yêu cầu; vui lòng chậm lại.")  # realtime/actions.py admit's refusal


class FaultLog:
    """Client-caused protocol errors: one short line each, at most `limit` per `window` seconds; the others are
    counted and the count logged with the next window's first line. A flood cannot fill the disk."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self.since, self.logged, self.dropped = -window, 0, 0

    def __call__(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self.since >= self.window:
            if self.dropped:
                log.info("%d more client protocol errors were not logged", self.dropped)
            self.since, self.logged, self.dropped = now, 0, 0
        if self.logged < self.limit:
            self.logged += 1
            log.info(message, *args)
        else:
            self.dropped += 1


faults = FaultLog()


class GuardedServer(socketio.AsyncServer):
    def __init__(self, *args: Any, connect_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang_of: Callable[[str], str] = lambda sid: DEFAULT_LANG  # set by realtime/handlers.py
        self.refused = 0  # client events refused here (tests)
        self.connect_timeout = connect_timeout
        self.inflight: dict[str, int] = {}  # eio sid -> its events whose handlers still run
        self.condemned: set[str] = set()  # eio sids closing for a protocol error: nothing more is read
        self.eio.ecabinet_protocol_error = self.protocol_error  # realtime/direct.py: malformed Engine.IO packets
        self.eio.ecabinet_engine_packet = self.engine_packet  # realtime/direct.py GuardedSocket: PONG, UPGRADE, ...
        # sid, frame length -> whether its user's byte budget takes it (set by realtime/actions.py)
        self.frame_gate: Callable[[str, int], bool] = lambda sid, size: True

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        self._arm(eio_sid, self.connect_timeout)
        return await super()._handle_eio_connect(eio_sid, environ)

    def _arm(self, eio_sid: str, delay: float) -> None:
        asyncio.get_running_loop().call_later(delay, self._connect_due, eio_sid)

    def _connect_due(self, eio_sid: str) -> None:
        if eio_sid not in self.eio.sockets:
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
        if sid is not None and self.manager.is_connected(sid, NAMESPACE):
            return  # signed in; armed again if it loses the namespace (disconnect, _handle_disconnect)
        if sid is not None and self.manager.is_pre_connected(sid, NAMESPACE):
            self._arm(eio_sid, PENDING_RECHECK)  # its connect handler is still reading the login
            return
        spawn(self._shut(eio_sid))

    async def _shut(self, eio_sid: str) -> None:
        """Close an Engine.IO connection now: a client that never signed in or broke the protocol gets the
        websocket's close frame at once, not the grace a well-behaved client has to answer CLOSE."""
        self.condemned.discard(eio_sid)
        self.inflight.pop(eio_sid, None)
        sock = self.eio.sockets.get(eio_sid)
        if sock is None:
            return
        await self.eio.disconnect(eio_sid)
        shut = getattr(sock.queue, "shut", None)  # a direct socket's queue (realtime/direct.py)
        if shut is not None:
            shut()
        else:  # engine.io's own loop: its writer stops on None and closes the websocket
            sock.queue.put_nowait(None)

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        """python-socketio's connect, once per Engine.IO connection: a second CONNECT closes it unread, and so does a
        refused one (its connect_error sent first) or one whose handler failed (logged by engine.io; its
        half-connected entry is dropped). A connection's frames are handled one after the other (engine.io's
        read loop awaits each MESSAGE's handling), so nothing else of it is read while its connect runs."""
        sock = self.eio.sockets.get(eio_sid)
        if sock is None or eio_sid in self.condemned:
            return
        if getattr(sock, "ecabinet_connects", 0):
            self.protocol_error(eio_sid, "second CONNECT")
            return
        sock.ecabinet_connects = 1
        ns = namespace or NAMESPACE
        try:
            await super()._handle_connect(eio_sid, namespace, data)
        finally:
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            if sid is None or not self.manager.is_connected(sid, ns):
                if sid is not None and self.manager.is_pre_connected(sid, ns):  # the handler failed (logged)
                    await self.manager.disconnect(sid, ns, ignore_queue=True)
                spawn(self._shut(eio_sid))

    async def _handle_disconnect(self, eio_sid: str, namespace: str | None, reason: Any = None) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace or NAMESPACE)
        was = sid is not None and self.manager.is_connected(sid, namespace or NAMESPACE)
        await super()._handle_disconnect(eio_sid, namespace, reason)
        if was and eio_sid in self.eio.sockets:  # the client left the namespace but kept the connection
            self._arm(eio_sid, self.connect_timeout)

    async def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or NAMESPACE)
        await super().disconnect(sid, namespace, ignore_queue)
        if eio_sid is not None and eio_sid in self.eio.sockets:  # a client that does not close on DISCONNECT
            self._arm(eio_sid, self.connect_timeout)

    def protocol_error(self, eio_sid: str, what: str, frame: Any = None) -> None:
        """A frame that is not a valid packet: logged (bounded), answered when its ack id can be read, and the
        connection closed once the calls received before it are answered."""
        if eio_sid in self.condemned:
            return
        self.condemned.add(eio_sid)
        environ = self.environ.get(eio_sid) or {}
        faults("closing socket from %s: malformed %s", environ.get("REMOTE_ADDR", "?"), what)
        found = ACK_ID.match(frame[:160]) if isinstance(frame, str) else None
        ack = None
        if found:
            ns = found.group(1) or NAMESPACE
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            if sid is not None and self.manager.is_connected(sid, ns):
                message = translate(MALFORMED, self.lang_of(sid))
                answer = {"ok": False, "error": {"code": "validation_failed", "message": message}}
                ack = self.packet_class(packet.ACK, namespace=found.group(1), id=int(found.group(2)), data=[answer])
        spawn(self._refuse(eio_sid, ack))

    async def _refuse(self, eio_sid: str, ack: Any) -> None:
        if ack is not None:
            await self._send_packet(eio_sid, ack)
        if self.inflight.get(eio_sid):  # closed when the last of them is answered (_handle_event_internal)
            asyncio.get_running_loop().call_later(IN_FLIGHT_GRACE, lambda: spawn(self._shut(eio_sid)))
        else:
            await self._shut(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        """python-socketio's dispatch, with decoding apart: a frame that does not decode is the client's
        protocol error (an exception in a handler is the server's, and stays a logged error)."""
        if eio_sid in self.condemned:
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
        if sid is None or not self.manager.is_connected(sid, NAMESPACE):
            if not _handshake(data) or not self._handshake_frame(self.eio.sockets.get(eio_sid)):
                self.protocol_error(eio_sid, "frame before sign-in")  # not decoded: nothing was admitted
                return
        elif not self.frame_gate(sid, len(data)):
            self._over_budget(eio_sid, sid, data)
            return
        try:
            pkt = self._decode(eio_sid, data)
        except Exception as exc:  # decoding only: whatever breaks it came from the client
            self.protocol_error(eio_sid, f"Socket.IO packet ({type(exc).__name__})", data)
            return
        kind, ns = pkt.packet_type, pkt.namespace
        if kind == packet.CONNECT:
            await self._handle_connect(eio_sid, ns, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, ns, self.reason.CLIENT_DISCONNECT)
        elif kind == packet.EVENT:
            await self._handle_event(eio_sid, ns, pkt.id, pkt.data)
        else:
            await self._handle_ack(eio_sid, ns, pkt.id, pkt.data)

    def engine_packet(self, sock: Any, pkt: Any) -> bool:
        """An Engine.IO packet other than a MESSAGE, as it arrives (realtime/direct.py GuardedSocket): whether
        engine.io may act on it. A CLOSE may. A PONG may when it is empty and answers the server's PING (its
        `last_ping` is set until the answer), charged as any frame (before sign-in to HANDSHAKE_FRAMES, after to
        its user's byte budget: past it, dropped); a PONG that answers nothing is dropped, and past STRAY_PONGS of
        them the connection closes. Anything else (UPGRADE: ours are websockets from the start; PING, NOOP, OPEN,
        a PONG with data) is a protocol error: the connection closes."""
        eio_sid = sock.sid
        kind = pkt.packet_type
        if kind == eio_packet.CLOSE:
            return True
        if eio_sid in self.condemned:
            return False
        if kind != eio_packet.PONG or pkt.data:
            name = eio_packet.packet_names[kind] if 0 <= kind < len(eio_packet.packet_names) else kind
            self.protocol_error(eio_sid, f"Engine.IO packet ({name} from a client)")
            return False
        if not sock.last_ping:
            sock.ecabinet_stray_pongs = getattr(sock, "ecabinet_stray_pongs", 0) + 1
            if sock.ecabinet_stray_pongs > STRAY_PONGS:
                self.protocol_error(eio_sid, "Engine.IO packet (PONG without a PING)")
            return False
        sid = self.manager.sid_from_eio_sid(eio_sid, NAMESPACE)
        if sid is None or not self.manager.is_connected(sid, NAMESPACE):
            if self._handshake_frame(sock):
                return True
            self.protocol_error(eio_sid, "frame before sign-in")
            return False
        if self.frame_gate(sid, 1):
            return True
        self.refused += 1
        return False

    @staticmethod
    def _handshake_frame(sock: Any) -> bool:
        """Counts a frame of a connection not signed in: whether it is within HANDSHAKE_FRAMES."""
        if sock is None:
            return False
        sock.ecabinet_handshake_frames = getattr(sock, "ecabinet_handshake_frames", 0) + 1
        return bool(sock.ecabinet_handshake_frames <= HANDSHAKE_FRAMES)

    def _over_budget(self, eio_sid: str, sid: str, data: Any) -> None:
        """A frame past its user's byte budget: dropped undecoded, and answered rate_limited when its ack id
        reads."""
        self.refused += 1
        found = ACK_ID.match(data[:160]) if isinstance(data, str) else None
        if found:
            message = translate(RATE_LIMITED, self.lang_of(sid))
            answer = {"ok": False, "error": {"code": "rate_limited", "message": message}}
            ack = self.packet_class(packet.ACK, namespace=found.group(1), id=int(found.group(2)), data=[answer])
            spawn(self._send_packet(eio_sid, ack))

    def _decode(self, eio_sid: str, data: Any) -> Any:
        """The packet `data` is. Raises for whatever a client may not send: a binary frame or packet (BINARY_EVENT,
        BINARY_ACK: no client of ours sends one, so no attachment is ever held pending), the packet kinds only a
        server sends (ValueError)."""
        if not isinstance(data, str):
            raise ValueError("binary frame")
        if not data:  # python-socketio would take it for an EVENT without data
            raise ValueError("empty packet")
        if data[0] in "56":  # BINARY_EVENT, BINARY_ACK: refused before their JSON is read
            raise ValueError("binary packet")
        pkt = self.packet_class(encoded_packet=data)
        kind = pkt.packet_type
        if kind not in (packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK):
            raise ValueError("not a packet a client sends")
        if kind == packet.ACK and not isinstance(pkt.data, list):
            raise ValueError("an ack carries a list")
        return pkt

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        name = data[0] if isinstance(data, list) and data else None
        ns = namespace or NAMESPACE
        if isinstance(name, str) and name not in RESERVED and name in self.handlers.get(ns, {}):
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            if sid is None or not self.manager.is_connected(sid, ns):
                return  # as python-socketio does: no event before the namespace's connect
            self.inflight[eio_sid] = self.inflight.get(eio_sid, 0) + 1  # its handler is a task of its own
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        self.refused += 1
        if id is not None:
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            message = translate(UNKNOWN, self.lang_of(sid) if sid else DEFAULT_LANG)
            answer = {"ok": False, "error": {"code": "unknown_event", "message": message}}
            await self._send_packet(eio_sid, self.packet_class(packet.ACK, namespace=ns, id=id, data=[answer]))

    async def _handle_event_internal(self, server: Any, sid: str, eio_sid: str, *args: Any) -> None:
        try:
            await super()._handle_event_internal(server, sid, eio_sid, *args)
        finally:
            left = self.inflight.get(eio_sid, 1) - 1
            if left > 0:
                self.inflight[eio_sid] = left
            else:
                self.inflight.pop(eio_sid, None)
                if eio_sid in self.condemned:  # the last call before a protocol error is answered: close now
                    spawn(self._shut(eio_sid))


def _handshake(data: Any) -> bool:
    """Whether a frame from a socket not signed in is what the handshake needs: Socket.IO's CONNECT (0) or
    DISCONNECT (1), short."""
    return isinstance(data, str) and 0 < len(data) <= HANDSHAKE_MAX and data[0] in "01"
