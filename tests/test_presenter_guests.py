"""Guests and the hall display are not told of a document they may not read, presented or not: a presentation of a
document not shared with guests reaches the members, and for the others it has ended (its events, the snapshot, a
replay, the laser pointer). Real sockets."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.test_annotations_live import _doc, tablet
from tests.waiting import eventually


async def test_a_members_only_paper_is_presented_to_the_members_alone(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    shared = await _doc(live_server, c, share_with_guests=True)
    members_only = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    mid = c.meeting_id
    try:
        # a paper the guest may read: everyone follows it
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": shared, "page": 2}))["ok"]
        seen = await guest.client.wait_for(lambda e: e["type"] == "presenter.changed")
        assert seen["data"]["presenter"]["document_id"] == shared
        # the chair moves to a members-only paper: the members follow, for the guest the presentation ends
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": members_only}))["ok"]
        moved = await member.client.wait_for(
            lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"]["document_id"] == members_only
        )
        told = await guest.client.wait_for(lambda e: e["seq"] == moved["seq"])
        assert told["type"] == "presenter.changed" and told["data"] == {"presenter": None}
        await eventually(lambda: guest.client.seq == moved["seq"])
        assert guest.client.state is not None and guest.client.state["presenter"] is None
        # a replay and a fresh join say the same to each
        replay = (await guest.call("meeting:sync", {"meeting_id": mid, "since": seen["seq"]}))["data"]["events"]
        assert [e["data"] for e in replay if e["seq"] == moved["seq"]] == [{"presenter": None}]
        fresh = (await guest.call("meeting:join", {"meeting_id": mid}))["data"]["snapshot"]
        assert fresh["presenter"] is None and fresh == guest.client.state
        mine = (await member.call("meeting:join", {"meeting_id": mid}))["data"]["snapshot"]
        assert mine["presenter"]["document_id"] == members_only
        shown = [(e["data"].get("presenter") or {}).get("document_id") for e in guest.client.events]
        assert members_only not in shown
        # the laser pointer on it goes to the members only
        assert (await chair.call("presenter:pointer", {"meeting_id": mid, "x": 0.5, "y": 0.5}))["ok"]
        await eventually(lambda: member.pointers, "the member to see the pointer")
        assert member.pointers[-1]["document_id"] == members_only and "guests" not in member.pointers[-1]
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": shared}))["ok"]
        back = await guest.client.wait_for(
            lambda e: (
                e["seq"] > moved["seq"] and e["type"] == "presenter.changed" and e["data"]["presenter"] is not None
            )
        )
        assert back["data"]["presenter"]["document_id"] == shared  # a paper it may read: it follows again
        assert guest.pointers == []  # the pointer on the members-only paper never reached it
    finally:
        for t in (chair, member, guest):
            await t.close()
