"""One device behind the hall's address cannot keep the hall's tablets out (realtime/connect_limit.py): a flood of
bad connects spends the address's connect budget, yet the tablets and screens whose login (display link) this node
has seen work still connect, each within a budget of its own, and still read the database first; an unknown, logged
out or revoked credential keeps only the address's budget. Real uvicorn, real python-socketio clients."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import socketio
from sqlmodel import delete

from accounts.models import AuthSession
from accounts.services import session_key
from app.db import Database
from display import services as display
from infra.settings import Settings
from realtime import connect_limit
from tests.cluster_helpers import REDIS_URL, need_services
from tests.conftest import LiveServer, free_port, running
from tests.factories import call, make_cabinet
from tests.live import LiveClient, login
from tests.test_socket_handshake_limits import _count_admits
from tests.waiting import eventually

PER_ADDRESS = 10
BAD_COOKIE = "x" * 43


async def _connect(url: str, cookie: str | None = None, token: str | None = None) -> tuple[LiveClient | None, str]:
    """A tablet (a cookie) or a hall screen (a display token) connecting: the client, or the refusal's code."""
    client = LiveClient(url, cookie or "")
    refusals: list[Any] = []
    client.sio.on("connect_error", refusals.append)
    try:
        if token is not None:
            await client.sio.connect(url, transports=["websocket"], auth={"display_token": token}, wait_timeout=10)
        else:
            await client.connect()
    except socketio.exceptions.ConnectionError:
        return None, str(refusals[0]["data"]["code"]) if refusals else "no connect_error"
    return client, ""


async def _code(url: str, cookie: str | None = None, token: str | None = None) -> str:
    """One connect attempt's refusal code ("" when admitted; the socket is closed again)."""
    client, code = await _connect(url, cookie, token)
    if client is not None:
        await client.close()
    return code


async def _flood(url: str, reads: list[int]) -> None:
    """The misbehaving tablet: bad cookies until the address's budget is spent (each one read, then refused)."""
    reads.clear()
    codes = [await _code(url, BAD_COOKIE) for _ in range(PER_ADDRESS + 3)]
    assert codes == ["unauthenticated"] * PER_ADDRESS + ["rate_limited"] * 3, codes
    assert len(reads) == PER_ADDRESS, reads


