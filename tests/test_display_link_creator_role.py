"""A hall-display link made by the meeting's secretary ends for good when he stops being its secretary (a meeting
role change or his removal from the meeting): why is recorded, making him secretary again brings none back, and a
screen already showing it goes dark at its next socket check."""

from __future__ import annotations

import asyncio

import pytest
import socketio
from sqlmodel import col, select

from app.db import Database
from core.actor import Actor
from core.errors import Forbidden
from display import services as display
from infra.settings import Settings
from meetings import participation
from meetings.display_ends import CREATOR_LOST_RIGHT
from meetings.events import MeetingEvent
from meetings.models import MeetingRole
from meetings.schemas import ParticipantCreate, ParticipantUpdate
from tests.conftest import running
from tests.factories import call, make_cabinet
from tests.live import login

TZ = "Asia/Ho_Chi_Minh"


def _works(db: Database, token: str) -> bool:
    return db.run_read(display.resolve_actor, token=token, timezone=TZ) is not None


def _link(db: Database, actor: Actor, meeting_id: int) -> dict[str, object]:
    made: dict[str, object] = call(db, display.create_token, actor=actor, meeting_id=meeting_id, timezone=TZ)
    return made


def _ended(db: Database, meeting_id: int) -> list[dict[str, object]]:
    """The display.revoked events of the meeting: what the log keeps of why each link ended."""
    rows = db.run_read(
        lambda session: session.exec(
            select(MeetingEvent)
            .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.type == "display.revoked")
            .order_by(col(MeetingEvent.seq))
        ).all()
    )
    return [dict(r.data) for r in rows]


def _role(db: Database, actor: Actor, meeting_id: int, user_id: int, role: MeetingRole) -> None:
    call(
        db,
        participation.update,
        actor=actor,
        meeting_id=meeting_id,
        user_id=user_id,
        data=ParticipantUpdate(role=role),
    )


@pytest.mark.service_pair("meetings.participation.update")
def test_a_secretary_made_member_loses_his_links_for_good(db: Database) -> None:
    c = make_cabinet(db)
    mine, office = _link(db, c.secretary, c.meeting_id), _link(db, c.staff, c.meeting_id)
    with pytest.raises(Forbidden):  # denied: a member does not change roles, and the link keeps working
        _role(db, c.members[0], c.meeting_id, c.secretary.id, MeetingRole.member)
    assert _works(db, str(mine["token"])) and _ended(db, c.meeting_id) == []
    _role(db, c.staff, c.meeting_id, c.secretary.id, MeetingRole.member)  # allowed: the Office does
    assert not _works(db, str(mine["token"]))
    assert _works(db, str(office["token"]))  # the Office's link is not his
    [why] = _ended(db, c.meeting_id)
    assert why["token_id"] == mine["id"] and why["reason"] == CREATOR_LOST_RIGHT and why["creator_id"] == c.secretary.id
    listed = {t["id"]: t for t in db.run_read(display.list_tokens, actor=c.staff, meeting_id=c.meeting_id)}
    assert listed[mine["id"]]["revoked_at"] is not None and listed[office["id"]]["revoked_at"] is None
    _role(db, c.staff, c.meeting_id, c.secretary.id, MeetingRole.secretary)
    assert not _works(db, str(mine["token"]))  # secretary again: the old link stays dead
    assert _works(db, str(_link(db, c.secretary, c.meeting_id)["token"]))  # one made now works
    assert len(_ended(db, c.meeting_id)) == 1  # nothing more ended on the way back


@pytest.mark.service_pair("meetings.participation.remove")
def test_a_secretary_removed_from_the_meeting_loses_his_links_for_good(db: Database) -> None:
    c = make_cabinet(db)
    mine = _link(db, c.secretary, c.meeting_id)
    with pytest.raises(Forbidden):
        call(db, participation.remove, actor=c.chair, meeting_id=c.meeting_id, user_id=c.secretary.id)
    assert _works(db, str(mine["token"]))
    call(db, participation.remove, actor=c.staff, meeting_id=c.meeting_id, user_id=c.secretary.id)
    assert not _works(db, str(mine["token"]))
    assert [e["reason"] for e in _ended(db, c.meeting_id)] == [CREATOR_LOST_RIGHT]
    call(
        db,
        participation.invite,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=ParticipantCreate(user_id=c.secretary.id, role=MeetingRole.secretary),
    )
    assert not _works(db, str(mine["token"]))  # invited back as secretary: still dead


def test_the_office_keeps_its_links_whatever_its_meeting_role(db: Database) -> None:
    """The Office made its link with its global right, which a meeting role does not take away."""
    c = make_cabinet(db)
    office = _link(db, c.staff, c.meeting_id)
    call(
        db,
        participation.invite,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=ParticipantCreate(user_id=c.staff.id, role=MeetingRole.secretary),
    )
    _role(db, c.staff, c.meeting_id, c.staff.id, MeetingRole.member)
    call(db, participation.remove, actor=c.staff, meeting_id=c.meeting_id, user_id=c.staff.id)
    assert _works(db, str(office["token"])) and _ended(db, c.meeting_id) == []


async def test_a_screen_showing_the_link_goes_dark_and_does_not_come_back(settings: Settings, db: Database) -> None:
    c = make_cabinet(db)
    async with running(settings.with_(socket_recheck_seconds=1)) as node:
        secretary, staff = [await login(node.url, a.username) for a in (c.secretary, c.staff)]
        links = f"/api/meetings/{c.meeting_id}/display-tokens"
        mine = (await secretary.post(links)).json()
        office = (await staff.post(links)).json()
        screens: list[tuple[socketio.AsyncClient, asyncio.Event]] = []
        try:
            for link in (mine, office):
                screen = socketio.AsyncClient(reconnection=False)
                dark = asyncio.Event()
                screen.on("disconnect", dark.set)
                await screen.connect(node.url, transports=["websocket"], auth={"display_token": link["token"]})
                assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
                screens.append((screen, dark))
            url = f"/api/meetings/{c.meeting_id}/participants/{c.secretary.id}"
            r = await staff.patch(url, json={"role": "member"})
            assert r.status_code == 200, r.text
            await asyncio.wait_for(screens[0][1].wait(), 10)  # his screen goes dark
            sync = await screens[1][0].call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0}, timeout=10)
            assert sync["ok"] and not screens[1][1].is_set()  # the Office's screen still shows the meeting
            assert (await staff.patch(url, json={"role": "secretary"})).status_code == 200
            again = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):  # secretary again: the old link opens nothing
                await again.connect(node.url, transports=["websocket"], auth={"display_token": mine["token"]})
            assert (await secretary.get(f"/display/{c.meeting_id}?token={mine['token']}")).status_code != 200
        finally:
            for screen, _ in screens:
                if screen.connected:
                    await screen.disconnect()
            for client in (secretary, staff):
                await client.aclose()
