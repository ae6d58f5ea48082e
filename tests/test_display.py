"""Room display: display tokens (create, list, revoke), the page without login, the read-only display socket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import socketio
from sqlmodel import select

from app.db import Database
from core.errors import Conflict, Forbidden, NotFound
from display import services as display
from meetings.display_tokens import DisplayToken
from meetings import participation
from meetings.schemas import CheckInRequest
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.waiting import eventually


def test_token_permission_pairs_and_only_its_hash_is_stored(db: Database) -> None:
    c = make_cabinet(db)
    for denied in (c.chair, c.members[0], c.guest):
        with pytest.raises(Forbidden):
            call(db, display.create_token, actor=denied, meeting_id=c.meeting_id)
    with pytest.raises(NotFound, match="Không tìm thấy cuộc họp"):  # not invited: the meeting is absent to him
        call(db, display.create_token, actor=c.outsider, meeting_id=c.meeting_id)
    created = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    assert created["url"] == f"/display/{c.meeting_id}?token={created['token']}"
    by_secretary = call(db, display.create_token, actor=c.secretary, meeting_id=c.meeting_id)
    rows = db.run_read(lambda session: session.exec(select(DisplayToken)).all())
    assert {r.token_hash for r in rows} == {
        display.token_hash(created["token"]),
        display.token_hash(by_secretary["token"]),
    }
    with pytest.raises(Forbidden):
        db.run_read(display.list_tokens, actor=c.members[0], meeting_id=c.meeting_id)
    assert [t["id"] for t in db.run_read(display.list_tokens, actor=c.staff, meeting_id=c.meeting_id)] == [
        created["id"],
        by_secretary["id"],
    ]
    with pytest.raises(Forbidden):
        call(db, display.revoke_token, actor=c.chair, meeting_id=c.meeting_id, token_id=created["id"])
    shown = db.run_read(display.resolve_actor, token=created["token"])
    assert shown is not None and shown.display_meeting_id == c.meeting_id
    call(db, display.revoke_token, actor=c.staff, meeting_id=c.meeting_id, token_id=created["id"])
    assert db.run_read(display.resolve_actor, token=created["token"]) is None
    with pytest.raises(Conflict):
        call(db, display.revoke_token, actor=c.staff, meeting_id=c.meeting_id, token_id=created["id"])
    other = make_cabinet(db)
    with pytest.raises(NotFound):  # a token id of another meeting
        call(db, display.revoke_token, actor=other.staff, meeting_id=other.meeting_id, token_id=by_secretary["id"])
    assert db.run_read(display.resolve_actor, token="x" * 500) is None


async def test_token_api_and_the_page_without_login(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    other = make_cabinet(live_server.db, start=True)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    anonymous = httpx.AsyncClient(base_url=live_server.url)
    try:
        base = f"/api/meetings/{c.meeting_id}/display-tokens"
        assert (await member.post(base)).status_code == 403
        r = await staff.post(base)
        assert r.status_code == 201, r.text
        token, url = r.json()["token"], r.json()["url"]
        page = await anonymous.get(url)
        assert page.status_code == 200 and "Màn hình phòng họp" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert (await anonymous.get(f"/display/{other.meeting_id}?token={token}")).status_code == 403
        assert (await anonymous.get(f"/display/{c.meeting_id}?token=sai-ma")).status_code == 401
        to_login = await anonymous.get(f"/display/{c.meeting_id}")
        assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
        assert (await member.get(f"/display/{c.meeting_id}")).status_code == 200  # a participant may open it too
        assert (
            await member.get(f"/display/{other.meeting_id}")
        ).status_code == 404  # not invited: not even its existence
        listed = (await staff.get(base)).json()
        assert [t["id"] for t in listed] == [r.json()["id"]] and "token" not in listed[0]
        assert (await member.delete(f"{base}/{r.json()['id']}")).status_code == 403
        assert (await staff.delete(f"{base}/{r.json()['id']}")).status_code == 204
        assert (await staff.delete(f"{base}/{r.json()['id']}")).status_code == 409
        assert (await staff.delete(f"{base}/99999")).status_code == 404
        assert (await anonymous.get(url)).status_code == 401
    finally:
        for client in (staff, member, anonymous):
            await client.aclose()


async def _screen(live: LiveServer, token: str) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
    sio = socketio.AsyncClient(reconnection=False)
    events: list[dict[str, Any]] = []
    sio.on("event", lambda env: events.append(env))
    await sio.connect(live.url, transports=["websocket"], auth={"display_token": token}, wait_timeout=10)
    return sio, events


async def test_display_socket_reads_its_meeting_and_nothing_else(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, start=True)
    other = make_cabinet(db, start=True)
    token = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    screen, events = await _screen(live_server, token["token"])
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    try:
        joined = await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10)
        assert joined["ok"], joined
        snapshot = joined["data"]["snapshot"]
        assert snapshot["speakers"]["current"] is None and "votes" in snapshot
        assert joined["data"]["me"]["can_conduct"] is False and joined["data"]["online"] == []
        refused = await screen.call("meeting:join", {"meeting_id": other.meeting_id}, timeout=10)
        assert refused["ok"] is False and refused["error"]["code"] == "not_found"  # another meeting: as if absent
        for event, payload in (
            ("speaker:request", {"meeting_id": c.meeting_id}),
            ("speaker:grant", {"request_id": 1}),
            ("agenda:next", {"meeting_id": c.meeting_id}),
            ("attendance:check_in", {"meeting_id": c.meeting_id}),
            ("meeting:end", {"meeting_id": c.meeting_id}),
        ):
            ack = await screen.call(event, payload, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
            assert "Màn hình phòng họp chỉ hiển thị" in ack["error"]["message"]
        synced = await screen.call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0}, timeout=10)
        assert synced["ok"] and synced["data"]["seq"] == joined["data"]["seq"]
        # It follows the meeting live like any tablet.
        call(db, participation.check_in, actor=c.members[0], meeting_id=c.meeting_id, data=CheckInRequest())
        given = await chair.call("speaker:request", {"meeting_id": c.meeting_id, "user_id": c.members[0].id})
        assert given["ok"], given
        env = await eventually(
            lambda: next((e for e in events if e["type"] == "speaker.queue_changed"), {}), "the floor event"
        )
        assert env["data"]["speakers"]["current"]["user_id"] == c.members[0].id
        assert env["seq"] == joined["data"]["seq"] + 2  # the check-in, then the floor
        # A revoked token opens no new connection (a showing screen is closed by the route: next test).
        call(db, display.revoke_token, actor=c.staff, meeting_id=c.meeting_id, token_id=token["id"])
    finally:
        await chair.close()
        await chair_http.aclose()
        if screen.connected:
            await screen.disconnect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _screen(live_server, token["token"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _screen(live_server, "khong-phai-ma")


async def test_revoking_disconnects_a_screen_that_is_showing(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    staff = await login(live_server.url, c.staff.username)
    created = (await staff.post(f"/api/meetings/{c.meeting_id}/display-tokens")).json()
    screen, _ = await _screen(live_server, created["token"])
    try:
        assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
        r = await staff.delete(f"/api/meetings/{c.meeting_id}/display-tokens/{created['id']}")
        assert r.status_code == 204
        await eventually(lambda: not screen.connected, "the revoked screen's socket to close")
    finally:
        await staff.aclose()
        if screen.connected:
            await screen.disconnect()


async def test_a_meeting_back_to_draft_leaves_the_hall_display_dark(live_server: LiveServer) -> None:
    """The display follows a published meeting; when the secretariat takes it back to a draft, the screen is told
    its access ended like the members, hears none of the draft's edits, and its page says the meeting is not
    published (in the screen's language) until it is published again."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    token = (await staff.post(f"/api/meetings/{c.meeting_id}/display-tokens")).json()["token"]
    screen, events = await _screen(live_server, token)
    page = f"{live_server.url}/display/{c.meeting_id}?token={token}"
    try:
        assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
        async with httpx.AsyncClient() as anonymous:
            assert (await anonymous.get(page)).status_code == 200  # allowed: published
            assert (await staff.post(f"/api/meetings/{c.meeting_id}/unpublish")).status_code == 200
            await eventually(
                lambda: any(e["type"] == "meeting.access_revoked" for e in events), "the screen to be told"
            )
            r = await staff.patch(f"/api/meetings/{c.meeting_id}", json={"title": "Tiêu đề nháp chưa công bố"})
            assert r.status_code == 200, r.text
            denied = await anonymous.get(page)  # denied: a draft
            assert denied.status_code == 403 and "chưa được phát hành" in denied.text
            async with httpx.AsyncClient(cookies={"ecabinet_lang": "en"}) as english:  # a screen set to English
                assert "not published yet" in (await english.get(page)).text
            fresh, _ = await _screen(live_server, token)  # a screen restarted meanwhile joins nothing
            try:
                again = await fresh.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10)
                assert not again["ok"] and "chưa được phát hành" in again["error"]["message"]
            finally:
                await fresh.disconnect()
            assert (await staff.post(f"/api/meetings/{c.meeting_id}/publish")).status_code == 200
            assert (await anonymous.get(page)).status_code == 200  # published again: it shows
        assert not any("Tiêu đề nháp" in str(e) for e in events)
    finally:
        await staff.aclose()
        if screen.connected:
            await screen.disconnect()
