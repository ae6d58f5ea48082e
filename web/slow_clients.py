"""uvicorn's HTTP protocol (httptools) with the deadlines and the cap uvicorn lacks, so that a client holding
connections open cannot take every file descriptor of the process (docs/deployment.md "Slow clients"):

- headers: a connection that has not completed a request's headers within `header_timeout` seconds of its
  opening (or of the first byte of its next request on a kept-alive connection) is closed. uvicorn's own
  keep-alive timeout stops at the first byte, so a client trickling a header line every few seconds, or sending
  nothing at all, held its connection for ever;
- body: a request body that arrives slower than `min_body_rate` bytes a second on average, once `BODY_GRACE`
  seconds have passed, is answered 408 and its connection closed. Only time the client could send counts: while
  uvicorn has paused reading because the application has not consumed what came (a large upload being written),
  the clock stops. A body still arriving once its request is answered (a 413 refused by Content-Length, a route
  ignoring its body) is read and dropped at the same rate and for `DRAIN_SECONDS` at most, then the connection
  is closed: before, nothing timed it (a byte every few seconds held the connection for ever, and any amount
  was read). Memory is bounded without a size limit here: uvicorn stops reading past 64 KB the application has
  not taken, and each route caps what it takes (web/http.py read_body, uploads);
- size: a request's head (request line and headers) longer than `max_header_bytes` in all, or with more than
  `MAX_HEADERS` header lines, is answered 431, and a URL longer than `MAX_URL_BYTES` 414, then the connection
  is half-closed (what still comes is read and dropped for `LINGER` seconds, so the client reads the answer
  rather than a reset) and closed. The bytes of a head are counted as they arrive, before the parser sees
  them: neither httptools nor uvicorn bounds a header, so an 8 MB header line was answered 200 and a 64 MB one
  held ~80 MB until the header deadline. Exact for each request's head but that of a pipelined request
  beginning in the same read as the previous body, which is bounded by one read (256 KB) more; websocket
  upgrades are requests like any other here;
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
`disconnected`, `message_event`; for the size limits (tests/test_header_limits.py checks them) `data_received`
(feeds the parser; on its error calls `send_400_response`, on an upgrade `handle_websocket_upgrade`), `on_url`
(fills `url`), `on_header` (fills `headers`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
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
DRAIN_SECONDS = 30.0  # a body still arriving after its answer is read (and dropped) this long at most (nginx's
# lingering_time): the browser of a refused upload then reads the 413 rather than a reset
SLACK = 32  # connections past max_connections that are still read (to be answered 503) before new ones are dropped
FD_HEADROOM = 256  # descriptors kept for the database, files, worker pipes, logs (at least; 1/8 of a large limit)
BUSY = N_("Máy chủ đang quá tải; vui lòng thử lại sau giây lát.")
MAX_HEADERS = 100  # header lines of one request (a browser sends ~20, a proxy adds a few)
MAX_URL_BYTES = 16 * 1024  # a search of 200 Vietnamese characters is ~2 KB percent-encoded
LINGER = 2.0  # seconds a refused connection is still read (and dropped) after its answer, before it is closed
HEAD_END = re.compile(rb"\r?\n\r?\n")  # the empty line that ends a head (llhttp refuses a bare LF anyway)
HEAD_TOO_LARGE = N_("Phần đầu của yêu cầu (cookie, tiêu đề) quá lớn; hãy xóa cookie của trang này rồi thử lại.")
URL_TOO_LONG = N_("Địa chỉ của yêu cầu quá dài.")
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


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a head refused by size (httptools then raises a parser
    error, which `send_400_response` turns into the refusal)."""


