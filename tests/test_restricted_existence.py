"""A document one may not read is, to them, a document that does not exist (documents/access.py, documents/live.py):
every route answers as for an id never used, lists number what they hold without gaps, and its changes reach
only its readers and the staff. And what is internal about participants (absence reasons) stays with the
members: guests and the hall display get neither it in their snapshot nor in the events."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio

from display import services as display
from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import call, make_cabinet
from tests.live import LiveClient, live_client, login
from tests.poll_helpers import in_, make_board, make_poll

HEADERS = ("content-type", "cache-control", "vary", "etag", "content-disposition")


def _answer(r: httpx.Response, asked: int) -> tuple[Any, ...]:
    """What a caller can compare between two answers: status, body (the id it asked for, echoed back in the
    details, aside), the headers that matter."""
    body: Any = r.content
    if r.headers.get("content-type", "").startswith("application/json"):
        body = r.json()
        details = body.get("error", {}).get("details")
        if isinstance(details, dict) and details.get("document_id") == asked:
            details["document_id"] = "<id>"
    return (r.status_code, body, *(r.headers.get(h) for h in HEADERS))


async def _same(http: httpx.AsyncClient, method: str, url: str, real: int, missing: int, **kw: Any) -> httpx.Response:
    hidden = await http.request(method, url.format(d=real), **kw)
    absent = await http.request(method, url.format(d=missing), **kw)
    assert _answer(hidden, real) == _answer(absent, missing), (
        method,
        url,
        hidden.status_code,
        hidden.text,
        absent.text,
    )
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found", (url, hidden.text)
    return hidden


async def _until(client: LiveClient, done: Any, timeout: float = 15) -> None:
    """Until `done()` (woken by every message the client gets)."""

    async def wait() -> None:
        while not done():
            client.got_event.clear()
            await client.got_event.wait()

    await asyncio.wait_for(wait(), timeout)


def _other_events(client: LiveClient) -> list[tuple[str, Any]]:
    """Every socket message that is not a meeting event (the `documents` and `poll` notices)."""
    got: list[tuple[str, Any]] = []

    async def anything(event: str, data: Any) -> None:
        got.append((event, data))
        client.got_event.set()

    client.sio.on("*", anything)
    return got


async def test_every_document_route_answers_a_document_off_ones_list_as_a_missing_one(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    staff = await login(live_server.url, c.staff.username)
    reader = await login(live_server.url, c.members[0].username)
    other = await login(live_server.url, c.members[1].username)
    chair, chair_http = await live_client(live_server.url, c.chair.username)  # conducts; not on the list
    try:
        r = await upload(
            staff, c.meeting_id, make_pdf(2), title="Mật", restricted=True, allowed_user_ids=[c.members[0].id]
        )
        secret = r.json()["id"]
        plain = (await upload(staff, c.meeting_id, make_pdf(2), title="Tờ trình")).json()["id"]
        missing = plain + 1000
        body: dict[str, Any] = {"json": {"title": "Đổi tên"}}
        for method, url, kw in (
            ("GET", "/api/documents/{d}", {}),
            ("GET", "/api/documents/{d}?version=1", {}),
            ("GET", "/api/documents/{d}/pages/1", {}),
            ("GET", "/api/documents/{d}/pages/1?size=thumb&version=1", {}),
            ("GET", "/api/documents/{d}/text?q=ngan+sach", {}),
            ("GET", "/api/documents/{d}/download", {}),
            ("GET", "/api/documents/{d}/annotated.pdf", {}),
            ("GET", "/api/documents/{d}/annotations", {}),
            ("POST", "/api/documents/{d}/annotations", {"json": note()}),
            ("PATCH", "/api/documents/{d}", body),
            ("DELETE", "/api/documents/{d}", {}),
        ):
            await _same(other, method, url, secret, missing, **kw)
            if method == "GET" and "download" not in url and "annotated" not in url:
                assert (await reader.get(url.format(d=secret))).status_code == 200, url  # the pair: allowed
        # who may read it but not edit it is refused as before (not staff), as on an ordinary document
        assert (await reader.patch(f"/api/documents/{secret}", **body)).status_code == 403
        assert (await other.patch(f"/api/documents/{plain}", **body)).status_code == 403
        # The lists: positions are the viewer's own, with no gap where the hidden one is.
        mine = (await other.get(f"/api/meetings/{c.meeting_id}/documents")).json()
        assert [(d["id"], d["position"]) for d in mine] == [(plain, 0)]
        assert (await other.get(f"/api/documents/{plain}")).json()["position"] == 0
        theirs = (await reader.get(f"/api/meetings/{c.meeting_id}/documents")).json()
        assert [(d["id"], d["position"]) for d in theirs] == [(secret, 0), (plain, 1)]
        # Presenting it: the chair (not on its list) hears what a missing paper answers.
        start = {"meeting_id": c.meeting_id, "page": 1}
        hidden = await chair.call("presenter:start", {**start, "document_id": secret})
        absent = await chair.call("presenter:start", {**start, "document_id": missing})
        assert hidden == absent and hidden["ok"] is False and hidden["error"]["code"] == "not_found"
    finally:
        for h in (staff, reader, other, chair_http):
            await h.aclose()
        await chair.close()


async def test_ink_left_on_a_paper_that_became_restricted_is_a_missing_note(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    staff = await login(live_server.url, c.staff.username)
    other = await login(live_server.url, c.members[1].username)
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    try:
        doc = (await upload(staff, c.meeting_id, make_pdf(1))).json()["id"]
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 1}))["ok"]
        made = await chair_http.post(f"/api/documents/{doc}/annotations", json=ink(shared=True))
        assert made.status_code == 201, made.text
        r = await staff.patch(f"/api/documents/{doc}", json={"restricted": True, "allowed_user_ids": [c.members[0].id]})
        assert r.status_code == 200
        url = "/api/annotations/{d}"
        await _same(other, "PATCH", url, made.json()["id"], made.json()["id"] + 1000, json={"text": "x"})
        await _same(other, "DELETE", url, made.json()["id"], made.json()["id"] + 1000)
    finally:
        for h in (staff, other, chair_http):
            await h.aclose()
        await chair.close()


async def test_a_restricted_poll_document_is_a_missing_one_and_unannounced(live_server: LiveServer) -> None:
    b = make_board(live_server.db, n_members=2)
    poll = make_poll(live_server.db, b, deadline=in_(3600))
    pid = poll["id"]
    staff, m0, m1 = [await login(live_server.url, a.username) for a in (b.staff, b.members[0], b.members[1])]
    socks: dict[int, LiveClient] = {}
    try:
        for who, http in ((0, m0), (1, m1)):
            socks[who] = LiveClient(live_server.url, http.cookies["ecabinet_session"])
            await socks[who].connect()
        heard = {who: _other_events(s) for who, s in socks.items()}
        files = {"file": ("to-trinh.pdf", make_pdf(1), "application/pdf")}
        fields = {"title": "Báo cáo mật", "restricted": "true", "allowed_user_ids": str(b.members[0].id)}
        r = await staff.post(f"/api/polls/{pid}/documents", data=fields, files=files)
        secret = r.json()["id"]
        added = "poll.document_added"

        def told(who: int) -> list[Any]:
            return [d for e, d in heard[who] if e == "poll" and added in d["types"]]

        await _until(socks[0], lambda: len(told(0)) == 1)  # the restricted one: to its reader
        plain = (await staff.post(f"/api/polls/{pid}/documents", data={"title": "Tờ trình"}, files=files)).json()["id"]
        # then a change of the poll's own, after which m1 has heard everything before it (one job queue per poll)
        answers = [{"question_id": q["id"], "choice": "agree"} for q in poll["questions"]]
        assert (await m1.post(f"/api/polls/{pid}/answers", json={"answers": answers})).status_code == 200
        await _until(socks[1], lambda: any("poll.answered" in d["types"] for e, d in heard[1] if e == "poll"))
        assert len(told(1)) == 1  # the ordinary document's notice, alone
        await _until(socks[0], lambda: len(told(0)) == 2)
        await _same(m1, "GET", f"/api/polls/{pid}/documents/{{d}}/pages/1", secret, plain + 1000)
        assert (await m0.get(f"/api/polls/{pid}/documents/{secret}/pages/1")).status_code == 200
    finally:
        for h in (staff, m0, m1):
            await h.aclose()
        for s in socks.values():
            await s.close()


async def test_a_restricted_documents_changes_reach_its_readers_and_staff_only(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    staff_http = await login(live_server.url, c.staff.username)
    clients: dict[str, tuple[LiveClient, httpx.AsyncClient]] = {}
    try:
        for name, user in (
            ("reader", c.members[0]),
            ("next_reader", c.members[2]),
            ("other", c.members[1]),
            ("guest", c.guest),
            ("staff", c.staff),
        ):
            clients[name] = await live_client(live_server.url, user.username)
        heard = {name: _other_events(s) for name, (s, _) in clients.items()}
        seqs = {name: (await s.join(c.meeting_id))["data"]["seq"] for name, (s, _) in clients.items()}

        def told(name: str, n: int) -> Any:
            return _until(clients[name][0], lambda: len([x for x in heard[name] if x[0] == "documents"]) >= n)

        r = await upload(staff_http, c.meeting_id, make_pdf(1), restricted=True, allowed_user_ids=[c.members[0].id])
        secret = r.json()["id"]
        for name in ("reader", "staff"):
            await told(name, 1)
            assert heard[name][-1] == ("documents", {"meeting_id": c.meeting_id, "document_id": secret})
        r = await upload(staff_http, c.meeting_id, make_pdf(2), replaces_document_id=secret)
        assert r.status_code == 201
        await told("reader", 2)
        patch = {"title": "Mật (sửa)", "allowed_user_ids": [c.members[2].id]}
        assert (await staff_http.patch(f"/api/documents/{secret}", json=patch)).status_code == 200
        await told("next_reader", 1)
        await told("reader", 3)  # taken off the list: told to drop it, without its id
        assert heard["reader"][-1] == ("documents", {"meeting_id": c.meeting_id})
        assert (await staff_http.delete(f"/api/documents/{secret}")).status_code == 204
        await told("next_reader", 2)
        await told("staff", 4)
        # Then an ordinary change: it is the first thing the others hear after their join, with the next seq.
        await upload(staff_http, c.meeting_id, make_pdf(1), share_with_guests=True)
        for name in ("other", "guest", "reader"):
            env = await clients[name][0].wait_for(lambda e: e["type"] == "document.added")
            assert env["seq"] == seqs[name] + 1, (name, clients[name][0].events)
        for name in ("other", "guest"):
            assert [e["type"] for e in clients[name][0].events] == ["document.added"], name
            assert [x for x in heard[name] if x[0] != "presence"] == [], name
    finally:
        await staff_http.aclose()
        for s, h in clients.values():
            await s.close()
            await h.aclose()


async def _screen(url: str, token: str) -> tuple[socketio.AsyncClient, list[dict[str, Any]], asyncio.Event]:
    sio = socketio.AsyncClient(reconnection=False)
    events: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    def on_event(env: dict[str, Any]) -> None:
        events.append(env)
        arrived.set()

    sio.on("event", on_event)
    await sio.connect(url, transports=["websocket"], auth={"display_token": token}, wait_timeout=10)
    return sio, events, arrived


def _reasons(participants: list[dict[str, Any]]) -> set[str]:
    return {p["absence_reason"] for p in participants}


async def test_guests_and_the_hall_display_get_no_absence_reason(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, start=True)
    reason = "Điều trị bệnh tại bệnh viện (BIMATYTE)"
    staff = await login(live_server.url, c.staff.username)
    token = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    screen, screen_events, arrived = await _screen(live_server.url, token)
    member, member_http = await live_client(live_server.url, c.members[0].username)
    guest, guest_http = await live_client(live_server.url, c.guest.username)
    try:
        assert (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["ok"]
        await member.join(c.meeting_id)
        await guest.join(c.meeting_id)
        absent = {"attendance": "absent", "absence_reason": reason}
        r = await staff.patch(f"/api/meetings/{c.meeting_id}/participants/{c.members[3].id}", json=absent)
        assert r.status_code == 200, r.text
        mine = await member.wait_for(lambda e: e["type"] == "attendance.changed")
        assert reason in _reasons(mine["data"]["participants"])
        theirs = await guest.wait_for(lambda e: e["type"] == "attendance.changed")
        await asyncio.wait_for(arrived.wait(), 5)
        for env in (theirs, screen_events[0]):
            assert env["type"] == "attendance.changed" and env["seq"] == mine["seq"]
            assert _reasons(env["data"]["participants"]) == {""} and reason not in str(env)
            assert env["data"]["quorum"] == mine["data"]["quorum"]
        # The snapshots afresh.
        snap = (await screen.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10))["data"]["snapshot"]
        assert _reasons(snap["participants"]) == {""} and reason not in str(snap)
        snap = (await guest.join(c.meeting_id))["data"]["snapshot"]
        assert _reasons(snap["participants"]) == {""} and reason not in str(snap)
        assert reason in _reasons((await member.join(c.meeting_id))["data"]["snapshot"]["participants"])
        # A guest's replay (meeting:sync) is what it was sent live: no reason either.
        synced = await guest.call("meeting:sync", {"meeting_id": c.meeting_id, "since": mine["seq"] - 1})
        assert synced["ok"] and reason not in str(synced)
        # Over REST alike: the roster and the attendance history (whose notes hold the reason).
        for path in ("participants", "attendance/history"):
            url = f"/api/meetings/{c.meeting_id}/{path}"
            theirs_rest, mine_rest = await guest_http.get(url), await member_http.get(url)
            assert theirs_rest.status_code == mine_rest.status_code == 200, (path, theirs_rest.text)
            assert reason not in theirs_rest.text and reason in mine_rest.text, path
    finally:
        for h in (staff, member_http, guest_http):
            await h.aclose()
        await member.close()
        await guest.close()
        if screen.connected:
            await screen.disconnect()
