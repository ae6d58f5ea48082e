"""Security headers on every answer (every route of the routing table, static files, errors, the socket
endpoint and refused websocket upgrades), CSRF on every state-changing route, cookies and sessions."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import httpx
import pytest
import websockets
from websockets.typing import Origin
from starlette.routing import Mount, Route

from tests.conftest import LiveServer, running
from tests.factories import PASSWORD, make_cabinet, make_user
from tests.live import login

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
}
CSP_MUST = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "connect-src 'self'",
    "img-src 'self' data: blob:",
]


FRAMED_BY_SELF = ("/minutes.pdf",)  # the minutes page previews the PDF in its own <iframe>


def assert_secure_headers(r: httpx.Response, what: str) -> None:
    csp = r.headers.get("content-security-policy", "")
    expected, must = EXPECTED, CSP_MUST
    if r.request.url.path.endswith(FRAMED_BY_SELF) and r.status_code == 200:
        expected = {**EXPECTED, "x-frame-options": "SAMEORIGIN"}
        must = [
            p.replace("frame-ancestors 'none'", "frame-ancestors 'self'") for p in CSP_MUST if "object-src" not in p
        ]
    for name, value in expected.items():
        assert r.headers.get(name) == value, (what, r.status_code, name, dict(r.headers))
    for part in must:
        assert part in csp, (what, part, csp)
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp
    # exactly WebAssembly compilation (libsodium, secret ballots) is allowed beyond 'self', never JS eval
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp, csp
    assert r.headers.get("referrer-policy") in ("same-origin", "no-referrer"), what
    assert (
        "camera=(self)" in r.headers.get("permissions-policy", "")
        and "microphone=(self)" in r.headers["permissions-policy"]
    )


def web_routes(live: LiveServer) -> list[Route | Mount]:
    return live.app.app.other_asgi_app.routes  # SecurityHeaders → socket.io ASGIApp → Starlette


def concrete(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids.get(m.group(1), 1)), path)


def every_request(live: LiveServer, ids: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for route in web_routes(live):
        if isinstance(route, Route):
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield method, concrete(route.path, ids)
    yield "GET", "/static/css/app.css"
    yield "GET", "/static/js/login.js"
    yield "GET", "/static/nope.js"  # 404 from the static files
    yield "GET", "/khong-co-trang-nay"  # 404
    yield "DELETE", "/api/me"  # 405
    yield "GET", "/api/meetings/99999999"  # domain error
    yield "GET", "/socket.io/?EIO=4&transport=polling"  # refused by engine.io (websocket only)


@pytest.fixture
def cabinet(live_server: LiveServer):
    c = make_cabinet(live_server.db)
    return c, {
        "meeting_id": c.meeting_id,
        "item_id": c.item_ids[0],
        "user_id": c.members[0].id,
        "lang": "en",
        "key": "opening",
    }


async def test_every_route_answers_with_the_security_headers_anonymous(live_server: LiveServer, cabinet) -> None:
    _, ids = cabinet
    seen = 0
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
        for method, path in every_request(live_server, ids):
            r = await client.request(method, path, json={} if method != "GET" else None)
            assert r.status_code < 500, (method, path, r.text)
            assert_secure_headers(r, f"{method} {path}")
            seen += 1
    assert seen > 60


async def test_every_page_and_api_read_logged_in_carries_the_headers_and_api_is_not_cached(
    live_server: LiveServer, cabinet
) -> None:
    c, ids = cabinet
    for who in (c.staff, c.members[0]):
        http = await login(live_server.url, who.username)
        try:
            for method, path in every_request(live_server, ids):
                if method != "GET" or path.startswith("/lang/"):
                    continue
                r = await http.get(path)
                assert r.status_code < 500, (path, r.text)
                assert_secure_headers(r, f"GET {path} as {who.username}")
                if path.startswith("/api/") and r.headers.get("content-type", "").startswith("application/json"):
                    assert "no-store" in r.headers.get("cache-control", ""), path
        finally:
            await http.aclose()


async def test_a_refused_websocket_upgrade_carries_the_headers(live_server: LiveServer) -> None:
    url = live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url, origin=Origin("http://evil.example")):
            pass
    response = refused.value.response
    assert response.status_code == 403
    headers = {k.lower(): v for k, v in response.headers.raw_items()}
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize(
    "lang, headers, message",
    [
        ("vi", {}, "Kết nối bị từ chối."),
        ("en", {"Accept-Language": "en-US,en;q=0.8"}, "The connection was refused."),
        ("cookie", {"Accept-Language": "vi", "Cookie": "ecabinet_lang=en"}, "The connection was refused."),
    ],
)
async def test_a_refused_websocket_upgrade_says_why_in_the_users_language(
    live_server: LiveServer, lang: str, headers: dict[str, str], message: str
) -> None:
    url = live_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url, origin=Origin("http://evil.example"), additional_headers=headers):
            pass
    response = refused.value.response
    assert response.status_code == 403, lang
    assert json.loads(response.body) == {"error": {"code": "forbidden", "message": message}}


async def test_every_state_changing_route_needs_the_csrf_token(live_server: LiveServer, cabinet) -> None:
    """A logged-in browser tricked into a request without the page's token changes nothing."""
    c, ids = cabinet
    exempt = {"/api/auth/login", "/api/minutes/verify"}  # the login checks Origin; verify is public and writes nothing
    for who in (c.staff, c.chair):
        http = await login(live_server.url, who.username)
        http.headers.pop("X-CSRF-Token")
        try:
            checked = 0
            for method, path in every_request(live_server, ids):
                if method in ("GET", "HEAD", "OPTIONS") or path in exempt or path == "/api/me":
                    continue
                files = {"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")} if path.endswith("/documents") else None
                r = await (http.request(method, path, files=files) if files else http.request(method, path, json={}))
                assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"], (
                    method,
                    path,
                    r.status_code,
                    r.text,
                )
                checked += 1
            assert checked > 30
        finally:
            await http.aclose()
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.post(
            "/api/auth/login",
            json={"username": c.staff.username, "password": PASSWORD},
            headers={"Origin": "http://evil.example"},
        )
        assert r.status_code == 403 and "set-cookie" not in r.headers


