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
  DISCONNECT, of at most HANDSHAKE_MAX characters, anything else closes it undecoded; a signed-in socket's frames
  are charged to its user's byte budget (`frame_gate`, realtime/actions.py) before they are decoded, and a frame
  past it is refused (rate_limited, answered when its ack id reads) without being decoded. Decoding a frame costs
  about as much per byte as the frame is long: one socket sending 1 MB frames as fast as it could held the event
  loop for every tablet (healthz 4 ms -> 780 ms)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Callable

import socketio
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
            if not _handshake(data) and eio_sid not in self._binary_packet:
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
        if pkt is None:  # a binary packet waiting for more attachments
            return
        kind, ns = pkt.packet_type, pkt.namespace
        if kind == packet.CONNECT:
            await self._handle_connect(eio_sid, ns, pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, ns, self.reason.CLIENT_DISCONNECT)
        elif kind in (packet.EVENT, packet.BINARY_EVENT):
            await self._handle_event(eio_sid, ns, pkt.id, pkt.data)
        else:
            await self._handle_ack(eio_sid, ns, pkt.id, pkt.data)

    def _over_budget(self, eio_sid: str, sid: str, data: Any) -> None:
        """A frame past its user's byte budget: dropped undecoded (a binary packet it belonged to with it), and
        answered rate_limited when its ack id reads."""
        self.refused += 1
        self._binary_packet.pop(eio_sid, None)
        found = ACK_ID.match(data[:160]) if isinstance(data, str) else None
        if found:
            message = translate(RATE_LIMITED, self.lang_of(sid))
            answer = {"ok": False, "error": {"code": "rate_limited", "message": message}}
            ack = self.packet_class(packet.ACK, namespace=found.group(1), id=int(found.group(2)), data=[answer])
            spawn(self._send_packet(eio_sid, ack))

    def _decode(self, eio_sid: str, data: Any) -> Any:
        """The complete packet `data` finishes, or None while a binary packet waits for attachments. Raises for
        whatever a client may not send (ValueError for the packet kinds only a server sends)."""
        waiting = self._binary_packet.get(eio_sid)
        if waiting is not None:
            if not waiting.add_attachment(data):
                return None
            del self._binary_packet[eio_sid]
            return waiting
        if not data:  # python-socketio would take it for an EVENT without data
            raise ValueError("empty packet")
        pkt = self.packet_class(encoded_packet=data)
        kind = pkt.packet_type
        if kind in (packet.BINARY_EVENT, packet.BINARY_ACK):
            sid = self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or NAMESPACE)
            if not self.manager.is_connected(sid, pkt.namespace or NAMESPACE) or not pkt.attachment_count:
                raise ValueError("unexpected binary packet")
            self._binary_packet[eio_sid] = pkt
            return None
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
