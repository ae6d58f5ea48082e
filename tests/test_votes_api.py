"""Votes over REST and over real sockets: the flow, every guard, the error envelope / error ack, bad payloads,
live tally events, and 'events applied to a stale snapshot == a fresh snapshot'."""

from __future__ import annotations

import secrets
from typing import Any

from meetings import services as meeting_services
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import live_client, login
from tests.vote_helpers import check_in, decrypt_over_http, new_vote, option, present_cabinet
from tests.waiting import eventually
from votes.ballot import proofs
from votes.models import VoteKind


def _err(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code, body
    assert body["message"]
    return body


async def test_rest_flow_and_guards(live_server: LiveServer) -> None:
    db = live_server.db
    c = make_cabinet(db, start=True)
    sec, chair, member, guest = [
        await login(live_server.url, a.username) for a in (c.secretary, c.chair, c.members[0], c.guest)
    ]
    mid = c.meeting_id
    try:
        r = await sec.post(
            f"/api/meetings/{mid}/votes",
            json={"agenda_item_id": c.item_ids[0], "question": "Thông qua đề án?", "kind": "named"},
        )
        assert r.status_code == 201, r.text
        vote = r.json()
        vid = vote["id"]
        assert [o["label"] for o in vote["options"]] == ["Tán thành", "Không tán thành", "Không biểu quyết"]
        assert vote["state"] == "draft" and vote["result"] is None
        # validation: wrong types, unknown fields, bad options, an item of another meeting
        _err(
            await sec.post(f"/api/meetings/{mid}/votes", json={"agenda_item_id": "1", "question": "Câu hỏi?"}),
            422,
            "validation_failed",
        )
        _err(
            await sec.post(
                f"/api/meetings/{mid}/votes",
                json={"agenda_item_id": c.item_ids[0], "question": "Câu hỏi?", "kind": "public"},
            ),
            422,
            "validation_failed",
        )
        _err(
            await sec.post(
                f"/api/meetings/{mid}/votes", json={"agenda_item_id": c.item_ids[0], "question": "Câu hỏi?", "x": 1}
            ),
            422,
            "validation_failed",
        )
        _err(
            await sec.post(
                f"/api/meetings/{mid}/votes",
                json={
                    "agenda_item_id": c.item_ids[0],
                    "question": "Câu hỏi?",
                    "options": [{"label": "Có", "kind": "yes"}, {"label": "Có nữa", "kind": "yes"}],
                },
            ),
            422,
            "validation_failed",
        )
        _err(
            await sec.post(f"/api/meetings/{mid}/votes", json={"agenda_item_id": 999999, "question": "Câu hỏi?"}),
            422,
            "validation_failed",
        )
        _err(
            await sec.post("/api/meetings/999999/votes", json={"agenda_item_id": 1, "question": "Câu hỏi?"}),
            404,
            "not_found",
        )
        _err(
            await member.post(
                f"/api/meetings/{mid}/votes", json={"agenda_item_id": c.item_ids[0], "question": "Câu hỏi?"}
            ),
            403,
            "forbidden",
        )
        # draft: edit; cannot cast, close or publish yet
        r = await sec.patch(f"/api/votes/{vid}", json={"question": "Thông qua đề án sửa đổi?"})
        assert r.status_code == 200 and r.json()["question"] == "Thông qua đề án sửa đổi?"
        _err(await sec.patch(f"/api/votes/{vid}", json={"kind": 3}), 422, "validation_failed")
        body = _err(await chair.post(f"/api/votes/{vid}/close"), 409, "invalid_state")
        assert body["message"] == "Không thể đóng biểu quyết “Thông qua đề án sửa đổi?”: biểu quyết chưa mở."
        _err(
            await member.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "yes")}), 403, "forbidden"
        )  # not present
        # quorum: refused with no_quorum, then the chair forces it... after checking people in instead
        _err(await chair.post(f"/api/votes/{vid}/open"), 409, "no_quorum")
        _err(await member.post(f"/api/votes/{vid}/open"), 403, "forbidden")
        check_in(db, c, [c.chair, *c.members])
        _err(
            await member.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "yes")}),
            409,
            "invalid_state",
        )  # draft
        _err(await chair.post(f"/api/votes/{vid}/open", json={"force": "yes"}), 422, "validation_failed")
        r = await chair.post(f"/api/votes/{vid}/open")
        assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["eligible_count"] == 6
        _err(await sec.patch(f"/api/votes/{vid}", json={"question": "Quá muộn để sửa?"}), 409, "invalid_state")
        # casting: bad payloads, unknown vote, guest, change of mind
        _err(await member.post(f"/api/votes/{vid}/ballots", json={"option_id": "1"}), 422, "validation_failed")
        _err(await member.post(f"/api/votes/{vid}/ballots", json={}), 422, "validation_failed")
        _err(await member.post(f"/api/votes/{vid}/ballots", content=b"{not json"), 415, "unsupported_media_type")
        _err(await member.post(f"/api/votes/{vid}/ballots", json={"option_id": 999999}), 422, "validation_failed")
        _err(await member.post("/api/votes/999999/ballots", json={"option_id": 1}), 404, "not_found")
        _err(await member.get("/api/votes/999999"), 404, "not_found")
        _err(await guest.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "yes")}), 403, "forbidden")
        r = await member.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "no")})
        assert r.status_code == 200 and r.json()["me"] == {
            "may_vote": True,
            "voted": True,
            "option_id": option(vote, "no"),
            "final": False,
        }
        r = await member.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "yes")})
        assert r.json()["voted_count"] == 1 and r.json()["me"]["option_id"] == option(vote, "yes")
        r = await member.get(f"/api/votes/{vid}")  # a member sees the progress, not the result, until it is published
        assert r.json()["voted_count"] == 1 and r.json()["tally"] is None and r.json()["voters"] is None
        r = await chair.get(f"/api/votes/{vid}")  # the chair sees it as it stands
        assert r.json()["tally"] == {
            str(option(vote, "yes")): 1,
            str(option(vote, "no")): 0,
            str(option(vote, "abstain")): 0,
        }
        assert r.json()["voters"] == [
            {"user_id": c.members[0].id, "full_name": c.members[0].full_name, "option_id": option(vote, "yes")}
        ]
        _err(await member.post(f"/api/votes/{vid}/publish"), 403, "forbidden")
        _err(await chair.post(f"/api/votes/{vid}/publish"), 409, "invalid_state")
        r = await chair.post(f"/api/votes/{vid}/close")
        result = r.json()["result"]
        assert (
            result["passed"] is False
            and result["yes"] == 1
            and result["required"] == 4
            and result["total_members"] == 6
        )
        body = _err(
            await member.post(f"/api/votes/{vid}/ballots", json={"option_id": option(vote, "no")}), 409, "invalid_state"
        )
        assert "đã đóng" in body["message"]
        _err(await chair.post(f"/api/votes/{vid}/close"), 409, "invalid_state")
        assert (await guest.get(f"/api/meetings/{mid}/votes")).json()[0]["result"] is None  # closed, not yet published
        r = await sec.post(f"/api/votes/{vid}/publish")
        assert r.json()["state"] == "published"
        listed = (await guest.get(f"/api/meetings/{mid}/votes")).json()
        assert [v["id"] for v in listed] == [vid] and listed[0]["result"]["counts"][str(option(vote, "yes"))] == 1
    finally:
        for client in (sec, chair, member, guest):
            await client.aclose()