async def test_login_starts_a_new_session_and_ends_the_one_it_came_with(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    first = await login(live_server.url, user.username)
    planted = first.cookies["ecabinet_session"]
    try:
        r = await first.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert r.status_code == 200
        fresh = r.cookies["ecabinet_session"]
        assert fresh != planted
        async with httpx.AsyncClient(base_url=live_server.url) as other:
            assert (await other.get("/api/me", headers={"Cookie": f"ecabinet_session={planted}"})).status_code == 401
            assert (await other.get("/api/me", headers={"Cookie": f"ecabinet_session={fresh}"})).status_code == 200
    finally:
        await first.aclose()


async def test_logout_ends_the_session_on_the_server(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    http = await login(live_server.url, user.username)
    token = http.cookies["ecabinet_session"]
    assert (await http.post("/api/auth/logout")).status_code == 200
    await http.aclose()
    async with httpx.AsyncClient(base_url=live_server.url) as replay:
        assert (await replay.get("/api/me", headers={"Cookie": f"ecabinet_session={token}"})).status_code == 401


async def test_login_and_me_answer_nothing_beyond_the_public_profile(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    public = {"id", "username", "full_name", "title", "unit", "role"}
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert set(r.json()) == {"user", "csrf_token"} and set(r.json()["user"]) == public
        me = await client.get("/api/me")
        assert set(me.json()) == {"user", "csrf_token"} and set(me.json()["user"]) == public
        assert "no-store" in me.headers["cache-control"] and "no-store" in r.headers["cache-control"]


@pytest.fixture
def https_settings(settings):
    return settings.with_(cookie_secure=True)


async def test_over_https_the_cookie_is_host_prefixed_and_secure(https_settings, db) -> None:
    async with running(https_settings) as live:
        user = make_user(live.db)
        async with httpx.AsyncClient(base_url=live.url) as client:
            r = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
            cookie = r.headers["set-cookie"]
            assert cookie.startswith("__Host-ecabinet_session=") and "Domain" not in cookie
            for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
                assert flag in cookie
            assert r.headers["strict-transport-security"].startswith("max-age=")
            token = cookie.split(";")[0].split("=", 1)[1]
            headers = {"Cookie": f"__Host-ecabinet_session={token}"}
            assert (await client.get("/api/me", headers=headers)).status_code == 200
            plain = {"Cookie": f"ecabinet_session={token}"}  # the unprefixed name is not read over HTTPS
            assert (await client.get("/api/me", headers=plain)).status_code == 401
