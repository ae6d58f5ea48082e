"""The administrator locks or unlocks an account, changes its role, resets its password; a user changes their own
password. Each ends the sessions it must (their sockets close), each is refused to whoever may not. Real uvicorn."""

from __future__ import annotations

import httpx
import pytest

from accounts.models import GlobalRole
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_cabinet, make_user
from tests.live import live_client, login
from tests.waiting import eventually

NEW = "Mật-khẩu-mới-của-tôi-2027"


@pytest.mark.service_pair("accounts.services.update_user")
async def test_only_the_administrator_locks_an_account_and_its_tablets_sign_out(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    admin_user = make_user(live_server.db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin, staff = await login(live_server.url, admin_user.username), await login(live_server.url, c.staff.username)
    tablet, member = await live_client(live_server.url, c.members[0].username)
    url = f"/api/users/{c.members[0].id}"
    try:
        assert (await tablet.join(c.meeting_id))["ok"]
        for who in (staff, member):  # denied: the secretariat, the user themself
            assert (await who.patch(url, json={"is_active": False})).status_code == 403
        assert (await member.get("/api/me")).status_code == 200
        locked = await admin.patch(url, json={"is_active": False})  # allowed: the administrator
        assert locked.status_code == 200, locked.text
        assert (await member.get("/api/me")).status_code == 401  # the session ended
        await eventually(lambda: not tablet.sio.connected, "the locked member's tablet to close")
        async with httpx.AsyncClient(base_url=live_server.url) as again:
            r = await again.post("/api/auth/login", json={"username": c.members[0].username, "password": PASSWORD})
            assert r.status_code == 401
        assert (await admin.patch(url, json={"is_active": True})).status_code == 200
        assert (await login(live_server.url, c.members[0].username)).cookies["ecabinet_session"]
        # the administrator never locks or demotes themself; a null is refused, not taken as "no change"
        me = f"/api/users/{admin_user.id}"
        assert (await admin.patch(me, json={"is_active": False})).status_code == 409
        assert (await admin.patch(me, json={"role": "member"})).status_code == 409
        assert (await admin.patch(url, json={"role": None})).status_code == 422
        assert (await admin.patch(url, json={"role": "emperor"})).status_code == 422
        assert (await admin.patch("/api/users/999999", json={"is_active": False})).status_code == 404
    finally:
        await tablet.close()
        for client in (admin, staff, member):
            await client.aclose()


async def test_a_reset_password_and_a_new_role_end_the_users_sessions(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    admin_user = make_user(live_server.db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin = await login(live_server.url, admin_user.username)
    member = await login(live_server.url, c.members[1].username)
    url = f"/api/users/{c.members[1].id}"
    try:
        assert (await admin.patch(url, json={"password": "123"})).status_code == 422  # the policy holds for a reset
        done = await admin.patch(url, json={"password": NEW})
        assert done.status_code == 200 and (await member.get("/api/me")).status_code == 401
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            old = await client.post("/api/auth/login", json={"username": c.members[1].username, "password": PASSWORD})
            assert old.status_code == 401
        fresh = await login(live_server.url, c.members[1].username, NEW)
        promoted = await admin.patch(url, json={"role": "secretariat"})
        assert promoted.status_code == 200 and promoted.json()["role"] == "secretariat"
        assert (await fresh.get("/api/me")).status_code == 401  # signs in again, with the new role
        await fresh.aclose()
    finally:
        await admin.aclose()
        await member.aclose()


async def test_a_user_changes_their_password_and_their_other_sessions_end(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    here = await login(live_server.url, c.members[2].username)
    there = await login(live_server.url, c.members[2].username)  # the same user on another tablet
    try:
        wrong = await here.post("/api/me/password", json={"current": "không đúng", "new": NEW})
        assert wrong.status_code == 403
        weak = await here.post("/api/me/password", json={"current": PASSWORD, "new": "123456"})
        assert weak.status_code == 422
        done = await here.post("/api/me/password", json={"current": PASSWORD, "new": NEW})
        assert done.status_code == 200 and done.json() == {"sessions_ended": 1}
        assert (await here.get("/api/me")).status_code == 200  # this session goes on
        assert (await there.get("/api/me")).status_code == 401  # the other tablet signs in again
        assert (await login(live_server.url, c.members[2].username, NEW)).cookies["ecabinet_session"]
    finally:
        await here.aclose()
        await there.aclose()
