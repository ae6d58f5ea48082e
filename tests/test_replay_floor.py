"""meeting:sync replays a socket only what it was sent since its own snapshot. Stored events keep the data of
their time (a draft's agenda and its notes, a paper's title before it was restricted): a socket asking from
earlier, one that never joined, and one that may see more than before gets a snapshot of today instead."""

from __future__ import annotations

import json

from meetings import agenda, services
from meetings.schemas import AgendaItemCreate
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import live_client

SECRET = "Ghi chú nội bộ: phương án dự phòng chưa công bố"


async def test_the_drafts_history_is_not_replayed_to_members_who_join_after_publishing(
    live_server: LiveServer,
) -> None:
    db = live_server.db
    c = make_cabinet(db, publish=False)
    draft = db.run_write(
        agenda.add_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=AgendaItemCreate(title="Nội dung nháp sẽ bị xóa", notes=SECRET),
    ).result
    db.run_write(agenda.delete_item, actor=c.staff, meeting_id=c.meeting_id, item_id=draft["id"])
    db.run_write(services.publish_meeting, actor=c.staff, meeting_id=c.meeting_id)
    for user in (c.members[0], c.guest):
        tablet, http = await live_client(live_server.url, user.username)
        try:
            before_join = await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0})
            assert before_join["ok"] and "events" not in before_join["data"]  # never joined: a snapshot
            joined = await tablet.join(c.meeting_id)
            seq = joined["data"]["seq"]
            from_zero = await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": 0})
            assert from_zero["ok"] and "events" not in from_zero["data"]
            assert from_zero["data"]["snapshot"] == joined["data"]["snapshot"]
            assert (await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": seq}))["data"] == {
                "events": [],
                "seq": seq,
            }
            for answer in (before_join, joined, from_zero):
                text = json.dumps(answer, ensure_ascii=False)
                assert SECRET not in text and "Nội dung nháp sẽ bị xóa" not in text
        finally:
            await tablet.close()
            await http.aclose()
    # the secretariat, who wrote the draft, is replayed nothing older than its snapshot either
    staff, sh = await live_client(live_server.url, c.staff.username)
    try:
        seq = (await staff.join(c.meeting_id))["data"]["seq"]
        assert (
            "events" not in (await staff.call("meeting:sync", {"meeting_id": c.meeting_id, "since": seq - 1}))["data"]
        )
    finally:
        await staff.close()
        await sh.aclose()


async def test_a_socket_that_may_see_more_gets_a_snapshot_one_that_sees_less_a_replay(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, start=True)
    who = c.members[0]
    tablet, http = await live_client(live_server.url, who.username)
    staff, sh = await live_client(live_server.url, c.staff.username)
    path = f"/api/meetings/{c.meeting_id}/participants/{who.id}"
    try:
        seq = (await tablet.join(c.meeting_id))["data"]["seq"]
        assert (await sh.patch(path, json={"role": "guest"})).status_code == 200
        demoted = await tablet.wait_for(lambda e: e["seq"] > seq)
        narrower = (await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": seq}))["data"]
        assert [e["seq"] for e in narrower["events"]] == [demoted["seq"]]  # it sees less: replayed as it was sent
        assert (await sh.patch(path, json={"role": "member"})).status_code == 200
        promoted = await tablet.wait_for(lambda e: e["seq"] > demoted["seq"])
        wider = (await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": demoted["seq"]}))["data"]
        assert "events" not in wider and wider["seq"] >= promoted["seq"]  # it may see more: today's snapshot
        later = (await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": wider["seq"]}))["data"]
        assert later == {"events": [], "seq": wider["seq"]}  # from that snapshot on, replays again
    finally:
        for client in (tablet, staff):
            await client.close()
        for h in (http, sh):
            await h.aclose()
