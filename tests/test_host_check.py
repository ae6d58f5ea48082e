"""The Host check (web/hosts.py, DNS rebinding) against the real uvicorn, and the Secure-cookie default and start-up
warning (ECABINET_COOKIE_SECURE, ECABINET_PUBLIC_URL)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from infra.settings import Settings
from tests.conftest import LiveServer, running
from tests.factories import make_user
from tests.live import live_client
from web.hosts import allowed_hosts, warn_insecure_cookies

REBOUND = "attacker.example"


async def _raw(live: LiveServer, request: str) -> str:
    """One request as written (a Host header or none, an upgrade), its status line and headers as answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", live.settings.port)
    writer.write(request.encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    return head.decode("latin-1")


async def test_a_rebound_host_name_is_refused_and_the_sites_own_names_are_served(live_server: LiveServer) -> None:
    port = live_server.settings.port
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        for host in (f"{REBOUND}:{port}", REBOUND, "evil.localhost", "127.0.0.1.attacker.example"):
            r = await client.get("/login", headers={"Host": host})
            assert r.status_code == 400, host
            assert r.json()["error"]["code"] == "bad_host" and "địa chỉ chính thức" in r.json()["error"]["message"]
            assert r.headers["x-frame-options"] == "DENY"  # the refusal carries the security headers too
            login = await client.post(
                "/api/auth/login", json={"username": "x", "password": "y"}, headers={"Host": host}
            )
            assert login.status_code == 400  # no password is tried through a rebound name
            polling = await client.get("/socket.io/?EIO=4&transport=polling", headers={"Host": host})
            assert polling.status_code == 400
        english = await client.get("/login", headers={"Host": REBOUND, "Accept-Language": "en"})
        assert "official address" in english.json()["error"]["message"]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", "10.20.30.40:8000", f"[::1]:{port}"):
            assert (await client.get("/login", headers={"Host": host})).status_code == 200, host
    # The load balancer's health check (HTTP/1.0, no Host) and /healthz whatever its Host are answered.
    assert (await _raw(live_server, "GET /healthz HTTP/1.0\r\n\r\n")).startswith("HTTP/1.1 200")
    assert (await _raw(live_server, f"GET /healthz HTTP/1.1\r\nHost: {REBOUND}\r\n\r\n")).startswith("HTTP/1.1 200")


async def test_a_websocket_through_a_rebound_name_is_refused_and_the_socket_still_connects(
    live_server: LiveServer,
) -> None:
    upgrade = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    refused = await _raw(live_server, upgrade.format(host=REBOUND))
    assert refused.startswith("HTTP/1.1 403"), refused
    accepted = await _raw(live_server, upgrade.format(host=f"127.0.0.1:{live_server.settings.port}"))
    assert accepted.startswith("HTTP/1.1 101"), accepted
    user = make_user(live_server.db)
    sio, http = await live_client(live_server.url, user.username)  # a real tablet's socket still connects
    try:
        assert sio.sio.connected
    finally:
        await sio.close()
        await http.aclose()


def test_the_allowed_names_come_from_the_public_url_and_the_host(settings: Settings) -> None:
    named = settings.with_(public_url="https://ECabinet.example.gov.vn/", host="intranet-7")
    assert allowed_hosts(named) == {"ecabinet.example.gov.vn", "intranet-7", "localhost", "127.0.0.1", "::1"}
    explicit = Settings.from_env({"ECABINET_ALLOWED_HOSTS": "a.example, B.example"})
    assert allowed_hosts(explicit) == {"a.example", "b.example"}


async def test_configured_names_are_served_and_a_star_accepts_any(settings: Settings, db) -> None:
    async with running(settings.with_(allowed_hosts=("ecabinet.example.gov.vn",))) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            assert (await client.get("/login", headers={"Host": "ecabinet.example.gov.vn"})).status_code == 200
            assert (await client.get("/login", headers={"Host": "localhost"})).status_code == 400  # the list is all
            assert (await client.get("/login", headers={"Host": "127.0.0.1"})).status_code == 200  # an address
    async with running(settings.with_(allowed_hosts=("*",))) as live:
        async with httpx.AsyncClient(base_url=live.url) as client:
            assert (await client.get("/login", headers={"Host": REBOUND})).status_code == 200


def test_cookies_are_secure_by_default_behind_an_https_public_url() -> None:
    assert Settings(public_url="https://ecabinet.example.gov.vn").cookie_secure is True
    assert Settings(public_url="http://ecabinet.example.gov.vn").cookie_secure is False
    assert Settings().cookie_secure is False
    assert Settings(public_url="https://ecabinet.example.gov.vn", cookie_secure=False).cookie_secure is False
    env = {"ECABINET_PUBLIC_URL": "https://ecabinet.example.gov.vn"}
    assert Settings.from_env(env).cookie_secure is True
    assert Settings.from_env({**env, "ECABINET_COOKIE_SECURE": "false"}).cookie_secure is False


def test_a_real_server_beyond_loopback_without_secure_cookies_warns_at_start(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from app.factory import create_app

    with caplog.at_level(logging.WARNING, logger="ecabinet.hosts"):
        create_app(settings.with_(host="0.0.0.0"))
    assert any("ECABINET_COOKIE_SECURE" in r.getMessage() for r in caplog.records), caplog.text
    assert warn_insecure_cookies(settings.with_(host="10.0.0.5"))
    for quiet in (
        settings,  # 127.0.0.1
        settings.with_(host="localhost"),
        settings.with_(host="::1"),
        settings.with_(host="0.0.0.0", demo_mode=True),
        settings.with_(host="0.0.0.0", cookie_secure=True),
    ):
        assert not warn_insecure_cookies(quiet), quiet.host
