"""Starting a meeting without quorum: the server refuses (409 no_quorum, with the counts) unless the conductor sends
force=true after confirming; with quorum it starts at once. Over REST and the socket, the same answers."""

from __future__ import annotations

from meetings import participation
from meetings.schemas import CheckInRequest
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet
from tests.live import live_client, login


async def test_start_without_quorum_is_refused_unless_forced(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    http = await login(live_server.url, c.chair.username)
    try:
        refused = await http.post(f"/api/meetings/{c.meeting_id}/start")
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["code"] == "no_quorum" and error["details"]["reached"] is False
        assert error["details"]["present"] == 0 and error["details"]["required"] >= 1
        assert (await http.get(f"/api/meetings/{c.meeting_id}")).json()["state"] == "published"  # nothing happened
        # Wrong flags are a clear 4xx, never a start.
        for bad in ({"force": "true"}, {"force": 1}, {"force": True, "extra": 1}):
            r = await http.post(f"/api/meetings/{c.meeting_id}/start", json=bad)
            assert r.status_code == 422, (bad, r.text)
        forced = await http.post(f"/api/meetings/{c.meeting_id}/start", json={"force": True})
        assert forced.status_code == 200 and forced.json()["state"] == "started"
    finally:
        await http.aclose()


async def test_a_member_may_not_force_a_start(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    http = await login(live_server.url, c.members[0].username)
    try:
        r = await http.post(f"/api/meetings/{c.meeting_id}/start", json={"force": True})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    finally:
        await http.aclose()


async def test_with_quorum_the_meeting_starts_without_force_over_the_socket(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, n_members=5)
    for actor in [c.chair, *c.members]:
        call(live_server.db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    chair, handle = await live_client(live_server.url, c.chair.username)
    try:
        started = await chair.call("meeting:start", {"meeting_id": c.meeting_id})
        assert started["ok"] is True and started["data"]["state"] == "started"
    finally:
        await chair.close()
        await handle.aclose()
