"""Real uvicorn server, real python-socketio clients: join, live events, refusals, catching up."""

from __future__ import annotations

import asyncio

import pytest
import socketio

from meetings.reducer import apply_event
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import LiveClient, live_client, login
from tests.waiting import eventually


async def test_join_gives_snapshot_and_every_client_gets_the_move_with_seq_plus_one(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    tablets = [await live_client(live_server.url, m.username) for m in c.members[:3]]
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    try:
        seqs = []
        for tablet, _ in tablets:
            ack = await tablet.join(c.meeting_id)
            assert ack["ok"], ack
            assert ack["data"]["snapshot"]["meeting"]["current_item_id"] == c.item_ids[0]
            assert [i["title"] for i in ack["data"]["snapshot"]["agenda"]][0] == "Nội dung 1: dự toán ngân sách"
            seqs.append(ack["data"]["seq"])
        await chair.join(c.meeting_id)
        moved = await chair.call("agenda:next", {"meeting_id": c.meeting_id})
        assert moved["ok"] and moved["data"]["current_item_id"] == c.item_ids[1]
        for (tablet, _), seq in zip(tablets, seqs):
            env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
            assert env["seq"] == seq + 1 and env["meeting_id"] == c.meeting_id
            assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[1]
        # The REST route goes through the same service and reaches the same room.
        r = await chair_http.post(f"/api/meetings/{c.meeting_id}/agenda/{c.item_ids[2]}/activate")
        assert r.status_code == 200
        env = await tablets[0][0].wait_for(lambda e: e["data"].get("current_item_id") == c.item_ids[2])
        assert env["seq"] == seqs[0] + 2
    finally:
        for tablet, http in [*tablets, (chair, chair_http)]:
            await tablet.close()
            await http.aclose()


async def test_a_client_not_invited_is_refused_and_gets_nothing(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    outsider, http = await live_client(live_server.url, c.outsider.username)
    member, member_http = await live_client(live_server.url, c.members[0].username)
    chair = await login(live_server.url, c.chair.username)
    try:
        ack = await outsider.join(c.meeting_id)
        assert ack == await outsider.join(c.meeting_id + 4321)  # not invited: as if the meeting did not exist
        assert ack == {"ok": False, "error": {"code": "not_found", "message": "Không tìm thấy cuộc họp."}}
        assert (await member.join(c.meeting_id))["ok"]
        assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200  # through the server
        await member.wait_for(lambda e: e["type"] == "agenda.current_changed")  # marker: the room has been told
        refused = await outsider.call("agenda:next", {"meeting_id": c.meeting_id})  # anything sent to it came first
        assert refused["error"]["code"] == "not_found"  # not invited: the meeting is absent to him
        assert outsider.events == []  # never put in the room
    finally:
        for client, h in ((outsider, http), (member, member_http)):
            await client.close()
            await h.aclose()
        await chair.aclose()


async def test_tablets_joining_at_once_each_get_their_own_answer(live_server: LiveServer) -> None:
    """Joins that arrive together are answered by one read (infra/batched.py: BatchedReads): each
    tablet still gets its own powers, an outsider among them is refused, and every joined one hears the next
    move."""
    c = make_cabinet(live_server.db, start=True)
    people = [c.chair, *c.members[:4], c.outsider]
    clients = [await live_client(live_server.url, u.username) for u in people]
    try:
        acks = await asyncio.gather(*(tablet.join(c.meeting_id) for tablet, _ in clients))
        *admitted, refused = acks
        assert refused["ok"] is False and refused["error"]["code"] == "not_found"  # not invited: as if absent
        assert all(ack["ok"] for ack in admitted), admitted
        assert [a["data"]["me"]["user_id"] for a in admitted] == [u.id for u in people[:-1]]
        assert [(a["data"]["me"]["role"], a["data"]["me"]["can_conduct"]) for a in admitted] == [
            ("chair", True),
            *[("member", False)] * 4,
        ]
        assert all(a["data"]["snapshot"] == admitted[0]["data"]["snapshot"] for a in admitted)
        assert len({a["data"]["seq"] for a in admitted}) == 1
        moved = await clients[0][0].call("agenda:next", {"meeting_id": c.meeting_id})
        assert moved["ok"], moved
        for tablet, _ in clients[:-1]:
            env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
            assert env["seq"] == admitted[0]["data"]["seq"] + 1
        assert clients[-1][0].events == []
    finally:
        for tablet, http in clients:
            await tablet.close()
            await http.aclose()


async def test_member_cannot_conduct_over_socket_but_chair_can(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    member, mh = await live_client(live_server.url, c.members[0].username)
    chair, ch = await live_client(live_server.url, c.chair.username)
    try:
        denied = await member.call("meeting:start", {"meeting_id": c.meeting_id})
        assert denied["ok"] is False and denied["error"]["code"] == "forbidden"
        warned = await chair.call("meeting:start", {"meeting_id": c.meeting_id})  # nobody checked in: no quorum
        assert warned["ok"] is False and warned["error"]["code"] == "no_quorum"
        allowed = await chair.call("meeting:start", {"meeting_id": c.meeting_id, "force": True})
        assert allowed["ok"] is True and allowed["data"]["state"] == "started"
        again = await chair.call("meeting:start", {"meeting_id": c.meeting_id})
        assert again["error"]["code"] == "invalid_state" and "đang diễn ra" in again["error"]["message"]
    finally:
        for cl, h in ((member, mh), (chair, ch)):
            await cl.close()
            await h.aclose()


async def test_missed_events_are_caught_up_with_sync_and_equal_a_fresh_snapshot(live_server: LiveServer) -> None:
    """A socket is replayed what happened since its own snapshot, and those events applied to that snapshot are
    today's snapshot. A socket that never had one (a tablet back on a new connection) gets a snapshot: stored
    events carry the data of their time, which its user may never have been shown (a draft, a paper restricted
    since)."""
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    try:
        ack = await tablet.join(c.meeting_id)
        since = ack["data"]["seq"]
        await tablet.close()  # the tablet drops off the network
        chair, ch = await live_client(live_server.url, c.chair.username)
        await chair.call("agenda:next", {"meeting_id": c.meeting_id})

        back = LiveClient(live_server.url, http.cookies["ecabinet_session"])
        await back.connect()
        asked = await back.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since})
        assert asked["ok"] and "events" not in asked["data"], asked  # a new connection: no replay...
        assert asked["data"]["seq"] == since + 1 and asked["data"]["snapshot"]["meeting"]["current_item_id"]  # ...today
        joined = await back.join(c.meeting_id)
        stale, since = joined["data"]["snapshot"], joined["data"]["seq"]
        assert stale == asked["data"]["snapshot"]

        await chair.call("attendance:check_in", {"meeting_id": c.meeting_id})
        r = await http.post(f"/api/meetings/{c.meeting_id}/attendance/check-in", json={})
        assert r.status_code == 200
        await chair.call("agenda:activate", {"meeting_id": c.meeting_id, "item_id": c.item_ids[2]})
        await chair.close()
        await ch.aclose()
        synced = await back.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since})
        assert synced["ok"] and [e["seq"] for e in synced["data"]["events"]] == [since + 1, since + 2, since + 3]
        state = stale
        for env in synced["data"]["events"]:
            state = apply_event(state, env)
        earlier = await back.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since - 1})
        assert "events" not in earlier["data"] and earlier["data"]["snapshot"] == state  # before its snapshot
        fresh = await back.join(c.meeting_id)
        assert state == fresh["data"]["snapshot"]
        assert state["meeting"]["current_item_id"] == c.item_ids[2] and state["quorum"]["present"] == 2
        await back.close()
    finally:
        await http.aclose()


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "1",
        {"meeting_id": "1"},
        {"meeting_id": 1.5},
        {"meeting_id": -3},
        {"meeting_id": 1, "extra": True},
        [1, 2],
        {},
    ],
)
async def test_malformed_payloads_get_an_error_ack_and_the_connection_survives(
    live_server: LiveServer, payload: object
) -> None:
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    try:
        bad = await tablet.call("meeting:join", payload)
        assert bad["ok"] is False and bad["error"]["code"] == "validation_failed"
        unknown = await tablet.call("meeting:join", {"meeting_id": 424242})
        assert unknown["error"]["code"] == "not_found"
        good = await tablet.join(c.meeting_id)  # same connection still works
        assert good["ok"]
    finally:
        await tablet.close()
        await http.aclose()


