"""Slow and surplus connections (web/slow_clients.py) against the real uvicorn, with raw sockets: a connection that
sends nothing, or trickles its headers, is closed at the header deadline while other requests are served; a body
trickling below the minimum rate is answered 408 and closed; past the connection cap a request is answered 503
(not 500, not a refused connection); and what the protocol relies on in uvicorn is still there."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, AsyncIterator

import httpx
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.cli import server_options
from app.db import Database
from infra.settings import Settings
from tests.conftest import LiveServer, running
from tests.waiting import eventually
from web import slow_clients

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open(live: LiveServer) -> Conn:
    return await asyncio.open_connection("127.0.0.1", live.settings.port)


async def _eof(conn: Conn, timeout: float = 10) -> bytes:
    """Everything the server sends until it closes the connection (fails if still open after `timeout`)."""
    reader, _ = conn
    got = b""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(ConnectionResetError):
            while chunk := await reader.read(65536):
                got += chunk
    return got


def _close(*conns: Conn) -> None:
    for _, writer in conns:
        writer.close()


def _answer(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body) if body.startswith(b"{") else {}


async def _get(live: LiveServer, path: str = "/healthz") -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
        return await client.get(path)


@contextlib.asynccontextmanager
async def _trickling(live: LiveServer, first: bytes, more: bytes, every: float) -> AsyncIterator[list[int]]:
    """A connection sending `first`, then `more` every `every` seconds until the server closes it; yields the
    count of writes so far (a list: read while it runs)."""
    reader, writer = await _open(live)
    sent = [0]

    async def trickle() -> None:
        writer.write(first)
        with contextlib.suppress(ConnectionError):
            while not reader.at_eof():
                await asyncio.sleep(every)
                writer.write(more)
                await writer.drain()
                sent[0] += 1

    task = asyncio.create_task(trickle())
    try:
        yield sent
    finally:
        task.cancel()
        writer.close()


async def test_idle_and_slow_header_connections_are_closed_while_others_are_served(
    settings: Settings, db: Database
) -> None:
    async with running(settings.with_(header_timeout_seconds=1.5)) as live:
        idle = await _open(live)
        slow_head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        async with _trickling(live, slow_head, b"X-Slow: 1\r\n", every=0.2) as sent:
            # served meanwhile, on other connections, the trickling one still open
            assert (await _get(live)).status_code == 200
            assert not idle[0].at_eof()
            assert await _eof(idle) == b""  # closed without an answer, as a proxy's header timeout does
            reader = await _open(live)  # a kept-alive connection whose next request trickles is closed too
            reader[1].write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\n")
            first = await _eof(reader)
            assert first.startswith(b"HTTP/1.1 200") and first.count(b"HTTP/1.1") == 1, first[:200]
            _close(reader)
        assert sent[0] >= 5, "the slow headers kept coming until the server closed the connection"
        assert (await _get(live)).status_code == 200
        _close(idle)


async def test_a_body_trickling_below_the_minimum_rate_is_refused(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(slow_clients, "BODY_GRACE", 0.5)  # 5 s in production
    caplog.set_level(logging.INFO)
    async with running(settings.with_(min_body_bytes_per_second=1000, header_timeout_seconds=30)) as live:
        head = (
            f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{live.settings.port}\r\nOrigin: {live.url}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\nAccept-Language: en\r\n\r\n"
        ).encode()
        async with _trickling(live, head + b'{"username": "a', b"a" * 20, every=0.2):
            assert (await _get(live)).status_code == 200  # others are served meanwhile
            reader = await _open(live)
            reader[1].write(head.replace(b"Accept-Language: en", b"Accept-Language: vi"))
            status, body = _answer(await _eof(reader))
            assert status == 408 and body["error"]["code"] == "request_timeout", body
            assert body["error"]["message"].startswith("Dữ liệu của yêu cầu đến quá chậm")
            _close(reader)
        # a body above the minimum rate is read to its end, however long it takes (its answer: not a timeout)
        login = b'{"username": "khong-ai", "password": "sai"}'.ljust(4000)
        steady, writer = await _open(live)
        writer.write(head.replace(b"Content-Length: 100000", b"Content-Length: 4000"))
        for n in range(0, 4000, 400):  # 2 000 bytes a second for 2 s
            await asyncio.sleep(0.2)
            writer.write(login[n : n + 400])
        status, _ = _answer(await steady.readuntil(b"\r\n\r\n"))
        assert status in (401, 422), status
        writer.close()
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text[:3000]


async def test_past_the_connection_cap_requests_are_answered_503(settings: Settings, db: Database) -> None:
    async with running(settings.with_(max_connections=4, header_timeout_seconds=30)) as live:
        idle = [await _open(live) for _ in range(4)]
        r = await _get(live)
        assert r.status_code == 503 and r.json()["error"]["code"] == "server_busy", r.text
        assert r.headers["retry-after"] == "5"
        # far past it a new connection is dropped at once, before anything is read: descriptors stay free
        more = [await _open(live) for _ in range(slow_clients.SLACK + 2)]
        assert await _eof(more[-1], timeout=5) == b""
        _close(*idle, *more)

        async def served() -> bool:
            return (await _get(live)).status_code == 200

        await eventually(served, "the cap frees as connections close")


def test_the_cap_leaves_descriptors_for_the_process() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = slow_clients.default_max_connections()
    assert cap + slow_clients.SLACK <= soft - slow_clients.FD_HEADROOM
    assert server_options(Settings())["http"].max_connections == cap
    assert server_options(Settings(max_connections=10))["http"].max_connections == 10


async def test_what_the_slow_client_protocol_relies_on_in_uvicorn(settings: Settings, db: Database) -> None:
    """Fails when an upgrade of uvicorn changes what web/slow_clients.py uses (then the deadlines would silently
    stop, or a connection break)."""
    config = uvicorn.Config(lambda *a: None, http="auto")
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol, "uvicorn's default protocol is not httptools any more"
    for name in (
        "connection_made",
        "connection_lost",
        "on_message_begin",
        "on_headers_complete",
        "on_body",
        "on_message_complete",
    ):
        assert callable(getattr(HttpToolsProtocol, name, None)), name
    seen: list[Any] = []
    base = server_options(settings)["http"]

    class Recording(base):  # type: ignore[misc, valid-type]
        def on_message_complete(self) -> None:
            super().on_message_complete()
            seen.append(self)

    live = LiveServer(settings)
    options = server_options(settings)
    options["http"] = Recording
    server = uvicorn.Server(uvicorn.Config(live.app, log_level="warning", **options))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started, "uvicorn to start")
        assert (await _get(live)).status_code == 200
        proto = seen[0]
        for name in ("transport", "flow", "connections", "cycle", "scope", "app", "parser", "loop"):
            assert hasattr(proto, name), name
        assert isinstance(proto.flow.read_paused, bool)
        assert proto in proto.connections or proto.transport.is_closing()
        assert proto.app is server.config.loaded_app  # what on_headers_complete starts the request with
        for name in ("response_started", "response_complete", "more_body", "disconnected", "message_event"):
            assert hasattr(proto.cycle, name), name
        assert callable(proto.parser.should_upgrade)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
