"""python-socketio's server, less what a client may not do with it. Its `connect` and `disconnect` handlers are
registered like any event, so a client that sends an ordinary event named `disconnect` would run the server's own
disconnect handler (its user, session and rooms forgotten while the socket stays open) and one named `connect` the
connect handler with a payload of its choosing. Those names are refused here, as is any event no handler takes,
which python-socketio leaves unanswered (the client would wait for its ack until its own timeout)."""

from __future__ import annotations

from typing import Any, Callable

import socketio
from socketio import packet

from core.i18n import DEFAULT_LANG, N_, translate

# The names python-socketio triggers itself: never accepted from a client.
RESERVED = frozenset({"connect", "disconnect", "connect_error", "message"})
UNKNOWN = N_("Sự kiện không được hỗ trợ.")


class GuardedServer(socketio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang_of: Callable[[str], str] = lambda sid: DEFAULT_LANG  # set by realtime/handlers.py
        self.refused = 0  # client events refused here (tests)

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        name = data[0] if isinstance(data, list) and data else None
        ns = namespace or "/"
        if isinstance(name, str) and name not in RESERVED and name in self.handlers.get(ns, {}):
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        self.refused += 1
        if id is not None:
            sid = self.manager.sid_from_eio_sid(eio_sid, ns)
            message = translate(UNKNOWN, self.lang_of(sid) if sid else DEFAULT_LANG)
            answer = {"ok": False, "error": {"code": "unknown_event", "message": message}}
            await self._send_packet(eio_sid, self.packet_class(packet.ACK, namespace=ns, id=id, data=[answer]))
