"""A vote's result (counts, who chose what, the outcome) reaches members and the hall display only once the
chair has published it (issue 10): between close and publish their sockets, REST, sync replay and the display
carry the progress only; the chair and the secretariat see the result at close, to decide to publish it."""

from __future__ import annotations

import json
from typing import Any

from display import services as display
from tests.conftest import LiveServer
from tests.factories import call
from tests.live import live_client, login
from tests.test_display import _screen
from tests.vote_helpers import cast_secret, decrypt, new_vote, option, present_cabinet
from votes.models import VoteKind


def leaks(payload: Any) -> list[str]:
    """What of a result a raw payload carries: counts, an outcome or a voter's choice (any vote in it)."""
    raw = json.dumps(payload, ensure_ascii=False)
    return [key for key in ('"passed": ', '"counts": ', '"voters": [', '"yes": ') if key in raw] + [
        f"tally of {v['id']}" for v in _votes(payload) if v.get("tally")
    ]


def _votes(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        found = [payload] if "tally" in payload and "question" in payload else []
        return found + [v for value in payload.values() for v in _votes(value)]
    if isinstance(payload, list):
        return [v for value in payload for v in _votes(value)]
    return []


async def test_members_and_the_display_see_the_result_only_once_published(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db, n_members=3)
    vote = new_vote(db, c, kind=VoteKind.named, state="open")
    vid, mid = vote["id"], c.meeting_id
    token = call(db, display.create_token, actor=c.staff, meeting_id=mid)["token"]
    member, mh = await live_client(live_server.url, c.members[2].username)
    chair, ch = await live_client(live_server.url, c.chair.username)
    sec = await login(live_server.url, c.staff.username)
    screen, screen_events = await _screen(live_server, token)
    try:
        stale = (await member.join(mid))["data"]["seq"]
        assert (await screen.call("meeting:join", {"meeting_id": mid}, timeout=10))["ok"]
        for voter, kind in ((c.members[0], "yes"), (c.members[1], "no"), (c.chair, "yes")):
            client = await login(live_server.url, voter.username)
            assert (
                await client.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, kind)})
            ).status_code == 200
            await client.aclose()
        await live_server.app.state.jobs.drain()
        await member.wait_for(lambda e: e["type"] == "vote.tally" and e["data"]["votes"][0]["voted_count"] == 3)

        closed = await chair.call("vote:close", {"vote_id": vid})  # the chair sees the result at close
        assert closed["ok"] and closed["data"]["result"]["yes"] == 2 and len(closed["data"]["voters"]) == 3
        assert (await sec.get(f"/api/votes/{vid}")).json()["result"]["passed"] is not None  # so does the secretariat
        env = await member.wait_for(lambda e: e["type"] == "vote.closed")
        assert env["data"]["votes"][0]["state"] == "closed" and env["data"]["votes"][0]["voted_count"] == 3
        assert leaks(member.events) == []  # every raw event this member received, the tally events included
        assert leaks((await mh.get(f"/api/votes/{vid}")).json()) == []
        assert leaks((await mh.get(f"/api/meetings/{mid}/votes")).json()) == []
        assert leaks(await member.call("meeting:sync", {"meeting_id": mid, "since": stale})) == []
        assert leaks(await member.call("meeting:sync", {"meeting_id": mid, "since": 10**6})) == []  # -> a snapshot
        rejoined = await member.call("meeting:join", {"meeting_id": mid})
        assert leaks(rejoined) == []
        stale = rejoined["data"]["seq"]  # a socket is replayed from its latest snapshot on
        assert leaks(await screen.call("meeting:join", {"meeting_id": mid}, timeout=10)) == []
        assert leaks(screen_events) == [] and any(e["type"] == "vote.closed" for e in screen_events)

        assert (await chair.call("vote:publish", {"vote_id": vid}))["ok"]
        published = await member.wait_for(lambda e: e["type"] == "vote.published")
        shown = published["data"]["votes"][0]
        assert shown["result"]["yes"] == 2 and shown["tally"][str(option(vote, "no"))] == 1
        assert {v["user_id"]: v["option_id"] for v in shown["voters"]}[c.members[1].id] == option(vote, "no")
        assert (await mh.get(f"/api/votes/{vid}")).json()["result"]["passed"] == closed["data"]["result"]["passed"]
        synced = await member.call("meeting:sync", {"meeting_id": mid, "since": stale})
        assert synced["data"]["events"][-1]["data"]["votes"][0]["result"]["yes"] == 2
        assert (await screen.call("meeting:join", {"meeting_id": mid}, timeout=10))["data"]["snapshot"]["votes"][0][
            "result"
        ]["yes"] == 2
    finally:
        await screen.disconnect()
        for tablet in (member, chair):
            await tablet.close()
        for http in (mh, ch):
            await http.aclose()
        await sec.aclose()


def test_a_member_sees_no_result_before_publish_the_chair_does(db) -> None:
    from votes import services

    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    cast_secret(db, c.members[0], vote, "yes")
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])["tally"] is None  # secret and open: nobody
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    decrypt(db, c, vote)  # two key holders decrypt the total
    for who, sees in ((c.members[1], False), (c.guest, False), (c.secretary, True), (c.staff, True), (c.chair, True)):
        got = db.run_read(services.get_vote, actor=who, vote_id=vote["id"])
        assert (got["result"] is not None, got["tally"] is not None) == (sees, sees), who
        listed = db.run_read(services.list_votes, actor=who, meeting_id=c.meeting_id)[0]
        assert (listed["result"] is not None) == sees
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    assert (
        db.run_read(services.get_vote, actor=c.members[1], vote_id=vote["id"])["tally"][str(option(vote, "yes"))] == 1
    )
