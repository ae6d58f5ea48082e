"""A client that goes away in the middle of its request body (a dropped tablet, a closed tab) is nobody's error:
the server logs one quiet line, no 500 and no traceback, before login as after, and keeps serving."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from tests.conftest import LiveServer
from tests.waiting import eventually


async def _half_a_body(live: LiveServer, path: str, content_type: str, start: bytes) -> None:
    host, port = live.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: 100000\r\nOrigin: {live.url}\r\n\r\n".encode()
        + start
    )
    await writer.drain()
    writer.close()  # gone before the rest of the body
    await writer.wait_closed()


FILE_PART = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="bb.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
)


@pytest.mark.parametrize(
    "path, content_type, start",
    [
        ("/api/auth/login", "application/json", b'{"username": "khong-ai", "password": "'),
        ("/api/minutes/verify", "multipart/form-data; boundary=x", FILE_PART),
        ("/api/minutes/verify", "application/pdf", b"%PDF-1.7\n"),
    ],
)
async def test_a_body_cut_short_is_no_server_error(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, path: str, content_type: str, start: bytes
) -> None:
    caplog.set_level(logging.INFO)
    await _half_a_body(live_server, path, content_type, start)
    noticed = lambda: any("client closed the connection" in r.getMessage() for r in caplog.records)
    await eventually(noticed, "the server to notice the client left")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        assert (await client.get("/healthz")).status_code == 200  # and it keeps serving
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
