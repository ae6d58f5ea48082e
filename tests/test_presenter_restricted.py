"""A document made restricted while it is presented: the presentation ends for the room, and nothing of that
document (a page turn, shared ink, the pointer) reaches those outside its list any more. Real sockets."""

from __future__ import annotations

from tests.annotation_helpers import ink
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login
from tests.test_annotations_live import _doc, tablet


async def test_restricting_a_presented_document_ends_the_presentation(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    listed = await tablet(live_server, c.members[0].username, c.meeting_id)
    outside = await tablet(live_server, c.members[1].username, c.meeting_id)
    staff = await login(live_server.url, c.staff.username)
    mid = c.meeting_id
    try:
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": doc, "page": 2}))["ok"]
        stroke = {"meeting_id": mid, "page": 1, "data": ink(1)["data"]}
        assert (await chair.call("presenter:ink", stroke))["ok"]  # while ordinary, the room sees the ink
        await outside.client.wait_for(lambda e: e["type"] == "presenter.ink")

        r = await staff.patch(f"/api/documents/{doc}", json={"restricted": True, "allowed_user_ids": [c.members[0].id]})
        assert r.status_code == 200, r.text
        ended = await outside.client.wait_for(
            lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"] is None
        )
        await listed.client.wait_for(lambda e: e["seq"] == ended["seq"])

        # nothing more of it is shown to the room: no page turn, no ink, no pointer, no new presentation
        for event, payload in (
            ("presenter:page", {"meeting_id": mid, "page": 3}),
            ("presenter:ink", stroke),
            ("presenter:pointer", {"meeting_id": mid, "x": 0.5, "y": 0.5}),
            ("presenter:start", {"meeting_id": mid, "document_id": doc, "page": 1}),
        ):
            ack = await chair.call(event, payload)
            # (a paper the chair is not listed for is, to the chair, no paper of this meeting: not_found)
        assert not ack["ok"] and ack["error"]["code"] in ("forbidden", "invalid_state", "not_found"), (event, ack)
        assert outside.pointers == []
        fresh = (await outside.call("meeting:join", {"meeting_id": mid}))["data"]
        assert fresh["snapshot"]["presenter"] is None
        assert [e for e in outside.client.events if e["seq"] > ended["seq"] and e["type"].startswith("presenter")] == []
    finally:
        for t in (chair, listed, outside):
            await t.close()
        await staff.aclose()
