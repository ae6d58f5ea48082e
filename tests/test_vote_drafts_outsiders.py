"""A vote being prepared (a draft: its question, options and key holders) is the members' business, not the
guests' nor the hall display's: not in their snapshot, their REST answers, nor the vote events they receive (the
same events, without the drafts), while members and those who conduct see it."""

from __future__ import annotations

import json

from display import services as display
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.test_display import _screen

DRAFT = "Câu hỏi đang soạn: có điều chỉnh dự toán không?"
OPENED = "Câu hỏi đã mở: thông qua nội dung 1?"


async def test_guests_and_the_display_never_see_a_draft_vote_members_do(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, start=True)
    mid = c.meeting_id
    token = call(db, display.create_token, actor=c.staff, meeting_id=mid)["token"]
    member, mh = await live_client(live_server.url, c.members[0].username)
    guest, gh = await live_client(live_server.url, c.guest.username)
    screen, screen_events = await _screen(live_server, token)
    try:
        for tablet in (member, guest):
            await tablet.join(mid)
        assert (await screen.call("meeting:join", {"meeting_id": mid}, timeout=10))["ok"]
        sec = await login(live_server.url, c.secretary.username)
        chair = await login(live_server.url, c.chair.username)
        try:
            made = [
                await sec.post(f"/api/meetings/{mid}/votes", json={"agenda_item_id": c.item_ids[0], "question": q})
                for q in (DRAFT, OPENED)
            ]
            assert [r.status_code for r in made] == [201, 201], [r.text for r in made]
            draft, opened = (r.json() for r in made)
            assert (await chair.post(f"/api/votes/{opened['id']}/open", json={"force": True})).status_code == 200
        finally:
            await sec.aclose()
            await chair.aclose()
        # members: the draft is in the events and in REST, as it stands
        created = await member.wait_for(lambda e: e["type"] == "vote.created" and e["data"]["vote_id"] == draft["id"])
        assert DRAFT in json.dumps(created, ensure_ascii=False)
        assert (await mh.get(f"/api/votes/{draft['id']}")).status_code == 200
        assert draft["id"] in [v["id"] for v in (await mh.get(f"/api/meetings/{mid}/votes")).json()]
        # the guest: the same events (the seq moves on), the open vote, never the draft
        told = await guest.wait_for(lambda e: e["type"] == "vote.opened")
        assert [v["id"] for v in told["data"]["votes"]] == [opened["id"]]
        assert guest.seq == member.seq
        assert (await gh.get(f"/api/votes/{draft['id']}")).status_code == 404
        assert (await gh.get(f"/api/votes/{opened['id']}")).status_code == 200
        assert [v["id"] for v in (await gh.get(f"/api/meetings/{mid}/votes")).json()] == [opened["id"]]
        snapshot = (await guest.call("meeting:join", {"meeting_id": mid}))["data"]["snapshot"]
        assert [v["id"] for v in snapshot["votes"]] == [opened["id"]]
        shown = (await screen.call("meeting:join", {"meeting_id": mid}, timeout=10))["data"]["snapshot"]
        assert [v["id"] for v in shown["votes"]] == [opened["id"]]
        for received in (guest.events, screen_events, snapshot, shown):
            assert DRAFT not in json.dumps(received, ensure_ascii=False)
        assert OPENED in json.dumps(guest.events, ensure_ascii=False)
        # a member's snapshot keeps the draft (the members' live state is one slice)
        mine = (await member.call("meeting:join", {"meeting_id": mid}))["data"]["snapshot"]
        assert {v["id"] for v in mine["votes"]} == {draft["id"], opened["id"]}
    finally:
        await screen.disconnect()
        for tablet in (member, guest):
            await tablet.close()
        for h in (mh, gh):
            await h.aclose()