async def test_socket_cast_errors_and_live_tally(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db, n_members=3)
    secret = new_vote(db, c, kind=VoteKind.secret, state="open")
    mid, vid = c.meeting_id, secret["id"]
    watcher, wh = await live_client(live_server.url, c.guest.username)
    m0, h0 = await live_client(live_server.url, c.members[0].username)
    m1, h1 = await live_client(live_server.url, c.members[1].username)
    guest, gh = await live_client(live_server.url, c.guest.username)
    stale = await watcher.join(mid)
    stale_state, stale_seq = stale["data"]["snapshot"], stale["data"]["seq"]
    try:
        assert stale_state["votes"][0]["tally"] is None and stale_state["votes"][0]["state"] == "open"
        bad = [
            ({"vote_id": "x", "option_id": 1}, "validation_failed"),
            ({"vote_id": vid}, "validation_failed"),
            ({"vote_id": vid, "option_id": 1.5}, "validation_failed"),
            ({"vote_id": vid, "option_id": option(secret, "yes"), "extra": True}, "validation_failed"),
            ("not an object", "validation_failed"),
            ({"vote_id": 999999, "option_id": 1}, "not_found"),
            ({"vote_id": vid, "option_id": 999999}, "validation_failed"),
        ]
        for payload, code in bad:
            ack = await m0.call("vote:cast", payload)
            assert ack["ok"] is False and ack["error"]["code"] == code, (payload, ack)
        ack = await guest.call("vote:cast", {"vote_id": vid, "option_id": option(secret, "yes")})
        assert ack["error"]["code"] == "forbidden"
        ack = await m0.call("vote:open", {"vote_id": vid})
        assert ack["error"]["code"] == "forbidden"
        ack = await m0.call("vote:close", {"vote_id": "1"})
        assert ack["error"]["code"] == "validation_failed"
        ack = await m0.call("vote:cast", {"vote_id": vid, "option_id": option(secret, "yes")})
        assert ack["error"]["code"] == "validation_failed"  # a plaintext choice on a secret vote is refused
        params = (await h0.get(f"/api/votes/{vid}/ballot-params")).json()

        def ballot(kind: str) -> dict:
            index = [o["kind"] for o in secret["options"]].index(kind)
            return {
                "ballot": proofs.encrypt_ballot(
                    params["params"], params["params_digest"], index, secrets.token_bytes(32)
                )
            }

        sent = await h0.post(f"/api/votes/{vid}/secret-ballots", json=ballot("yes"))
        assert sent.status_code == 200 and sent.json()["me"]["final"] is True and sent.json()["voted_count"] == 1
        assert len(sent.json()["receipt"]) == 64
        again = await h0.post(f"/api/votes/{vid}/secret-ballots", json=ballot("no"))
        assert again.json()["error"]["code"] == "already_voted"
        assert (await h1.post(f"/api/votes/{vid}/secret-ballots", json=ballot("no"))).status_code == 200
        tally = await watcher.wait_for(
            lambda e: e["type"] == "vote.tally" and e["data"]["votes"][0]["voted_count"] == 2
        )
        assert tally["data"]["votes"][0]["tally"] is None  # secret: only how many have voted
        assert tally["data"]["votes"][0]["voters"] is None and "by" not in tally["data"]
        # the chair closes over the socket; two key holders decrypt the total; a late cast gets a clear error
        chair, ch = await live_client(live_server.url, c.chair.username)
        closed = await chair.call("vote:close", {"vote_id": vid})
        assert closed["ok"] and closed["data"]["result"] is None
        assert (await decrypt_over_http(h0, vid)).status_code == 200  # on the key holders' devices
        done = (await decrypt_over_http(ch, vid)).json()
        assert done["result"]["yes"] == 1 and done["result"]["no"] == 1
        assert done["result"]["tie"] is True and done["result"]["passed"] is False
        late = await h1.post(f"/api/votes/{vid}/secret-ballots", json=ballot("yes"))
        assert late.json()["error"]["code"] == "invalid_state" and "đã đóng" in late.json()["error"]["message"]
        assert (await chair.call("vote:publish", {"vote_id": vid}))["ok"]
        # an open vote: the progress is live (the counts for those who conduct); replayed state == a fresh snapshot
        created = await ch.post(
            f"/api/meetings/{mid}/votes", json={"agenda_item_id": c.item_ids[1], "question": "Thông qua nghị quyết?"}
        )
        ack = await chair.call("vote:open", {"vote_id": created.json()["id"]})
        assert ack["ok"], ack
        open_vote = ack["data"]
        for client, kind in ((m0, "yes"), (m1, "no"), (m1, "yes")):
            assert (await client.call("vote:cast", {"vote_id": open_vote["id"], "option_id": option(open_vote, kind)}))[
                "ok"
            ]
        await live_server.app.state.jobs.drain()
        want = {str(option(open_vote, "yes")): 2, str(option(open_vote, "no")): 0, str(option(open_vote, "abstain")): 0}
        seen = await watcher.wait_for(
            lambda e: e["type"] == "vote.tally" and e["data"]["votes"][-1]["voted_count"] == 2
        )
        assert seen["data"]["votes"][-1]["tally"] is None
        assert (await ch.get(f"/api/votes/{open_vote['id']}")).json()["tally"] == want
        fresh = db.run_read(meeting_services.join, actor=c.guest, meeting_id=mid)
        await eventually(lambda: watcher.seq == fresh["seq"], "the watcher to apply every event")
        assert watcher.state == fresh["snapshot"]
        replay = db.run_read(meeting_services.sync, actor=c.guest, meeting_id=mid, since=stale_seq, limit=500)
        from meetings.reducer import apply_event

        state = stale_state
        for env in replay["events"]:
            state = apply_event(state, env)
        assert state == fresh["snapshot"]
        assert {e["type"] for e in replay["events"]} >= {
            "vote.tally",
            "vote.closed",
            "vote.published",
            "vote.created",
            "vote.opened",
        }
        await ch.aclose()
        await chair.close()
    finally:
        for client, http in ((watcher, wh), (m0, h0), (m1, h1), (guest, gh)):
            await client.close()
            await http.aclose()
