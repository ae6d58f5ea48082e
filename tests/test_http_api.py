"""The REST edge on a real server: login, CSRF, the error envelope for every kind of bad request."""

from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest

from accounts.models import GlobalRole
from accounts.schemas import UserCreate
from accounts.services import create_user
from app.domains import http_routes
from starlette.routing import Route
from app.db import Database
from infra.settings import Settings
from tests.conftest import LiveServer, running
from tests.pg import fresh_database
from tests.factories import PASSWORD, make_cabinet, make_user
from tests.live import login


async def test_login_sets_httponly_cookie_and_me_answers(live_server: LiveServer) -> None:
    user = make_user(live_server.db, name="Đỗ Thị Ngọc Ánh")
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        me = await client.get("/api/me")
        assert me.json()["user"]["full_name"] == "Đỗ Thị Ngọc Ánh"
        out = await client.post("/api/auth/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
        assert out.status_code == 200
        assert (await client.get("/api/me")).status_code == 401


async def test_wrong_password_same_message_as_unknown_user_then_rate_limited(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        wrong = await client.post("/api/auth/login", json={"username": user.username, "password": "sai-mat-khau-1"})
        unknown = await client.post("/api/auth/login", json={"username": "khong-ton-tai", "password": "sai-mat-khau-1"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]
        for _ in range(5):
            await client.post("/api/auth/login", json={"username": user.username, "password": "sai"})
        limited = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"


async def test_a_short_correct_password_gets_the_same_answer_as_a_wrong_one(live_server: LiveServer) -> None:
    """Outside demo mode a short password set for the demo is refused, without telling a guesser it was right."""
    data = UserCreate(username="ngan", full_name="Mật Khẩu Ngắn", role=GlobalRole.member, password="demo")
    live_server.db.run_write(create_user, actor=None, data=data, min_length=10, enforce_policy=False)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        right = await client.post("/api/auth/login", json={"username": "ngan", "password": "demo"})
        wrong = await client.post("/api/auth/login", json={"username": "ngan", "password": "dema"})
        assert right.status_code == wrong.status_code == 401 and right.content == wrong.content
        assert "set-cookie" not in right.headers


async def test_state_changes_need_the_csrf_token(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    http = await login(live_server.url, c.chair.username)
    token = http.headers.pop("X-CSRF-Token")
    r = await http.post(f"/api/meetings/{c.meeting_id}/start")
    assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
    r = await http.post(f"/api/meetings/{c.meeting_id}/start", json={"force": True}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["state"] == "started"
    await http.aclose()


async def test_the_chairs_tap_checks_the_session_and_the_csrf_token_before_it_moves_anything(
    live_server: LiveServer,
) -> None:
    """POST .../next resolves the session and writes in one worker-thread hop (web/auth.py write_as_user): the
    same refusals as every other state change, and nothing moves until they pass."""
    c = make_cabinet(live_server.db, start=True)
    chair = await login(live_server.url, c.chair.username)
    member = await login(live_server.url, c.members[0].username)
    anonymous = httpx.AsyncClient(base_url=live_server.url, timeout=20)
    token = chair.headers.pop("X-CSRF-Token")
    next_url = f"/api/meetings/{c.meeting_id}/next"
    try:
        r = await chair.post(next_url)
        assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
        r = await chair.post(next_url, headers={"X-CSRF-Token": "not-" + token})
        assert r.status_code == 403 and "CSRF" in r.json()["error"]["message"]
        r = await anonymous.post(next_url, headers={"X-CSRF-Token": token})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        r = await anonymous.post(next_url, headers={"X-CSRF-Token": token, "Cookie": "ecabinet_session=forged"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        r = await member.post(next_url)  # signed in, right token, but not the one who conducts
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = await chair.get(f"/api/meetings/{c.meeting_id}")
        assert r.json()["current_item_id"] == c.item_ids[0]  # nothing moved
        r = await chair.post(next_url, headers={"X-CSRF-Token": token})
        assert r.status_code == 200 and r.json()["current_item_id"] == c.item_ids[1]
    finally:
        for client in (chair, member, anonymous):
            await client.aclose()


async def test_error_envelope_for_unknown_forbidden_invalid(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        r = await staff.get("/api/meetings/999999")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = await staff.get("/api/khong-co")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        r = await member.post(f"/api/meetings/{c.meeting_id}/agenda", json={"title": "Thành viên tự thêm"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        r = await staff.post(f"/api/meetings/{c.meeting_id}/agenda", json={"title": 12, "planned_minutes": "nhiều"})
        assert r.status_code == 422
        fields = {d["field"] for d in r.json()["error"]["details"]}
        assert {"title", "planned_minutes"} <= fields
        r = await staff.post("/api/meetings", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
        r = await staff.patch(f"/api/meetings/{c.meeting_id}", json={"titel": "lỗi chính tả"})
        assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "titel"
        r = await staff.post(f"/api/meetings/{c.meeting_id}/publish")
        assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_state"
        r = await staff.delete(f"/api/meetings/{c.meeting_id}/agenda/777777")
        assert r.status_code == 404
        # Nothing was lost or half-written by the refusals.
        agenda = (await staff.get(f"/api/meetings/{c.meeting_id}/agenda")).json()
        assert [i["id"] for i in agenda] == c.item_ids
    finally:
        await staff.aclose()
        await member.aclose()


async def test_unauthenticated_api_is_401_and_pages_redirect_to_login(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.get("/api/meetings")
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        page = await client.get("/meetings/1")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        login_page = await client.get("/login")
        assert login_page.status_code == 200 and "Đăng nhập" in login_page.text


async def test_secretariat_prepares_and_publishes_over_rest_then_member_sees_it(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, publish=False)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        assert (await member.get("/api/meetings")).json() == []
        r = await staff.patch(
            f"/api/meetings/{c.meeting_id}", json={"mode": "hybrid", "scheduled_at": "2026-12-03T08:00:00+07:00"}
        )
        assert r.json()["mode"] == "hybrid" and r.json()["scheduled_at"] == "2026-12-03T01:00:00Z"
        r = await staff.post(
            f"/api/meetings/{c.meeting_id}/agenda/reorder", json={"item_ids": list(reversed(c.item_ids))}
        )
        assert [i["id"] for i in r.json()] == list(reversed(c.item_ids))
        r = await staff.patch(
            f"/api/meetings/{c.meeting_id}/participants/{c.members[1].id}", json={"role": "secretary"}
        )
        assert r.json()["role"] == "secretary"
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
        listed = (await member.get("/api/meetings")).json()
        assert [m["id"] for m in listed] == [c.meeting_id] and listed[0]["my_role"] == "member"
    finally:
        await staff.aclose()
        await member.aclose()


async def test_openapi_documents_every_api_route_and_health(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        doc = (await client.get("/api/openapi.json")).json()
        assert (await client.get("/healthz")).json() == {"status": "ok"}
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for route in http_routes():
        if isinstance(route, Route) and route.path.startswith("/api/"):
            path = route.path.replace(":int", "")
            for method in route.methods or ():
                if method != "HEAD":
                    assert (method, path) in documented, f"{method} {path} is not in the OpenAPI document"
    paths = doc["paths"]
    assert set(paths["/api/meetings"]["post"]["responses"]) >= {"201", "400", "401", "403", "413", "415", "422"}
    assert "200" not in paths["/api/meetings"]["post"]["responses"]
    assert paths["/api/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/SessionPublic"
    )
    upload = paths["/api/meetings/{meeting_id}/documents"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    assert upload["properties"]["file"] == {"type": "string", "format": "binary"} and "file" in upload["required"]
    assert paths["/api/meetings/{meeting_id}"]["get"]["parameters"][0]["schema"]["maximum"] == 2**63 - 1


async def test_language_switch_returns_to_the_same_local_page_only(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.get("/lang/en", headers={"referer": f"{live_server.url}/login?next=/meetings/1"})
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/meetings/1"
        assert "ecabinet_lang=en" in r.headers["set-cookie"]
        page = await client.get("/login")  # the client keeps the language cookie it was given
        assert "Log in" in page.text
        evil = await client.get("/lang/vi", headers={"referer": "https://evil.example//evil.example/x"})
        assert evil.headers["location"] == "/meetings"
        for broken in ("http://[::1", "http://[", "//[x"):  # no URL parser reads these: back to the list, not a 500
            odd = await client.get("/lang/vi", headers={"referer": broken})
            assert odd.status_code == 303 and odd.headers["location"] == "/meetings", broken


async def test_login_page_sends_a_logged_in_user_on_and_never_off_site(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    http = await login(live_server.url, user.username)
    try:
        r = await http.get("/login", params={"next": "/meetings/7"})
        assert r.status_code == 303 and r.headers["location"] == "/meetings/7"
        r = await http.get("/login", params={"next": "//evil.example/x"})
        assert r.headers["location"] == "/meetings"
    finally:
        await http.aclose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def either_server(request: pytest.FixtureRequest, settings: Settings, db: Database) -> AsyncIterator[LiveServer]:
    """The real server on SQLite, then on PostgreSQL (a fresh database)."""
    if request.param == "sqlite":
        async with running(settings) as live:
            yield live
        return
    with fresh_database() as url:
        async with running(settings.with_(database_url=url)) as live:
            yield live


async def test_the_chairs_tap_checks_the_cookie_every_time(either_server: LiveServer) -> None:
    """A write resolves its cookie first (infra/db.py: Database.write_as; on SQLite in a read of its own, on
    PostgreSQL as the write transaction's first statement): a tap is refused, and nothing moves, once the session
    expired, the account was deactivated, or the CSRF header is wrong or missing; the same tap with a live
    session and its token is accepted."""
    live_server = either_server
    from datetime import timedelta

    from sqlalchemy import text

    from accounts.services import session_key
    from core.clock import utcnow

    c = make_cabinet(live_server.db, start=True)
    chair = await login(live_server.url, c.chair.username)
    tap = f"/api/meetings/{c.meeting_id}/next"
    key = session_key(chair.cookies["ecabinet_session"])

    def sql(statement: str, **params: object) -> None:
        with live_server.db.engine.begin() as conn:
            conn.execute(text(statement), params)

    def current() -> int | None:
        with live_server.db.engine.connect() as conn:
            return conn.execute(text("SELECT current_item_id FROM meeting WHERE id = :m"), {"m": c.meeting_id}).scalar()

    try:
        first = current()
        r = await chair.post(tap, headers={"X-CSRF-Token": "sai"})
        assert r.status_code == 403 and current() == first
        async with httpx.AsyncClient(base_url=live_server.url) as bare:  # the cookie, without the CSRF header
            bare.cookies.set("ecabinet_session", chair.cookies["ecabinet_session"])
            assert (await bare.post(tap)).status_code == 403 and current() == first
        sql("UPDATE auth_session SET expires_at = :t WHERE token_hash = :k", t=utcnow() - timedelta(seconds=1), k=key)
        assert (await chair.post(tap)).status_code == 401 and current() == first
        sql("UPDATE auth_session SET expires_at = :t WHERE token_hash = :k", t=utcnow() + timedelta(hours=1), k=key)
        sql('UPDATE "user" SET is_active = :a WHERE id = :u', a=False, u=c.chair.id)
        assert (await chair.post(tap)).status_code == 401 and current() == first
        sql('UPDATE "user" SET is_active = :a WHERE id = :u', a=True, u=c.chair.id)
        assert (await chair.post(tap)).status_code == 200 and current() == c.item_ids[1]
    finally:
        await chair.aclose()
