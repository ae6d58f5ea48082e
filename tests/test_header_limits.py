"""Size limits of a request's head (web/slow_clients.py) against the real uvicorn, with raw sockets: a head over
ECABINET_MAX_HEADER_BYTES, or with more than MAX_HEADERS lines, is answered 431 in the caller's language and
closed, a URL over MAX_URL_BYTES 414, a websocket upgrade likewise; an unfinished huge header costs the server
no memory worth measuring; a browser's real request (the app's cookies among 8 KB of others, a long search)
still passes, sent whole or byte by byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from urllib.parse import quote

from app.db import Database
from infra.settings import Settings
from tests.conftest import LiveServer, running
from tests.factories import make_user
from tests.live import login
from web import slow_clients

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
MB = 1 << 20


async def _open(live: LiveServer) -> Conn:
    return await asyncio.open_connection("127.0.0.1", live.settings.port)


def _head(live: LiveServer, path: str = "/healthz", *lines: str, end: bool = True) -> bytes:
    text = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.settings.port}\r\n" + "".join(f"{x}\r\n" for x in lines)
    return text.encode() + (b"\r\n" if end else b"")


async def _exchange(live: LiveServer, raw: bytes, pieces: int = 1) -> tuple[int, dict[str, Any], bytes]:
    """Sends `raw` (in `pieces` writes, each drained), then reads the answer until the server closes the
    connection; the client's writes failing once the server has answered is expected and ignored."""
    reader, writer = await _open(live)
    step = -(-len(raw) // pieces)

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            for i in range(0, len(raw), step):
                writer.write(raw[i : i + step])
                await writer.drain()

    sending = asyncio.create_task(send())
    got = b""
    try:
        async with asyncio.timeout(15):
            with contextlib.suppress(ConnectionError):
                while chunk := await reader.read(65536):
                    got += chunk
                    if b"connection: close" not in got.lower() and _complete(got):
                        break  # a kept-alive answer: complete, the server keeps the connection
    finally:
        sending.cancel()
        writer.close()
    head, _, body = got.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0
    return status, json.loads(body) if body.startswith(b"{") else {}, head


def _complete(got: bytes) -> bool:
    head, sep, body = got.partition(b"\r\n\r\n")
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return bool(sep) and len(body) >= int(line.split(b":")[1])
    return False


def _refused(status: int, body: dict[str, Any], code: str = "headers_too_large") -> str:
    assert status == (431 if code == "headers_too_large" else 414), (status, body)
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


async def test_huge_headers_many_headers_and_huge_cookies_are_refused_431(settings: Settings, db: Database) -> None:
    async with running(settings) as live:
        # 1 MB in one header: refused in the caller's language (Accept-Language read before the huge line)
        raw = _head(live, "/healthz", "Accept-Language: en", "X-A: " + "a" * MB)
        status, body, head = await _exchange(live, raw)
        assert _refused(status, body).startswith("The request's headers"), body
        assert b"connection: close" in head.lower()
        # no language sent: Vietnamese
        status, body, _ = await _exchange(live, _head(live, "/healthz", "X-A: " + "a" * MB))
        assert _refused(status, body).startswith("Phần đầu của yêu cầu"), body
        # 3 000 small headers (~40 KB, under the byte limit): the count refuses them
        many = [f"X-{i}: a" for i in range(3000)]
        status, body, _ = await _exchange(live, _head(live, "/healthz", "Accept-Language: en", *many))
        _refused(status, body)
        # a 200 KB cookie on an API route, written in small pieces: refused before the application parses it
        cookie = "Cookie: " + "; ".join(f"c{i}={'v' * 1000}" for i in range(200))
        status, body, _ = await _exchange(live, _head(live, "/api/meetings", cookie), pieces=50)
        _refused(status, body)
        # the server goes on serving
        status, _, _ = await _exchange(live, _head(live, "/healthz", "Connection: close"))
        assert status == 200


async def test_the_limit_is_exact_whatever_the_reads(settings: Settings, db: Database) -> None:
    """A head one byte under the configured limit passes, one byte over is refused, whether it comes in one
    write or in many (its empty line split across two reads too)."""
    async with running(settings.with_(max_header_bytes=16 * 1024)) as live:
        base = _head(live, "/healthz", "Connection: close", "X-Pad: ")
        fits = _head(live, "/healthz", "Connection: close", "X-Pad: " + "p" * (16 * 1024 - len(base)))
        assert len(fits) == 16 * 1024
        over = fits.replace(b"X-Pad: ", b"X-Pad: p")
        for pieces in (1, 7, 401):
            status, _, _ = await _exchange(live, fits, pieces)
            assert status == 200, pieces
            status, body, _ = await _exchange(live, over, pieces)
            _refused(status, body)
        # two kept-alive requests in one write, each near the limit: each head counted on its own
        status, _, head = await _exchange(live, fits.replace(b"Connection: close", b"X-Keep: 1") + fits)
        assert status == 200


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


async def test_an_unfinished_huge_header_costs_no_memory(settings: Settings, db: Database) -> None:
    """Before: 64 MB of one header line, never finished, raised the server's RSS by ~80 MB until the header
    deadline. The server runs in this process, so this process's RSS is the server's (the client reuses one
    1 MB buffer)."""
    async with running(settings.with_(header_timeout_seconds=60)) as live:
        chunk = b"a" * MB
        await _exchange(live, _head(live, "/healthz", "Connection: close"))  # warmed up
        before, peak, sent = _rss_mb(), 0.0, 0
        reader, writer = await _open(live)
        writer.write(_head(live, "/healthz", end=False) + b"X-A: ")
        with contextlib.suppress(ConnectionError):
            while sent < 64 * MB:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                peak = max(peak, _rss_mb())
        assert peak - before < 10, f"RSS grew {peak - before:.1f} MB for {sent / MB:.0f} MB sent"
        answer = await reader.read(65536)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431"), answer[:100]


async def test_a_browser_request_with_8_kb_of_cookies_and_a_long_search_passes(
    settings: Settings, db: Database
) -> None:
    make_user(db, username="tim.kiem")
    async with running(settings) as live:
        client = await login(live.url, "tim.kiem")
        session = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        csrf = client.headers["X-CSRF-Token"]
        await client.aclose()
        others = "; ".join(f"_ga_{i}={'x' * 200}" for i in range(40))  # cookies of other sites on the domain
        q = quote(("Nghị quyết về dự toán ngân sách nhà nước của các bộ, ngành " * 4)[:200])  # the longest allowed
        chrome = [
            'sec-ch-ua: "Chromium";v="128", "Not;A=Brand";v="24"',
            "sec-ch-ua-mobile: ?0",
            'sec-ch-ua-platform: "Linux"',
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128 Safari",
            "Accept: application/json",
            "Sec-Fetch-Site: same-origin",
            "Sec-Fetch-Mode: cors",
            "Sec-Fetch-Dest: empty",
            f"Referer: http://127.0.0.1:{live.settings.port}/search?q={q}",
            "Accept-Encoding: gzip, deflate, br, zstd",
            "Accept-Language: vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7",
            f"X-CSRF-Token: {csrf}",
            f"Cookie: {others}; ecabinet_lang=en; {session}",
            "Connection: close",
        ]
        raw = _head(live, f"/api/search?q={q}&limit=20", *chrome)
        assert len(raw) > 9 * 1024 and len(others) >= 8000
        for pieces in (1, 9):
            status, body, _ = await _exchange(live, raw, pieces)
            assert status == 200 and isinstance(body, dict), (status, body)


async def test_a_websocket_upgrade_with_a_huge_header_is_refused(settings: Settings, db: Database) -> None:
    async with running(settings) as live:
        origin = f"Origin: http://127.0.0.1:{live.settings.port}"
        upgrade = [
            origin,
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
        ]
        path = "/socket.io/?EIO=4&transport=websocket"
        reader, writer = await _open(live)
        writer.write(_head(live, path, *upgrade))
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
        assert first.startswith(b"HTTP/1.1 101"), first  # the same request, small: upgraded
        status, body, _ = await _exchange(live, _head(live, path, *upgrade, "X-A: " + "a" * MB))
        _refused(status, body)
        status, body, _ = await _exchange(live, _head(live, path, *upgrade, *[f"X-{i}: a" for i in range(500)]))
        _refused(status, body)


async def test_a_huge_url_is_answered_414(settings: Settings, db: Database) -> None:
    async with running(settings) as live:
        for size in (20 * 1024, 2 * MB):  # under the head limit (the URL limit refuses), and far over it
            path = "/healthz?q=" + "a" * size
            status, body, _ = await _exchange(live, _head(live, path, "Accept-Language: en"), pieces=3)
            # refused before any header is read: the language is not known yet, so Vietnamese
            assert _refused(status, body, "url_too_long") == "Địa chỉ của yêu cầu quá dài.", body
        status, body, _ = await _exchange(live, _head(live, "/healthz?q=" + "a" * 15000, "Connection: close"))
        assert status == 200 and slow_clients.MAX_URL_BYTES == 16 * 1024


async def test_a_body_arriving_after_its_answer_is_drained_for_a_bounded_time(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: once a request was answered, the rest of its body (never read by the route) had no deadline at
    all: a byte every 3 s held the connection for ever, and any amount was read."""
    monkeypatch.setattr(slow_clients, "BODY_GRACE", 0.5)  # 5 s in production
    monkeypatch.setattr(slow_clients, "DRAIN_SECONDS", 2.0)  # 30 s in production
    async with running(settings.with_(min_body_bytes_per_second=1000)) as live:
        head = _head(live, "/healthz", "Content-Length: 1000000000", end=False) + b"\r\n"
        for every, chunk in ((0.2, b"x"), (0.0, b"y" * MB)):  # a trickle (the rate), a flood (the drain time)
            reader, writer = await _open(live)
            writer.write(head + b"abc")
            assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).startswith(b"HTTP/1.1 200")
            started = asyncio.get_running_loop().time()

            async def send(writer: asyncio.StreamWriter = writer, chunk: bytes = chunk, every: float = every) -> None:
                with contextlib.suppress(ConnectionError):
                    while True:
                        writer.write(chunk)
                        await writer.drain()
                        await asyncio.sleep(every)

            sending = asyncio.create_task(send())
            with contextlib.suppress(ConnectionError):
                async with asyncio.timeout(15):
                    while await reader.read(65536):
                        pass
            sending.cancel()
            writer.close()
            assert asyncio.get_running_loop().time() - started < 10, every


def test_what_the_size_limits_rely_on_in_uvicorn() -> None:
    """Fails when an upgrade of uvicorn changes what the head limits override or read (they would silently stop
    counting, or a refusal answer 400)."""
    import inspect

    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    for name in ("data_received", "on_url", "on_header", "send_400_response", "handle_websocket_upgrade"):
        assert callable(getattr(HttpToolsProtocol, name, None)), name
    feeding = inspect.getsource(HttpToolsProtocol.data_received)
    assert "feed_data" in feeding and "send_400_response" in feeding and "handle_websocket_upgrade" in feeding
    assert "self.url += url" in inspect.getsource(HttpToolsProtocol.on_url)
    assert "self.headers.append" in inspect.getsource(HttpToolsProtocol.on_header)