def _raw_answer(status: str, code: str, message: str) -> bytes:
    """A JSON error answer written straight to the transport (no request cycle to answer through)."""
    data = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    return (
        b"HTTP/1.1 " + status.encode() + b"\r\ncontent-type: application/json\r\nconnection: close\r\n"
        b"content-length: " + str(len(data)).encode() + b"\r\n\r\n" + data
    )


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
    max_header_bytes: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_bytes = 0
        self._body_active = 0.0  # seconds the client could send the body
        self._body_last = 0.0
        self._drain_since: float | None = None  # when the answer was complete, its body still arriving
        self._in_head = True  # the bytes arriving belong to a request's head (or the gap before one)
        self._head = 0  # bytes of the current head so far
        self._tail = b""  # its last bytes: the empty line ending it may straddle two reads
        self._header_count = 0
        self._refusal: tuple[str, str, str] | None = None  # status line, code, message of a head refused
        self._upgraded = False
        self._linger: asyncio.TimerHandle | None = None

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
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Feeds a head to the parser only up to its empty line, counting it: a head that would pass
        `max_header_bytes` is refused before its excess is parsed (what the parser holds stays bounded)."""
        if self._refusal is not None:
            return  # lingering after the answer: dropped
        while data:
            if not self._in_head:  # a body (and whatever follows it in this read): uvicorn's own path
                super().data_received(data)
                return
            end = self._head_end(data)
            take = len(data) if end < 0 else end
            room = self.max_header_bytes - self._head
            if take > room:
                if room > 0:  # the complete headers up to the limit are read: the answer's language
                    super().data_received(data[:room])
                if self._refusal is None and not self.transport.is_closing():
                    self._refuse_head("431 Request Header Fields Too Large", "headers_too_large", HEAD_TOO_LARGE)
                return
            piece, data = data[:take], data[take:]
            self._head += take
            self._tail = b"" if end >= 0 else (self._tail + piece[-3:])[-3:]
            super().data_received(piece)
            if self._refusal is not None or self._upgraded or self.transport.is_closing():
                return

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0
        if self._header_timer is None:  # the next request of a kept-alive connection: its first byte
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > MAX_URL_BYTES:
            self._refusal = ("414 URI Too Long", "url_too_long", URL_TOO_LONG)
            raise _Refused
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > MAX_HEADERS:
            self._refusal = ("431 Request Header Fields Too Large", "headers_too_large", HEAD_TOO_LARGE)
            raise _Refused
        super().on_header(name, value)

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:  # the parser stopped because a callback refused the head
            self._refuse_head(*self._refusal)
        else:
            super().send_400_response(msg)

    def handle_websocket_upgrade(self) -> None:
        self._upgraded = True  # the transport now belongs to the websocket protocol: nothing more is fed here
        super().handle_websocket_upgrade()

    def on_headers_complete(self) -> None:
        self._in_head = False
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
        if not upgrade:
            self._body_bytes, self._body_active, self._body_last = 0, 0.0, self.loop.time()
            self._drain_since = None
            self._body_timer = self.loop.call_later(BODY_TICK, self._body_check)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._in_head, self._head, self._tail = True, 0, b""
        super().on_message_complete()

    # --- deadlines -------------------------------------------------------------------------------------------

    def _stop_timers(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._body_timer = None

    def _head_end(self, data: bytes) -> int:
        """Where in `data` the current head ends (just past its empty line), or -1."""
        if self._tail:
            joint = self._tail + data[:3]
            found = HEAD_END.search(joint)
            if found and found.end() > len(self._tail):
                return found.end() - len(self._tail)
        found = HEAD_END.search(data)
        return found.end() if found else -1

    def _refuse_head(self, status: str, code: str, msgid: str) -> None:
        """The refusal in the caller's language (from the headers read so far, else Vietnamese); then the
        connection half-closed and read (dropping what comes) for LINGER seconds: closing at once, with the
        client still sending its head, would reset the connection and lose the answer."""
        self._refusal = (status, code, msgid)
        self._stop_timers()
        closures()
        scope = dict(self.scope) if self.scope is not None else {"type": "http", "headers": []}
        self.transport.write(_raw_answer(status, code, translate(msgid, request_lang(Request(scope)))))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self._linger = self.loop.call_later(LINGER, self.transport.close)
        else:
            self.transport.close()

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
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        now = self.loop.time()
        if cycle.response_complete:  # answered without reading it all (a 413, a route ignoring its body)
            self._drain_since = self._drain_since or now
            if now - self._drain_since > DRAIN_SECONDS:
                self._refuse_body()
                return
        if not self.flow.read_paused:  # paused: the application has not read what came; not the client's time
            self._body_active += now - self._body_last
        self._body_last = now
        late = self._body_active - BODY_GRACE
        if self.min_body_rate and late > 0 and self._body_bytes < self.min_body_rate * late:
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
            self.transport.write(_raw_answer("408 Request Timeout", "request_timeout", message))
        cycle.disconnected = True
        cycle.message_event.set()
        self.transport.close()


def protocol(
    header_timeout: float, min_body_rate: float, max_connections: int, max_header_bytes: int = 64 * 1024
) -> type[SlowClientsProtocol]:
    """The protocol class for uvicorn's `http=` (app/cli.py server_options), with these limits."""
    limits = {
        "header_timeout": header_timeout,
        "min_body_rate": min_body_rate,
        "max_connections": max_connections,
        "max_header_bytes": max_header_bytes,
    }
    return type("SlowClientsProtocol", (SlowClientsProtocol,), limits)


__all__ = ["SlowClientsProtocol", "default_max_connections", "protocol", "raise_open_files"]
