"""A live socket is its login session: when the session ends other than by logout (it expires, the account is
deactivated, the user's role changes — by the CLI or on another node), the socket stops acting at once and stops
receiving within the recheck interval (realtime/recheck.py). Real uvicorn, real python-socketio clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from accounts.models import AuthSession, User
from core.actor import GlobalRole
from core.clock import utcnow
from infra.settings import Settings
from tests.conftest import LiveServer, serving
from tests.factories import make_cabinet
from tests.live import live_client
from tests.waiting import eventually


@pytest.fixture
async def quick(settings: Settings, db: object) -> AsyncIterator[LiveServer]:
    """A server that reads its sockets' sessions again every 0.1 s."""
    async with serving(LiveServer(settings.model_copy(update={"socket_recheck_seconds": 0.1}))) as live:
        yield live


def _deactivate(*, session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    assert user is not None
    user.is_active = False


def _expire_sessions(*, session: Session, user_id: int) -> None:
    for row in session.exec(select(AuthSession).where(AuthSession.user_id == user_id)):
        row.expires_at = utcnow() - timedelta(seconds=1)


def _make_admin(*, session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    assert user is not None
    user.role = GlobalRole.admin


async def test_a_deactivated_member_can_no_longer_act_over_an_open_socket(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    gone, gone_http = await live_client(live_server.url, c.members[0].username)
    kept, kept_http = await live_client(live_server.url, c.members[1].username)
    try:
        assert (await gone.join(c.meeting_id))["ok"] and (await kept.join(c.meeting_id))["ok"]
        live_server.db.run_write(_deactivate, user_id=c.members[0].id)
        refused = await gone.call("attendance:check_in", {"meeting_id": c.meeting_id, "attendance": "in_person"})
        assert refused["ok"] is False and refused["error"]["code"] == "unauthenticated", refused
        await eventually(lambda: not gone.sio.connected, "the deactivated member's socket to close")
        # the other member, still active, acts as before
        assert (await kept.call("meeting:sync", {"meeting_id": c.meeting_id, "since": kept.seq}))["ok"]
        assert kept.sio.connected
    finally:
        for client, http in ((gone, gone_http), (kept, kept_http)):
            await client.close()
            await http.aclose()


async def test_a_listening_socket_is_closed_when_its_session_expires(quick: LiveServer) -> None:
    c = make_cabinet(quick.db, start=True)
    expired, expired_http = await live_client(quick.url, c.members[0].username)
    kept, kept_http = await live_client(quick.url, c.members[1].username)
    chair, chair_http = await live_client(quick.url, c.chair.username)
    try:
        for client in (expired, kept, chair):
            assert (await client.join(c.meeting_id))["ok"]
        quick.db.run_write(_expire_sessions, user_id=c.members[0].id)
        await eventually(lambda: not expired.sio.connected, "the expired session's socket to close")
        # the room goes on for the others, and the closed tablet hears nothing more
        heard = len(expired.events)
        assert (await chair_http.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
        await kept.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert kept.sio.connected and chair.sio.connected
        assert len(expired.events) == heard
    finally:
        for client, http in ((expired, expired_http), (kept, kept_http), (chair, chair_http)):
            await client.close()
            await http.aclose()


async def test_a_user_whose_role_changed_is_closed_and_connects_again_with_the_new_role(quick: LiveServer) -> None:
    c = make_cabinet(quick.db, start=True)
    member, http = await live_client(quick.url, c.members[0].username)
    try:
        assert (await member.join(c.meeting_id))["ok"]
        quick.db.run_write(_make_admin, user_id=c.members[0].id)
        await eventually(lambda: not member.sio.connected, "the socket of the user whose role changed to close")
        await member.connect()  # the same cookie: the session is still live, with the new role
        assert (await member.join(c.meeting_id))["ok"]
    finally:
        await member.close()
        await http.aclose()
