"""Live events reach only their audience: the join race, removal, role change, logout, display tokens, and
the audience stored with each event (live delivery and meeting:sync replay). Real uvicorn, real clients."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import socketio

from display import services as display_services
from realtime.broadcast import room
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, call, make_cabinet
from tests.live import LiveClient, live_client, login
from tests.waiting import eventually

EDITS = 50


class Watcher(LiveClient):
    """A client that also records presence messages (everything a socket may receive from a meeting)."""

    def __init__(self, base_url: str, cookie: str) -> None:
        super().__init__(base_url, cookie)
        self.presence: list[dict[str, Any]] = []
        self.sio.on("presence", self.presence.append)


async def watcher(base_url: str, username: str) -> tuple[Watcher, httpx.AsyncClient]:
    http = await login(base_url, username)
    client = Watcher(base_url, http.cookies["ecabinet_session"])
    await client.connect()
    return client, http


async def display_socket(url: str, token: str) -> tuple[socketio.AsyncClient, list[Any]]:
    got: list[Any] = []
    sio = socketio.AsyncClient(reconnection=False)
    sio.on("event", got.append)
    sio.on("presence", got.append)
    await sio.connect(url, transports=["websocket"], auth={"display_token": token}, wait_timeout=10)
    return sio, got


async def hammer_join(call_join: Any, done: asyncio.Event) -> int:
    """Repeat meeting:join until the edits are done; every attempt must be refused, as if the meeting were absent."""
    tries = 0
    while not done.is_set():
        ack = await call_join()
        assert ack["ok"] is False and ack["error"]["code"] == "not_found", ack
        tries += 1
    return tries


async def edit_meeting(staff: httpx.AsyncClient, meeting_id: int, done: asyncio.Event) -> None:
    try:
        for i in range(EDITS):
            r = await staff.patch(f"/api/meetings/{meeting_id}", json={"place": f"Phòng họp số {i}"})
            assert r.status_code == 200, r.text
    finally:
        done.set()


@pytest.mark.parametrize("who", ["uninvited", "invited_to_draft", "display_of_another_meeting"])
async def test_repeating_join_while_the_secretariat_edits_receives_nothing(live_server: LiveServer, who: str) -> None:
    c = make_cabinet(live_server.db, publish=who != "invited_to_draft")
    staff = await login(live_server.url, c.staff.username)
    done = asyncio.Event()
    if who == "display_of_another_meeting":
        other = make_cabinet(live_server.db)
        token = call(live_server.db, display_services.create_token, actor=other.staff, meeting_id=other.meeting_id)[
            "token"
        ]
        sio, got = await display_socket(live_server.url, token)
        attempt = lambda: sio.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10)
        closers: list[Any] = [sio.disconnect]
    else:
        client, http = await watcher(live_server.url, (c.outsider if who == "uninvited" else c.members[0]).username)
        attempt = lambda: client.call("meeting:join", {"meeting_id": c.meeting_id})
        closers = [client.close, http.aclose]
    try:
        tries, _ = await asyncio.gather(hammer_join(attempt, done), edit_meeting(staff, c.meeting_id, done))
        assert tries > EDITS / 2  # the joins really raced the edits
        received = got if who == "display_of_another_meeting" else [*client.events, *client.presence]
        assert received == []
    finally:
        for close in closers:
            await close()
        await staff.aclose()


async def _joined(live_server: LiveServer, username: str, meeting_id: int) -> tuple[Watcher, httpx.AsyncClient]:
    client, http = await watcher(live_server.url, username)
    ack = await client.join(meeting_id)
    assert ack["ok"], ack
    return client, http


async def test_a_removed_participant_is_taken_out_at_once_and_receives_nothing_more(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    gone, gone_http = await _joined(live_server, c.members[0].username, c.meeting_id)
    stays, stays_http = await _joined(live_server, c.members[1].username, c.meeting_id)
    try:
        assert (await staff.delete(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}")).status_code in (
            200,
            204,
        )
        await gone.wait_for(lambda e: e["type"] == "meeting.access_revoked")
        removal = await stays.wait_for(lambda e: e["type"] == "participants.changed")
        for i in range(5):
            assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": f"Phòng {i}"})).status_code == 200
        await stays.wait_for(lambda e: e["type"] == "meeting.updated" and e["data"]["meeting"]["place"] == "Phòng 4")
        assert [e["type"] for e in gone.events if e.get("seq") and e["seq"] >= removal["seq"]] == []
        assert all(c.members[0].id not in p["online"] for p in stays.presence[-1:])  # no longer online there
        refused = await gone.call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0})
        assert refused["ok"] is False and refused["error"]["code"] == "not_found"  # as absent to him now
    finally:
        for cl, h in ((gone, gone_http), (stays, stays_http)):
            await cl.close()
            await h.aclose()
        await staff.aclose()


async def _doc(staff: httpx.AsyncClient, c: Cabinet, *, shared: bool) -> int:
    r = await upload(
        staff,
        c.meeting_id,
        make_pdf(1),
        title="Tờ trình" + (" chung" if shared else " nội bộ"),
        share_with_guests=shared,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_member_made_guest_then_gets_only_what_guests_may_see_live_and_on_replay(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    demoted, dh = await _joined(live_server, c.members[0].username, c.meeting_id)
    member, mh = await _joined(live_server, c.members[1].username, c.meeting_id)
    try:
        inner = await _doc(staff, c, shared=False)  # still a member: the full event
        await demoted.wait_for(lambda e: e["type"] == "document.added" and e["data"]["document_id"] == inner)
        r = await staff.patch(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}", json={"role": "guest"})
        assert r.status_code == 200, r.text
        before = demoted.seq
        second = await _doc(staff, c, shared=False)
        shared = await _doc(staff, c, shared=True)
        full = await member.wait_for(lambda e: e["type"] == "document.added" and e["data"]["document_id"] == second)
        await demoted.wait_for(lambda e: e["type"] == "document.added" and e["data"]["document_id"] == shared)
        placeholder = next(e for e in demoted.events if e["seq"] == full["seq"])
        assert placeholder == {
            "meeting_id": c.meeting_id,
            "seq": full["seq"],
            "type": "hidden",
            "data": {},
            "at": full["at"],
        }
        assert demoted.seq == member.seq  # no gap: the placeholder keeps the seq moving
        replay = await demoted.call("meeting:sync", {"meeting_id": c.meeting_id, "since": before})
        types = {e["seq"]: e["type"] for e in replay["data"]["events"]}
        assert types[full["seq"]] == "hidden" and "document.added" in types.values()
        again = await member.call("meeting:sync", {"meeting_id": c.meeting_id, "since": before})
        assert {e["seq"]: e["type"] for e in again["data"]["events"]}[full["seq"]] == "document.added"
    finally:
        for cl, h in ((demoted, dh), (member, mh)):
            await cl.close()
            await h.aclose()
        await staff.aclose()


async def test_logout_closes_the_live_sockets_of_that_login(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member, http = await _joined(live_server, c.members[0].username, c.meeting_id)
    other, oh = await _joined(live_server, c.members[1].username, c.meeting_id)
    try:
        assert (await http.post("/api/auth/logout")).status_code in (200, 204)
        await eventually(lambda: not member.sio.connected, "the logged-out socket to close")
        seen = len(member.events)
        assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng sau"})).status_code == 200
        await other.wait_for(lambda e: e["type"] == "meeting.updated")
        assert len(member.events) == seen
    finally:
        for cl, h in ((member, http), (other, oh)):
            await cl.close()
            await h.aclose()
        await staff.aclose()


async def test_a_revoked_display_is_taken_out_and_a_display_joins_only_its_meeting(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    token = call(live_server.db, display_services.create_token, actor=c.staff, meeting_id=c.meeting_id)
    sio, got = await display_socket(live_server.url, token["token"])
    try:
        assert (await sio.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
        r = await staff.delete(f"/api/meetings/{c.meeting_id}/display-tokens/{token['id']}")
        assert r.status_code == 204, r.text
        await eventually(lambda: not sio.connected, "the revoked display's socket to close")
        assert not any(isinstance(e, dict) and e.get("type") == "display.revoked" for e in got)  # managers only
    finally:
        await sio.disconnect()
        await staff.aclose()


async def test_draft_events_reach_those_who_write_drafts_and_placeholders_reach_the_rest(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, start=True)
    member, mh = await _joined(live_server, c.members[0].username, c.meeting_id)
    secretary, sh = await _joined(live_server, c.secretary.username, c.meeting_id)
    chair, chh = await _joined(live_server, c.chair.username, c.meeting_id)
    try:
        url = f"/api/meetings/{c.meeting_id}/agenda/{c.item_ids[0]}/conclusion"
        assert (await sh.put(url, json={"text": "Dự thảo kết luận", "base_revision": 0})).status_code == 200
        full = await secretary.wait_for(lambda e: e["type"] == "conclusion.saved")
        assert (await chair.wait_for(lambda e: e["seq"] == full["seq"]))[
            "type"
        ] == "conclusion.saved"  # the chair edits too
        hidden = await member.wait_for(lambda e: e["seq"] == full["seq"])
        assert hidden["type"] == "hidden" and hidden["data"] == {}
    finally:
        for cl, h in ((member, mh), (secretary, sh), (chair, chh)):
            await cl.close()
            await h.aclose()


async def test_a_meeting_back_in_draft_takes_its_invitees_out_and_keeps_its_managers(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member, mh = await _joined(live_server, c.members[0].username, c.meeting_id)
    secretary, sh = await _joined(live_server, c.secretary.username, c.meeting_id)
    try:
        denied = await mh.post(f"/api/meetings/{c.meeting_id}/unpublish")
        assert denied.status_code == 403
        r = await staff.post(f"/api/meetings/{c.meeting_id}/unpublish")
        assert r.status_code == 200 and r.json()["state"] == "draft"
        await member.wait_for(lambda e: e["type"] == "meeting.access_revoked")
        await secretary.wait_for(lambda e: e["type"] == "meeting.unpublished")
        assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng nháp"})).status_code == 200
        await secretary.wait_for(lambda e: e["type"] == "meeting.updated")
        assert [e["type"] for e in member.events if e["type"] != "meeting.access_revoked"] == []
        again = await member.join(c.meeting_id)
        assert again["ok"] is False and again["error"]["code"] == "not_found"  # a draft: as if absent
        assert (await staff.post(f"/api/meetings/{c.meeting_id}/unpublish")).status_code == 409  # already a draft
    finally:
        for cl, h in ((member, mh), (secretary, sh)):
            await cl.close()
            await h.aclose()
        await staff.aclose()


async def test_a_role_change_sent_together_with_attendance_still_moves_the_socket(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    demoted, dh = await _joined(live_server, c.members[0].username, c.meeting_id)
    try:  # an event first: the server's grants for the meeting are now known to be current
        assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng 1"})).status_code == 200
        await demoted.wait_for(lambda e: e["type"] == "meeting.updated")
        body = {"role": "guest", "attendance": "absent", "absence_reason": "Đi công tác"}
        assert (
            await staff.patch(f"/api/meetings/{c.meeting_id}/participants/{c.members[0].id}", json=body)
        ).status_code == 200
        await _doc(staff, c, shared=False)
        await demoted.wait_for(lambda e: e["type"] in ("hidden", "document.added"))
        assert [e["type"] for e in demoted.events if e["type"] in ("hidden", "document.added")] == ["hidden"]
    finally:
        await demoted.close()
        await dh.aclose()
        await staff.aclose()


async def test_no_event_is_lost_between_the_snapshot_and_entering_the_room(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    chair, ch = await live_client(live_server.url, c.chair.username)
    done = asyncio.Event()

    async def moves() -> None:
        try:
            for i in range(EDITS):
                ack = await chair.call("agenda:next" if i % 2 == 0 else "agenda:previous", {"meeting_id": c.meeting_id})
                assert ack["ok"], ack
        finally:
            done.set()

    joined: list[tuple[Any, httpx.AsyncClient, int]] = []

    async def joins() -> None:
        out = joined
        while not done.is_set():
            client, http = await live_client(live_server.url, c.members[len(out) % len(c.members)].username)
            ack = await client.join(c.meeting_id)
            assert ack["ok"], ack
            out.append((client, http, ack["data"]["seq"]))

    try:
        await asyncio.gather(joins(), moves())
        last = (await chair.call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0}))["data"]["seq"]
        assert len(joined) > 3 and any(seq < last for _, _, seq in joined)
        for client, _http, seq in joined:  # every event after its snapshot reached it, live or caught up
            if seq < last:
                await client.wait_for(lambda e, last=last: e["seq"] == last)
            assert {e["seq"] for e in client.events} >= set(range(seq + 1, last + 1)), seq
    finally:
        for client, http, _ in joined:
            await client.close()
            await http.aclose()
        await chair.close()
        await ch.aclose()


async def test_delivery_checks_each_sockets_grant_not_only_the_room(live_server: LiveServer) -> None:
    """A socket that got into the meeting's room by any other path (a future bug) still receives nothing."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    outsider, oh = await watcher(live_server.url, c.outsider.username)
    member, mh = await _joined(live_server, c.members[0].username, c.meeting_id)
    try:
        await live_server.app.state.sio.enter_room(outsider.sio.get_sid(), room(c.meeting_id))
        assert (await staff.patch(f"/api/meetings/{c.meeting_id}", json={"place": "Phòng 7"})).status_code == 200
        await member.wait_for(lambda e: e["type"] == "meeting.updated")
        assert outsider.events == []
    finally:
        for cl, h in ((outsider, oh), (member, mh)):
            await cl.close()
            await h.aclose()
        await staff.aclose()
