"""Room-display links end (display/services.py): with their meeting (the screen may show the closing state until
the end of that day on the organisation's clock), and with their creator's right to create them (deactivated,
or no longer the meeting's secretary). Pairs: the link that should still work does. Their fixed lifetime and the
creator's credential epoch: tests/test_display_link_validity.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import socketio
from sqlmodel import Session

from accounts import services as accounts
from accounts.models import GlobalRole
from accounts.schemas import UserUpdate
from app.db import Database
from core.clock import utcnow
from display import services as display
from meetings import display_rules
from meetings import participation
from meetings import services as meetings
from meetings.models import Meeting, MeetingRole
from meetings.schemas import ParticipantUpdate
from infra.settings import Settings
from tests.conftest import LiveServer, running
from tests.factories import call, make_cabinet, make_user

TZ = "Asia/Ho_Chi_Minh"


def _works(db: Database, token: str) -> bool:
    return db.run_read(display.resolve_actor, token=token, timezone=TZ) is not None


def _ended_days_ago(db: Database, meeting_id: int, days: int) -> None:
    def write(session: Session) -> None:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.ended_at = utcnow() - timedelta(days=days)
        session.add(meeting)

    db.run_write(write)


def test_a_link_works_until_the_end_of_the_day_its_meeting_ended(db: Database) -> None:
    c = make_cabinet(db, start=True)
    token = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    assert _works(db, token)  # ended just now: the room screen still shows the meeting today
    _ended_days_ago(db, c.meeting_id, 1)
    assert not _works(db, token)  # ended yesterday: the link is dead


def test_the_screens_last_moment_is_midnight_on_the_organisations_clock() -> None:
    from datetime import datetime, timezone

    ended = datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc)  # 23:30 on 2 March in Hà Nội
    assert display_rules.screen_until(ended, TZ) == datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)
    assert display_rules.screen_until(ended, "UTC") == datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)


def test_a_link_dies_with_its_creators_account_or_right(db: Database) -> None:
    c = make_cabinet(db, start=True)
    admin = make_user(db, GlobalRole.admin)
    by_staff = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    by_secretary = call(db, display.create_token, actor=c.secretary, meeting_id=c.meeting_id)["token"]
    assert _works(db, by_staff) and _works(db, by_secretary)
    # The secretary becomes an ordinary member of the meeting: their link stops, the staff's does not.
    call(
        db,
        participation.update,
        actor=c.staff,
        meeting_id=c.meeting_id,
        user_id=c.secretary.id,
        data=ParticipantUpdate(role=MeetingRole.member),
    )
    assert not _works(db, by_secretary) and _works(db, by_staff)
    # The staff account is deactivated: its link stops; active again, it stays dead (the account's credential
    # epoch moved on: tests/test_display_link_validity.py).
    off, on = UserUpdate(is_active=False), UserUpdate(is_active=True)
    db.run_write(accounts.update_user, actor=admin, user_id=c.staff.id, data=off)
    assert not _works(db, by_staff)
    db.run_write(accounts.update_user, actor=admin, user_id=c.staff.id, data=on)
    assert not _works(db, by_staff)


async def test_the_page_and_the_socket_refuse_a_link_of_a_deactivated_creator(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, start=True)
    admin = make_user(db, GlobalRole.admin)
    kept = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    lost = call(db, display.create_token, actor=c.secretary, meeting_id=c.meeting_id)
    off = UserUpdate(is_active=False)
    db.run_write(accounts.update_user, actor=admin, user_id=c.secretary.id, data=off)
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        assert (await anonymous.get(kept["url"])).status_code == 200
        refused = await anonymous.get(lost["url"])
        assert refused.status_code == 401 and "hết hạn" in refused.text
    screen = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await screen.connect(
            live_server.url, transports=["websocket"], auth={"display_token": lost["token"]}, wait_timeout=10
        )
    auth = {"display_token": kept["token"]}
    await screen.connect(live_server.url, transports=["websocket"], auth=auth, wait_timeout=10)
    await screen.disconnect()


async def test_a_screen_already_showing_goes_dark_when_its_link_stops_working(settings: Settings, db: Database) -> None:
    """Not only at its next connection: the sockets' periodic check (realtime/recheck.py) closes it."""
    c = make_cabinet(db, start=True)
    admin = make_user(db, GlobalRole.admin)
    kept = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    lost = call(db, display.create_token, actor=c.secretary, meeting_id=c.meeting_id)
    async with running(settings.with_(socket_recheck_seconds=0.2)) as node:
        screens = []
        for link in (kept, lost):
            screen = socketio.AsyncClient(reconnection=False)
            gone = asyncio.Event()
            screen.on("disconnect", gone.set)
            await screen.connect(node.url, transports=["websocket"], auth={"display_token": link["token"]})
            assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
            screens.append((screen, gone))
        try:
            off = UserUpdate(is_active=False)
            db.run_write(accounts.update_user, actor=admin, user_id=c.secretary.id, data=off)
            await asyncio.wait_for(screens[1][1].wait(), 10)  # the deactivated creator's screen goes dark
            assert not screens[0][1].is_set() and screens[0][0].connected  # the other one stays
            ack = await screens[0][0].call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0}, timeout=10)
            assert ack["ok"]
        finally:
            for screen, _ in screens:
                await screen.disconnect()
