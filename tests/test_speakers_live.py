"""Speaker queue over the real server: REST answers and envelopes, socket acks, live events to every tablet."""

from __future__ import annotations

import httpx

from meetings import participation
from meetings.schemas import CheckInRequest
from tests.conftest import LiveServer
from tests.factories import Cabinet, call, make_cabinet
from tests.live import live_client, login


def check_in(live: LiveServer, c: Cabinet, *actors: object) -> None:
    for actor in actors:
        call(live.db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())


async def test_rest_flow_and_error_envelopes(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    check_in(live_server, c, c.members[0])
    member = await login(live_server.url, c.members[0].username)
    chair = await login(live_server.url, c.chair.username)
    outsider = await login(live_server.url, c.outsider.username)
    base = f"/api/meetings/{c.meeting_id}/speakers"
    try:
        r = await member.post(base, json={})
        assert r.status_code == 201 and r.json()["state"] == "waiting", r.text
        request_id = r.json()["id"]
        again = await member.post(base, json={})
        assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
        assert "đã đăng ký phát biểu" in again.json()["error"]["message"]
        bad = await member.post(base, json={"user_id": "hai", "extra": 1})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"
        assert {d["field"] for d in bad.json()["error"]["details"]} == {"user_id", "extra"}
        assert (await member.post(f"/api/speakers/{request_id}/grant")).json()["error"]["code"] == "forbidden"
        assert (await chair.post("/api/speakers/424242/grant")).status_code == 404
        assert (await outsider.get(base)).status_code == 404  # not invited: the meeting answers as absent
        anonymous = await httpx.AsyncClient(base_url=live_server.url).get(base)
        assert anonymous.status_code == 401
        no_csrf = await httpx.AsyncClient(base_url=live_server.url, cookies=member.cookies).post(base, json={})
        assert no_csrf.status_code == 403
        granted = await chair.post(f"/api/speakers/{request_id}/grant")
        assert granted.status_code == 200 and granted.json()["state"] == "speaking"
        listed = (await member.get(base)).json()
        assert listed["current"]["id"] == request_id and listed["current"]["limit_seconds"] == 300
        assert (await member.post(f"/api/speakers/{request_id}/withdraw")).status_code == 409
        finished = await chair.post(f"/api/speakers/{request_id}/finish")
        assert finished.status_code == 200 and finished.json()["ended_at"]
        direct = await chair.post(base, json={"user_id": c.guest.id})
        assert direct.status_code == 201 and direct.json()["direct"] is True
    finally:
        for client in (member, chair, outsider):
            await client.aclose()


async def test_two_tablets_see_the_queue_change_with_seq_plus_one(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    check_in(live_server, c, c.members[0], c.members[1])
    (a, a_http), (b, b_http) = [await live_client(live_server.url, m.username) for m in c.members[:2]]
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    try:
        seqs = []
        for tablet in (a, b, chair):
            ack = await tablet.join(c.meeting_id)
            assert ack["ok"] and ack["data"]["snapshot"]["speakers"] == {
                "agenda_item_id": c.item_ids[0],
                "queue": [],
                "current": None,
                "done": [],
            }
            seqs.append(ack["data"]["seq"])
        asked = await a.call("speaker:request", {"meeting_id": c.meeting_id})
        assert asked["ok"] and asked["data"]["state"] == "waiting", asked
        for tablet, seq in zip((a, b), seqs):
            env = await tablet.wait_for(lambda e: e["type"] == "speaker.queue_changed")
            assert env["seq"] == seq + 1 and env["data"]["action"] == "requested"
            assert tablet.state is not None
            assert [r["user_id"] for r in tablet.state["speakers"]["queue"]] == [c.members[0].id]
        granted = await chair.call("speaker:grant", {"request_id": asked["data"]["id"]})
        assert granted["ok"], granted
        env = await b.wait_for(lambda e: e["data"].get("action") == "granted")
        assert env["seq"] == seqs[1] + 2
        assert b.state is not None
        current = b.state["speakers"]["current"]
        assert current["user_id"] == c.members[0].id and current["started_at"] and current["limit_seconds"] == 300
        moved = await chair.call("agenda:next", {"meeting_id": c.meeting_id})
        assert moved["ok"]
        await b.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert b.state["speakers"]["current"] is None and b.state["speakers"]["agenda_item_id"] == c.item_ids[1]
    finally:
        for tablet, http in ((a, a_http), (b, b_http), (chair, chair_http)):
            await tablet.close()
            await http.aclose()


async def test_socket_refusals_are_error_acks(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    member, http = await live_client(live_server.url, c.members[0].username)
    try:
        await member.join(c.meeting_id)
        absent = await member.call("speaker:request", {"meeting_id": c.meeting_id})
        assert absent["ok"] is False and absent["error"]["code"] == "forbidden"
        assert "điểm danh" in absent["error"]["message"]
        for event, payload in (
            ("speaker:request", {"meeting_id": "một"}),
            ("speaker:request", {"meeting_id": c.meeting_id, "unknown": True}),
            ("speaker:grant", {}),
            ("speaker:finish", None),
            ("speaker:withdraw", {"request_id": -1}),
        ):
            ack = await member.call(event, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "validation_failed", (event, ack)
        missing = await member.call("speaker:withdraw", {"request_id": 9999})
        assert missing["error"]["code"] == "not_found"
        other = await member.call("speaker:grant", {"request_id": 9999})
        assert other["error"]["code"] == "not_found"
    finally:
        await member.close()
        await http.aclose()
