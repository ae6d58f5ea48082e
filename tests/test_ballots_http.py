"""The ballot routes over HTTP: who may read the board and the parameters, who may decrypt, who may create a
trustee key (denied/allowed pairs), and wrong input answered with a 4xx."""
from __future__ import annotations

import secrets

from tests.conftest import LiveServer
from tests.factories import PASSWORD, call
from tests.live import login
from tests.vote_helpers import new_vote, present_cabinet
from votes import services
from votes.ballot import proofs
from votes.models import VoteKind


async def test_board_and_parameters_for_participants_only(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    vid = vote["id"]
    outsider, guest, member = [await login(live_server.url, a.username) for a in (c.outsider, c.guest, c.members[1])]
    try:
        for path in (f"/api/votes/{vid}/board", f"/api/votes/{vid}/ballot-params", f"/api/votes/{vid}/board/{'0' * 64}"):
            assert (await outsider.get(path)).status_code in (403, 404), path  # denied: not invited
            assert (await guest.get(path)).status_code == 200, path  # allowed: every participant
        params = (await member.get(f"/api/votes/{vid}/ballot-params")).json()
        ballot = proofs.encrypt_ballot(params["params"], params["params_digest"], 1, secrets.token_bytes(32))
        sent = await member.post(f"/api/votes/{vid}/secret-ballots", json={"ballot": ballot})
        assert sent.status_code == 200, sent.text
        receipt = sent.json()["receipt"]
        assert (await member.get(f"/api/votes/{vid}/board/{receipt}")).json()["on_board"] is True
        board = (await guest.get(f"/api/votes/{vid}/board")).json()
        assert [b["receipt"] for b in board["ballots"]] == [receipt] and board["voted_count"] == 1
        # wrong input: 4xx, never a 500
        assert (await member.get(f"/api/votes/{vid}/board/xyz")).status_code == 422
        bad = {**ballot, "token": "ZZ" * 32}
        assert (await member.post(f"/api/votes/{vid}/secret-ballots", json={"ballot": bad})).status_code == 422
        forged = {**ballot, "token": secrets.token_hex(32)}  # a proof bound to another token
        r = await member.post(f"/api/votes/{vid}/secret-ballots", json={"ballot": forged})
        assert r.status_code in (409, 422)
        other = await login(live_server.url, c.members[2].username)
        try:
            r = await other.post(f"/api/votes/{vid}/secret-ballots", json={"ballot": forged})
            assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
            r = await other.post(f"/api/votes/{vid}/ballots", json={"option_id": vote["options"][0]["id"]})
            assert r.status_code == 422  # plaintext refused
        finally:
            await other.aclose()
        # decrypting: the member is no key holder (denied), the secretary is (allowed)
        call(db, services.close_vote, actor=c.chair, vote_id=vid)
        assert (await member.post(f"/api/votes/{vid}/decrypt", json={"password": PASSWORD})).status_code == 403
        secretary = await login(live_server.url, c.secretary.username)
        try:
            assert (await secretary.post(f"/api/votes/{vid}/decrypt", json={"password": "sai"})).status_code == 403
            assert (await secretary.post(f"/api/votes/{vid}/decrypt", json={"password": PASSWORD})).status_code == 200
        finally:
            await secretary.aclose()
    finally:
        for client in (outsider, guest, member):
            await client.aclose()


async def test_trustee_key_needs_the_account_password(live_server: LiveServer) -> None:
    c = present_cabinet(live_server.db)
    member = await login(live_server.url, c.members[3].username)
    try:
        assert (await member.get("/api/me/trustee-key")).json()["enrolled"] is False
        assert (await member.post("/api/me/trustee-key", json={"password": "không đúng"})).status_code == 403  # denied
        made = await member.post("/api/me/trustee-key", json={"password": PASSWORD})  # allowed
        assert made.status_code == 200 and len(made.json()["public_key"]) == 64
        assert (await member.get("/api/me/trustee-key")).json()["enrolled"] is True
    finally:
        await member.aclose()
