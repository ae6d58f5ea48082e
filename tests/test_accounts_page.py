"""The administrator's accounts page and its list: the administrator sees every account, locked ones too, with its
state; the secretariat, a member and a guest are refused (the page and the list)."""

from __future__ import annotations

import pytest

from accounts.models import GlobalRole
from tests.conftest import LiveServer
from tests.factories import make_cabinet, make_user
from tests.live import login


@pytest.mark.service_pair("accounts.directory.list_accounts")
async def test_only_the_administrator_lists_accounts_locked_ones_too(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    admin = make_user(live_server.db, GlobalRole.admin, "Quản Trị Viên")
    boss = await login(live_server.url, admin.username)
    try:
        locked = await boss.patch(f"/api/users/{c.members[1].id}", json={"is_active": False})
        assert locked.status_code == 200, locked.text
        listed = (await boss.get("/api/accounts")).json()  # allowed
        by_name = {a["username"]: a for a in listed}
        assert by_name[c.members[1].username]["is_active"] is False  # locked: still listed, and says so
        assert by_name[c.members[0].username]["is_active"] is True and by_name[admin.username]["me"] is True
        assert c.members[1].username not in {u["username"] for u in (await boss.get("/api/users")).json()}
        page = await boss.get("/users")
        assert page.status_code == 200 and "Quản lý tài khoản" in page.text
        for who in (c.staff, c.members[0], c.guest):  # denied
            client = await login(live_server.url, who.username)
            try:
                r = await client.get("/api/accounts")
                assert r.status_code == 403 and "quản trị viên" in r.json()["error"]["message"]
                assert (await client.get("/users")).status_code == 403
            finally:
                await client.aclose()
    finally:
        await boss.aclose()