async def test_a_known_tablet_reconnects_and_follows_its_meeting_while_the_flood_stays_refused(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", PER_ADDRESS)
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db, n_members=2, start=True)
    tablet_http = await login(live_server.url, c.members[0].username)
    chair_http = await login(live_server.url, c.chair.username)
    cookie = tablet_http.cookies["ecabinet_session"]
    try:
        tablet, code = await _connect(live_server.url, cookie)  # the meeting is under way: the tablet follows it
        assert tablet is not None and code == "", code
        assert (await tablet.join(c.meeting_id))["ok"]
        await tablet.close()  # the hall's Wi-Fi drops...
        await _flood(live_server.url, reads)  # ...while one device behind the same address floods
        tablet, code = await _connect(live_server.url, cookie)  # ...and comes back
        assert tablet is not None and code == "", code
        try:
            assert len(reads) == PER_ADDRESS + 1  # its login was still read: the database decides
            assert (await tablet.join(c.meeting_id))["ok"]
            assert (await chair_http.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
            env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
            assert env["data"]["current_item_id"] == c.item_ids[1]
            assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[1]
        finally:
            await tablet.close()
        # the flooding device stays refused, without a read; so does a login this node never saw work
        assert await _code(live_server.url, BAD_COOKIE) == "rate_limited"
        newcomer = await login(live_server.url, c.members[1].username)
        try:
            assert await _code(live_server.url, newcomer.cookies["ecabinet_session"]) == "rate_limited"
        finally:
            await newcomer.aclose()
        assert len(reads) == PER_ADDRESS + 1, reads
    finally:
        await tablet_http.aclose()
        await chair_http.aclose()


async def test_a_logged_out_or_revoked_session_does_not_ride_past_the_address_budget(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", PER_ADDRESS)
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db, n_members=2, start=True)
    leaving = await login(live_server.url, c.members[0].username)
    revoked = await login(live_server.url, c.members[1].username)
    cookies = [leaving.cookies["ecabinet_session"], revoked.cookies["ecabinet_session"]]
    actions = live_server.app.state.actions
    try:
        tablet, code = await _connect(live_server.url, cookies[0])
        assert tablet is not None and code == "", code
        assert await _code(live_server.url, cookies[1]) == ""
        await _flood(live_server.url, reads)
        # logout on this node: its socket closes, and its cookie has only the spent address budget again
        assert (await leaving.post("/api/auth/logout")).status_code in (200, 204)
        await eventually(lambda: not tablet.sio.connected, "the logged-out tablet's socket to close")
        assert await _code(live_server.url, cookies[0]) == "rate_limited"
        assert len(reads) == PER_ADDRESS, reads  # refused without a read
        # a session ended where this node did not see it (another node, the CLI): its one read refuses it, and it
        # is forgotten at once
        ended = delete(AuthSession).where(AuthSession.token_hash == session_key(cookies[1]))  # type: ignore[arg-type]
        live_server.db.run_write(lambda session: session.execute(ended))
        assert await _code(live_server.url, cookies[1]) == "unauthenticated"
        assert len(reads) == PER_ADDRESS + 1, reads
        assert session_key(cookies[1]) not in actions.known
        assert await _code(live_server.url, cookies[1]) == "rate_limited"
        assert len(reads) == PER_ADDRESS + 1, reads
    finally:
        await leaving.aclose()
        await revoked.aclose()


async def test_a_reconnect_storm_of_one_good_cookie_is_limited_and_other_tablets_keep_theirs(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", PER_ADDRESS)
    monkeypatch.setattr(connect_limit, "PER_CREDENTIAL", 5)
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db, n_members=2, start=True)
    https = [await login(live_server.url, m.username) for m in c.members]
    stolen, other = (h.cookies["ecabinet_session"] for h in https)
    try:
        assert [await _code(live_server.url, cookie) for cookie in (stolen, other)] == ["", ""]
        await _flood(live_server.url, reads)
        storm = []
        for _ in range(8):
            client, code = await _connect(live_server.url, stolen)
            storm.append(code)
            if client is not None:
                await client.close()
        assert storm == [""] * 5 + ["rate_limited"] * 3, storm
        assert len(reads) == PER_ADDRESS + 5, reads  # past its own budget, nothing is read
        client = LiveClient(live_server.url, stolen)
        refusals: list[Any] = []
        client.sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect()
        message = refusals[0]["data"]["message"]
        assert message.startswith("Có quá nhiều lần kết nối trực tiếp bằng cùng phiên đăng nhập"), message
        # another tablet of the hall still connects, on a budget of its own
        tablet, code = await _connect(live_server.url, other)
        assert tablet is not None and code == "", code
        try:
            assert (await tablet.join(c.meeting_id))["ok"]
        finally:
            await tablet.close()
    finally:
        for h in https:
            await h.aclose()


async def test_a_known_hall_screen_comes_back_and_a_revoked_link_is_refused(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", PER_ADDRESS)
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db, start=True)
    link = call(live_server.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    chair_http = await login(live_server.url, c.chair.username)
    try:
        assert await _code(live_server.url, token=link["token"]) == ""  # the screen showed the meeting
        await _flood(live_server.url, reads)
        screen, code = await _connect(live_server.url, token=link["token"])
        assert screen is not None and code == "", code
        try:
            assert (await screen.join(c.meeting_id))["ok"]
            assert (await chair_http.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
            env = await screen.wait_for(lambda e: e["type"] == "agenda.current_changed")
            assert env["data"]["current_item_id"] == c.item_ids[1]
        finally:
            await screen.close()
        # the link revoked: its next connect is read and refused, the one after is not read at all
        call(live_server.db, display.revoke_token, actor=c.staff, meeting_id=c.meeting_id, token_id=link["id"])
        reads.clear()
        assert await _code(live_server.url, token=link["token"]) == "unauthenticated"
        assert await _code(live_server.url, token=link["token"]) == "rate_limited"
        assert len(reads) == 1, reads
    finally:
        await chair_http.aclose()


async def test_a_known_cookies_own_budget_is_shared_by_the_nodes_sharing_redis(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_services()
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", 3)
    monkeypatch.setattr(connect_limit, "PER_CREDENTIAL", 4)
    shared = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(shared) as a, running(shared.with_(port=free_port())) as b:
        c = make_cabinet(a.db, n_members=1)
        http = await login(a.url, c.members[0].username)
        cookie = http.cookies["ecabinet_session"]
        try:
            assert [await _code(node.url, cookie) for node in (a, b)] == ["", ""]  # seen working by both nodes
            flood = [await _code((a, b)[i % 2].url, BAD_COOKIE) for i in range(5)]
            assert flood == ["unauthenticated"] * 3 + ["rate_limited"] * 2, flood
            storm = [await _code((a, b)[i % 2].url, cookie) for i in range(6)]
            assert storm == [""] * 4 + ["rate_limited"] * 2, storm
        finally:
            await http.aclose()
