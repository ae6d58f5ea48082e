"""uvicorn's HTTP protocol (httptools) with the deadlines and the cap uvicorn lacks, so that a client holding
connections open cannot take every file descriptor of the process (docs/deployment.md "Slow clients"):

- headers: a connection that has not completed a request's headers within `header_timeout` seconds of its
  opening (or of the first byte of its next request on a kept-alive connection) is closed. uvicorn's own
  keep-alive timeout stops at the first byte, so a client trickling a header line every few seconds, or sending
  nothing at all, held its connection for ever;
- body: a request body that arrives slower than `min_body_rate` bytes a second on average, once `BODY_GRACE`
  seconds have passed, is answered 408 and its connection closed. Only time the client could send counts: while
  uvicorn has paused reading because the application has not consumed what came (a large upload being written),
  the clock stops;
- connections: beyond `max_connections` (HTTP and websocket alike) a request is answered 503 `server_busy`
  (JSON, Retry-After) and its connection closed; beyond that plus `SLACK` a new connection is dropped at once,
  so the process keeps descriptors for its database, files and workers (a download answered 500 "Too many open
  files" before).

Websockets are not touched: the upgrade happens once the headers are complete, when this protocol's timers are
already cancelled, and the transport then belongs to the websocket protocol.

What this relies on in uvicorn (tests/test_slow_clients.py fails when an upgrade changes it): HttpToolsProtocol's
`connection_made`, `connection_lost`, `on_message_begin`, `on_headers_complete`, `on_body`, `on_message_complete`
callbacks, its `transport`, `flow` (`read_paused`), `connections`, `cycle`, `scope`, `app` (read by
on_headers_complete to start the request) and the cycle's `response_started`, `response_complete`, `more_body`,
`disconnected`, `message_event`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from typing import Any

from starlette.requests import Request
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.i18n import N_
from web.http import error_response
from web.i18n import request_lang, translate

log = logging.getLogger("ecabinet.web")

BODY_GRACE = 5.0  # seconds of a body before its rate is looked at (a slow start, a TCP window opening)
BODY_TICK = 1.0  # seconds between two looks at a body still arriving
SLACK = 32  # connections past max_connections that are still read (to be answered 503) before new ones are dropped
FD_HEADROOM = 256  # descriptors kept for the database, files, worker pipes, logs (at least; 1/8 of a large limit)
BUSY = N_("Máy chủ đang quá tải; vui lòng thử lại sau giây lát.")
TOO_SLOW = N_("Dữ liệu của yêu cầu đến quá chậm; kết nối đã được đóng, vui lòng thử lại.")


def default_max_connections() -> int:
    """What the open-files limit leaves for connections, after the process's own descriptors."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(64, soft - max(FD_HEADROOM, soft // 8) - SLACK)


def raise_open_files() -> None:
    """The soft open-files limit up to the hard one (a service manager's soft default, often 1024, would leave ~740
    connections for a hall of tablets); `ecabinet serve` calls it before the cap is computed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:  # e.g. an infinite hard limit the kernel caps lower
            log.info("open-files limit left at %d: %s", soft, exc)


class _Closures:
    """How many connections were closed for being slow: one log line a minute at most, whatever the flood."""

    def __init__(self) -> None:
        self.since, self.count = time.monotonic(), 0

    def __call__(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.since >= 60:
            log.info("closed %d slow or surplus connections in the last minute", self.count)
            self.since, self.count = now, 0


closures = _Closures()


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """The answer past max_connections: the product's error envelope, in the user's language."""
    message = translate(BUSY, request_lang(Request(scope)))
    response = error_response(503, "server_busy", message)
    response.headers["Retry-After"] = "5"
    response.headers["Connection"] = "close"
    await response(scope, receive, send)


class SlowClientsProtocol(HttpToolsProtocol):
    """Set up by `protocol()`; uvicorn builds one per connection."""

    header_timeout: float = 10.0
    min_body_rate: float = 1024.0  # bytes a second; 0: not checked
    max_connections: int = 0  # 0: no cap

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_bytes = 0
        self._body_active = 0.0  # seconds the client could send the body
        self._body_last = 0.0

    # --- uvicorn's callbacks ---------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections and len(self.connections) > self.max_connections + SLACK:
            closures()
            transport.abort()  # its descriptor back at once; connection_lost forgets it
            return
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timers()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_timer is None:  # the next request of a kept-alive connection: its first byte
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def on_headers_complete(self) -> None:
        self._stop_timers()
        upgrade = self.parser.should_upgrade()  # a websocket: counted, but only the drop at connect bounds it
        if self.max_connections and len(self.connections) > self.max_connections and not upgrade:
            app, self.app = self.app, _busy  # read by uvicorn's on_headers_complete to start the request
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            closures()
            return
        super().on_headers_complete()
        if self.min_body_rate and not upgrade:
            self._body_bytes, self._body_active, self._body_last = 0, 0.0, self.loop.time()
            self._body_timer = self.loop.call_later(BODY_TICK, self._body_check)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    # --- deadlines -------------------------------------------------------------------------------------------

    def _stop_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _headers_late(self) -> None:
        """Headers not complete in time (nothing sent at all, or trickled): closed without an answer, as a
        proxy's `timeout http-request` does; a browser opens a new connection for its next request."""
        self._header_timer = None
        if not self.transport.is_closing():
            closures()
            self.transport.close()

    def _body_check(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or cycle.response_complete or not cycle.more_body:
            return
        now = self.loop.time()
        if not self.flow.read_paused:  # paused: the application has not read what came; not the client's time
            self._body_active += now - self._body_last
        self._body_last = now
        late = self._body_active - BODY_GRACE
        if late > 0 and self._body_bytes < self.min_body_rate * late:
            self._refuse_body()
            return
        self._body_timer = self.loop.call_later(BODY_TICK, self._body_check)

    def _refuse_body(self) -> None:
        """408 (if nothing was answered yet) and the connection closed; the application reads a disconnect
        (a client gone: one quiet line, app/factory.py), and whatever it answers later goes nowhere."""
        closures()
        cycle = self.cycle
        if not cycle.response_started:
            message = translate(TOO_SLOW, request_lang(Request(dict(self.scope))))
            body = json.dumps({"error": {"code": "request_timeout", "message": message}}, ensure_ascii=False)
            data = body.encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                b"content-length: " + str(len(data)).encode() + b"\r\n\r\n" + data
            )
        cycle.disconnected = True
        cycle.message_event.set()
        self.transport.close()


def protocol(header_timeout: float, min_body_rate: float, max_connections: int) -> type[SlowClientsProtocol]:
    """The protocol class for uvicorn's `http=` (app/cli.py server_options), with these limits."""
    return type(
        "SlowClientsProtocol",
        (SlowClientsProtocol,),
        {"header_timeout": header_timeout, "min_body_rate": min_body_rate, "max_connections": max_connections},
    )


__all__ = ["SlowClientsProtocol", "default_max_connections", "protocol", "raise_open_files"]