async def test_connection_without_session_or_from_foreign_origin_is_refused(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    for lang, text in (("vi", "Vui lòng đăng nhập."), ("en", "Please log in.")):
        anonymous = socketio.AsyncClient(reconnection=False)
        told: list[object] = []
        anonymous.on("connect_error", told.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await anonymous.connect(
                live_server.url, transports=["websocket"], wait_timeout=5, headers={"Accept-Language": lang}
            )
        # what the pages show (live-connection.js: err.data.message), not a dict's text
        assert told == [{"message": text, "data": {"code": "unauthenticated", "message": text}}]
    http = await login(live_server.url, c.members[0].username)
    cookie = http.cookies["ecabinet_session"]
    foreign = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await foreign.connect(
            live_server.url,
            transports=["websocket"],
            wait_timeout=5,
            headers={"Cookie": f"ecabinet_session={cookie}", "Origin": "http://evil.example"},
        )
    broken = socketio.AsyncClient(reconnection=False)  # an Origin no URL parser reads: refused, not a server error
    with pytest.raises(socketio.exceptions.ConnectionError):
        await broken.connect(
            live_server.url,
            transports=["websocket"],
            wait_timeout=5,
            headers={"Cookie": f"ecabinet_session={cookie}", "Origin": "http://[::1"},
        )
    same = socketio.AsyncClient(reconnection=False)
    await same.connect(
        live_server.url,
        transports=["websocket"],
        wait_timeout=5,
        headers={"Cookie": f"ecabinet_session={cookie}", "Origin": live_server.url},
    )
    assert same.connected
    await same.disconnect()
    await http.aclose()


async def test_sockets_connecting_at_once_are_each_checked_against_their_own_cookie(live_server: LiveServer) -> None:
    """The cookies of sockets connecting together are read in one batch (BatchedReads): a forged or logged-out
    cookie among them is still refused, and each admitted socket acts as its own user."""
    c = make_cabinet(live_server.db, start=True)
    https = [await login(live_server.url, m.username) for m in c.members[:3]]
    gone = await login(live_server.url, c.members[3].username)
    gone_cookie = gone.cookies["ecabinet_session"]
    assert (await gone.post("/api/auth/logout")).status_code in (200, 204)
    cookies = [h.cookies["ecabinet_session"] for h in https] + ["forged", gone_cookie]
    clients = [socketio.AsyncClient(reconnection=False) for _ in cookies]

    async def connect(client: socketio.AsyncClient, cookie: str) -> bool:
        try:
            await client.connect(
                live_server.url,
                transports=["websocket"],
                wait_timeout=5,
                headers={"Cookie": f"ecabinet_session={cookie}"},
            )
        except socketio.exceptions.ConnectionError:
            return False
        return True

    try:
        assert await asyncio.gather(*(connect(cl, ck) for cl, ck in zip(clients, cookies))) == [True] * 3 + [False] * 2
        acks = await asyncio.gather(*(cl.call("meeting:join", {"meeting_id": c.meeting_id}) for cl in clients[:3]))
        assert [a["data"]["me"]["user_id"] for a in acks] == [m.id for m in c.members[:3]]
    finally:
        for client in clients:
            if client.connected:
                await client.disconnect()
        for h in [*https, gone]:
            await h.aclose()


async def test_presence_shows_who_has_the_page_open(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    a, ah = await live_client(live_server.url, c.members[0].username)
    b, bh = await live_client(live_server.url, c.members[1].username)
    seen: list[list[int]] = []
    a.sio.on("presence", lambda data: seen.append(data["online"]))
    try:
        first = await a.join(c.meeting_id)
        assert first["data"]["online"] == [c.members[0].id]
        await b.join(c.meeting_id)
        # Messages are at most 4 a second per meeting: the last one carries the whole list.
        both = sorted([c.members[0].id, c.members[1].id])
        await eventually(lambda: seen and sorted(seen[-1]) == both, "presence with a and b")
        await b.close()
        await eventually(lambda: len(seen) >= 2 and seen[-1] == [c.members[0].id], "presence without b")
        assert sorted(seen[-2]) == sorted([c.members[0].id, c.members[1].id]) and seen[-1] == [c.members[0].id]
    finally:
        await a.close()
        await ah.aclose()
        await bh.aclose()


async def test_logout_closes_the_live_sockets_of_that_session_only(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    laptop, other_http = await live_client(live_server.url, c.members[0].username)  # same person, other login
    try:
        await tablet.join(c.meeting_id)
        await laptop.join(c.meeting_id)
        old_token = http.cookies["ecabinet_session"]
        assert (await http.post("/api/auth/logout")).status_code == 200
        await eventually(lambda: not tablet.sio.connected, "the logged-out tablet's socket to close")
        assert laptop.sio.connected
        again = LiveClient(live_server.url, old_token)  # the cookie of the ended session no longer opens a socket
        with pytest.raises(socketio.exceptions.ConnectionError):
            await again.connect()
    finally:
        await laptop.close()
        await http.aclose()
        await other_http.aclose()
