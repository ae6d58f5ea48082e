"""The verifier names a login session that no login made: one inserted with SQL (a way in without the password)
or one whose user or expiry was changed; sessions made by logging in, and those ended by logging out, are clean."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from accounts.models import GlobalRole
from accounts.services import session_key
from audit import services as audit
from core.clock import utcnow
from tests.conftest import LiveServer
from tests.factories import make_cabinet, make_user
from tests.live import login


def _sql(live: LiveServer, statement: str, **params: Any) -> None:
    with live.db.engine.begin() as conn:
        conn.execute(text(statement), params)


async def test_a_session_inserted_or_extended_with_sql_is_named(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db)
    admin = make_user(db, GlobalRole.admin)
    member, leaving = (
        await login(live_server.url, c.members[0].username),
        await login(live_server.url, c.chair.username),
    )
    try:
        assert (await leaving.post("/api/auth/logout")).status_code in (200, 204)  # ended through the application
        clean = db.run_read(audit.verify_chain, actor=admin)
        assert clean["ok"] and clean["mismatches"] == [], clean
        forged = session_key("cookie-made-without-a-password")
        later = (utcnow() + timedelta(hours=12)).isoformat()
        _sql(
            live_server,
            "INSERT INTO auth_session (token_hash, user_id, csrf_token, created_at, expires_at) "
            "VALUES (:h, :u, 'x', :now, :later)",
            h=forged,
            u=admin.id,
            now=utcnow().isoformat(),
            later=later,
        )
        _sql(
            live_server,
            "UPDATE auth_session SET expires_at = :later WHERE user_id = :u",
            later="2099-01-01",
            u=c.members[0].id,
        )
        found = db.run_read(audit.verify_chain, actor=admin)["mismatches"]
        assert any(f"phiên đăng nhập của người dùng {admin.id}" in m and "ngoài ứng dụng" in m for m in found), found
        assert any(f"phiên đăng nhập của người dùng {c.members[0].id}: người dùng hoặc thời hạn" in m for m in found)
        assert not any(f"người dùng {c.chair.id} " in m or f"người dùng {c.chair.id}:" in m for m in found), found
    finally:
        await member.aclose()
        await leaving.aclose()
