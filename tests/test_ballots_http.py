"""The ballot routes over HTTP: who may read the board and the parameters, who may decrypt, who may create a
trustee key (denied/allowed pairs), and wrong input answered with a 4xx."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import LiveServer
from tests.factories import PASSWORD, call
from tests.live import login
from tests.vote_helpers import device_partial, enrol_trustees, new_vote, present_cabinet, with_seal_over_http
from votes import services
from votes.ballot import proofs
from votes.models import VoteKind


@pytest.mark.service_pair("votes.ballot.election.trustee_material", "votes.secret.submit_partial")
async def test_board_and_parameters_for_participants_only(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    vid = vote["id"]
    outsider, guest, member = [await login(live_server.url, a.username) for a in (c.outsider, c.guest, c.members[1])]
    try:
        for path in (
            f"/api/votes/{vid}/board",
            f"/api/votes/{vid}/ballot-params",
            f"/api/votes/{vid}/board/{'0' * 64}",
        ):
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
        # decrypting on the trustee's device: the member is no key holder (denied), the secretary is (allowed)
        call(db, services.close_vote, actor=c.chair, vote_id=vid)
        assert (await member.get(f"/api/votes/{vid}/trustee-material")).status_code == 403
        secretary = await login(live_server.url, c.secretary.username)
        try:
            got = await secretary.get(f"/api/votes/{vid}/trustee-material")
            assert got.status_code == 200, got.text
            partial, bad_senders = device_partial(await with_seal_over_http(secretary, got.json(), PASSWORD), PASSWORD)
            assert bad_senders == []
            assert (await member.post(f"/api/votes/{vid}/partial", json={"shares": partial})).status_code == 403
            # the server-side password step is refused for a key-ceremony vote
            assert (await secretary.post(f"/api/votes/{vid}/decrypt", json={"password": PASSWORD})).status_code == 409
            wrong = [{**partial[0], "z": partial[1]["z"]}, *partial[1:]]
            r = await secretary.post(f"/api/votes/{vid}/partial", json={"shares": wrong})
            assert r.status_code == 422 and r.json()["error"]["code"] == "validation_failed"
            assert (await secretary.post(f"/api/votes/{vid}/partial", json={"shares": "x"})).status_code == 422
            done = await secretary.post(f"/api/votes/{vid}/partial", json={"shares": partial})
            assert done.status_code == 200, done.text
            assert (
                await secretary.post(f"/api/votes/{vid}/partial", json={"shares": partial})
            ).status_code == 409  # once
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


@pytest.mark.service_pair(
    "votes.ballot.ceremony.ceremony_status",
    "votes.ballot.ceremony.start_ceremony",
    "votes.ballot.ceremony.contribute",
    "votes.ballot.ceremony.complain",
)
async def test_key_ceremony_routes_who_may_call_them(live_server: LiveServer) -> None:
    from votes.ballot import dkg

    db = live_server.db
    c = present_cabinet(db)
    enrol_trustees(db, c)
    vote = new_vote(db, c, kind=VoteKind.secret)
    base = f"/api/meetings/{c.meeting_id}/key-ceremony"
    clients = {
        name: await login(live_server.url, a.username)
        for name, a in {
            "outsider": c.outsider,
            "guest": c.guest,
            "member": c.members[2],
            "chair": c.chair,
            "secretary": c.secretary,
            "trustee3": c.members[0],
        }.items()
    }
    try:
        r = await clients["chair"].post(f"/api/votes/{vote['id']}/open", json={})
        assert (
            r.status_code == 409 and r.json()["error"]["code"] == "no_key_ceremony"
        )  # no ceremony yet: told what to do
        assert "lễ tạo khóa" in r.json()["error"]["message"]
        assert (await clients["outsider"].get(base)).status_code in (403, 404)  # denied: not invited
        status = await clients["guest"].get(base)  # allowed: every participant
        assert status.status_code == 200 and status.json()["ceremony"] is None
        assert (await clients["member"].post(base, json={})).status_code == 403  # denied: does not conduct
        assert (await clients["chair"].post(base, json={"trustee_ids": "x"})).status_code == 422
        started = await clients["chair"].post(base, json={})  # allowed
        assert started.status_code == 201, started.text
        cer = started.json()
        body = dkg.contribute(cer["digest"], 1, cer["threshold"], cer["trustees"])
        denied = await clients["member"].post(base + "/contributions", json={"ceremony_id": cer["id"], **body})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_trustee"
        forged = {**body, "proofs": list(reversed(body["proofs"]))}
        bad = await clients["chair"].post(base + "/contributions", json={"ceremony_id": cer["id"], **forged})
        assert bad.status_code == 422, bad.text  # a proof that fails: refused
        malformed = await clients["chair"].post(base + "/contributions", json={"ceremony_id": cer["id"], "x": 1})
        assert malformed.status_code == 422
        wrong_to = {**body, "shares": [{**body["shares"][0], "to": "1"}, *body["shares"][1:]]}
        r = await clients["chair"].post(base + "/contributions", json={"ceremony_id": cer["id"], **wrong_to})
        assert r.status_code == 422, r.text  # a share addressed with a string: refused, never a 500
        unknown = await clients["chair"].post(base + "/contributions", json={"ceremony_id": 999999, **body})
        assert unknown.status_code == 404
        for name, index in (("chair", 1), ("secretary", 2), ("trustee3", 3)):
            part = body if index == 1 else dkg.contribute(cer["digest"], index, cer["threshold"], cer["trustees"])
            r = await clients[name].post(base + "/contributions", json={"ceremony_id": cer["id"], **part})
            assert r.status_code == 200, r.text  # allowed: each trustee
        assert r.json()["state"] == "complete" and len(r.json()["public_key"]) == 64
        opened = await clients["chair"].post(f"/api/votes/{vote['id']}/open", json={})
        assert opened.status_code == 200, opened.text  # no trustee step at opening
        complaint = {"ceremony_id": cer["id"], "against": 1, "vote_id": vote["id"]}
        assert (await clients["member"].post(base + "/complaints", json=complaint)).status_code == 403  # denied
        assert (
            await clients["trustee3"].post(base + "/complaints", json={**complaint, "against": 7})
        ).status_code == 422
        made = await clients["trustee3"].post(base + "/complaints", json=complaint)  # allowed: a trustee
        assert made.status_code == 200 and made.json()["state"] == "disputed"
        seen = (await clients["guest"].get(base)).json()["ceremony"]
        assert seen["complaints"] == [{"by": 3, "against": 1, "vote_id": vote["id"]}]
        mine = (await clients["trustee3"].get("/api/me/trustee-key")).json()
        # a legacy key: its seal (an offline test of the password) only for the password, counted
        assert mine["sealing"] == "account_password" and mine["sealed"] is None
        released = await clients["trustee3"].post("/api/me/trustee-key/sealed", json={"password": PASSWORD})
        assert released.status_code == 200 and released.json()["sealed"], released.text
    finally:
        for client in clients.values():
            await client.aclose()


@pytest.mark.service_pair("votes.ballot.board.meeting_boards")
async def test_the_minutes_export_the_boards_they_cite(live_server: LiveServer, tmp_path) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    from minutes import services as minutes
    from tests.vote_helpers import cast_secret

    db = live_server.db
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    for voter, kind in zip([c.chair, *c.members[:2]], ["yes", "no", "yes"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    from tests.vote_helpers import decrypt

    decrypt(db, c, vote)
    new_vote(db, c, kind=VoteKind.secret, state="open")  # still open: not in the export (no result yet)
    path = f"/api/meetings/{c.meeting_id}/ballot-boards"
    outsider, guest, chair = [await login(live_server.url, a.username) for a in (c.outsider, c.guest, c.chair)]
    try:
        assert (await outsider.get(path)).status_code in (403, 404)  # denied: not invited
        # decrypted, not yet published: the chair sees the decryption, the room does not (as with any tally)
        assert [b["params"]["vote_id"] for b in (await chair.get(path)).json()["boards"]] == [vote["id"]]
        assert (await guest.get(path)).json()["boards"] == []
        early = (await guest.get(f"/api/votes/{vote['id']}/board")).json()
        assert early["result"] is None and early["partials"] == [] and early["state"] == "closed"
        assert early["total"] is not None and len(early["ballots"]) == 3  # what was cast and summed: public
        call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
        got = await guest.get(path)  # allowed: every participant, like each board
        assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
        bundle = got.json()
        assert [b["params"]["vote_id"] for b in bundle["boards"]] == [vote["id"]]
        fingerprint = bundle["boards"][0]["fingerprint"]
        draft = db.run_read(minutes.get_draft, actor=c.secretary, meeting_id=c.meeting_id)
        assert fingerprint in json.dumps(draft, ensure_ascii=False)  # the minutes cite this very board
        file = tmp_path / "boards.json"
        file.write_text(got.text, encoding="utf-8")
        ecabinet = str(Path(sys.executable).with_name("ecabinet"))
        done = subprocess.run([ecabinet, "verify-ballot", str(file)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and fingerprint in done.stdout, done.stdout + done.stderr
        bundle["boards"][0]["result"]["counts"][str(vote["options"][0]["id"])] = 3  # tampered export: refused
        file.write_text(json.dumps(bundle), encoding="utf-8")
        assert (
            subprocess.run(
                [ecabinet, "verify-ballot", str(file)], capture_output=True, text=True, timeout=60
            ).returncode
            == 1
        )
    finally:
        for client in (outsider, guest, chair):
            await client.aclose()
