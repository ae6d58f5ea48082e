"""Secret ballots, what the second security probe found (/tmp/probe2/report.md), each now as a user expects:
the outcome of a secret vote is fixed by the roster at close; a key holder's password change keeps their key and an
administrator's reset says which key is lost; the threat model states what an operator can do; the board verifier
recomputes the outcome; hex has one spelling; a ballot without randomness is refused; a closed, not yet decrypted
vote shows no counts (not zeros)."""

from __future__ import annotations

import copy
import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from accounts.models import GlobalRole
from app.db import Database
from core.errors import Forbidden, ValidationFailed
from meetings import participation
from meetings.models import MeetingRole
from meetings.schemas import ParticipantUpdate
from tests.conftest import LiveServer
from tests.factories import PASSWORD, call, make_user
from tests.live import login
from tests.vote_helpers import (
    cast_secret,
    decrypt,
    decrypt_as,
    device_partial,
    new_vote,
    present_cabinet,
    with_seal_over_http,
)
from votes import services
from votes import secret as secret_votes
from votes.ballot import dkg, election, proofs, trustee_keys
from votes.ballot import board as ballot_board
from votes.ballot import group as g
from votes.models import CeremonyPart, SecretBallot, TrusteeKey, VoteKind

ECABINET = str(Path(sys.executable).with_name("ecabinet"))
ROOT = Path(__file__).resolve().parent.parent
NEW = "Mật-khẩu-mới-của-tôi-2027"


def _closed_secret_vote(db: Database, kinds: list[str], n_members: int = 4) -> tuple[Any, dict[str, Any]]:
    c = present_cabinet(db, n_members=n_members)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    for voter, kind in zip([c.chair, *c.members], kinds):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    return c, vote


def _published_board(db: Database, kinds: list[str]) -> dict[str, Any]:
    c, vote = _closed_secret_vote(db, kinds)
    decrypt(db, c, vote)
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    return db.run_read(ballot_board.board, actor=c.members[3], vote_id=vote["id"])


def _refinger(board: dict[str, Any]) -> dict[str, Any]:
    board["fingerprint"] = proofs.digest({k: v for k, v in board.items() if k != "fingerprint"})
    return board


def _verify(tmp_path: Path, board: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "BOARD.json"
    path.write_text(json.dumps(board, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([ECABINET, "verify-ballot", str(path)], capture_output=True, text=True, timeout=60)


# --- 1. the outcome is fixed by the roster at close ------------------------------------------------------------


def test_roster_edits_after_close_do_not_change_a_secret_outcome(db: Database) -> None:
    # chair + 4 members = 5 members: "more than half of all" needs 3; 2 in favour is not enough
    c, vote = _closed_secret_vote(db, ["yes", "yes", "no"])
    for member in c.members[2:]:  # two members who did not vote become guests before the key holders decrypt
        data = ParticipantUpdate(role=MeetingRole.guest)
        call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=member.id, data=data)
    done = decrypt(db, c, vote)
    result = done["result"]
    assert (result["total_members"], result["required"], result["yes"]) == (5, 3, 2)
    assert result["passed"] is False  # by the roster of 3 members it would have "passed"


# --- 2. the trustee key follows a password change; a reset says which key is lost --------------------------------


async def test_a_key_holder_who_changes_their_password_still_decrypts(live_server: LiveServer) -> None:
    db = live_server.db
    c, vote = _closed_secret_vote(db, ["yes", "no", "yes"])
    holder = await login(live_server.url, c.members[0].username)  # the third key holder
    try:
        changed = await holder.post("/api/me/password", json={"current": PASSWORD, "new": NEW})
        assert changed.status_code == 200, changed.text
        assert (await holder.get("/api/me/trustee-key")).json()["enrolled"] is True
        material = (await holder.get(f"/api/votes/{vote['id']}/trustee-material")).json()
        assert material["sealed_key"] is None  # a legacy key's seal: released for the password only
        old = await holder.post("/api/me/trustee-key/sealed", json={"password": PASSWORD})
        assert old.status_code == 403, old.text
        material = await with_seal_over_http(holder, material, NEW)
        with pytest.raises(Forbidden):  # the old password no longer opens it...
            trustee_keys.unseal_secret(material["sealed_key"], c.members[0].id, PASSWORD)
        partial, bad = device_partial(material, NEW)  # ...the new one does, and it is the same key
        assert bad == []
        sent = await holder.post(f"/api/votes/{vote['id']}/partial", json={"shares": partial})
        assert sent.status_code == 200, sent.text
    finally:
        await holder.aclose()
    done = decrypt_as(db, c.chair, vote)
    assert done["result"]["yes"] == 2


async def test_an_administrators_reset_marks_the_key_lost_and_says_which_votes_wait(live_server: LiveServer) -> None:
    db = live_server.db
    c, vote = _closed_secret_vote(db, ["yes", "yes", "no"])
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    admin = await login(live_server.url, admin_user.username)
    try:
        reset = await admin.patch(f"/api/users/{c.secretary.id}", json={"password": NEW})
        assert reset.status_code == 200, reset.text
        lost = reset.json()["trustee_key_lost"]
        assert lost["user_id"] == c.secretary.id and lost["pending_votes"] == [vote["id"]]
        assert len(lost["ceremonies"]) == 1
        plain = await admin.patch(f"/api/users/{c.members[3].id}", json={"password": NEW})  # holds no key
        assert "trustee_key_lost" not in plain.json()
    finally:
        await admin.aclose()
    secretary = await login(live_server.url, c.secretary.username, NEW)
    try:
        mine = (await secretary.get("/api/me/trustee-key")).json()
        assert mine["enrolled"] is False and mine["lost"] is True  # the meetings page asks for a new key
        material = (await secretary.get(f"/api/votes/{vote['id']}/trustee-material")).json()
        assert material["key_lost"] is True
        new = await secretary.post("/api/me/trustee-key/sealed", json={"password": NEW})
        assert new.status_code == 403, new.text  # sealed with the password before the reset: only that opens it
        material = await with_seal_over_http(secretary, material, PASSWORD)
        with pytest.raises(Forbidden):
            trustee_keys.unseal_secret(material["sealed_key"], c.secretary.id, NEW)
        again = await secretary.post("/api/me/trustee-key", json={"password": NEW})  # a new key, for new ceremonies
        assert again.status_code == 200
        mine = (await secretary.get("/api/me/trustee-key")).json()
        assert mine["enrolled"] is True and mine["lost"] is False
    finally:
        await secretary.aclose()
    decrypt_as(db, c.chair, vote)  # the two other key holders still decrypt
    assert decrypt_as(db, c.members[0], vote)["decryption"]["decrypted"] == 2
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])["result"]["yes"] == 2


# --- 3. the threat model says what an operator with the database and two passwords can do ------------------------


def test_threat_model_states_what_the_database_and_two_passwords_open(db: Database) -> None:
    text = (ROOT / "docs/ballot-threat-model.md").read_text(encoding="utf-8")
    assert "still needs two trustees' secrets" not in text
    assert "The password\n  and the share never reach the server" not in text
    flat = " ".join(text.split())
    # closed for keys made on the tablet with a passphrase; still open for legacy keys and the served JavaScript
    assert "What is now closed: trustee keys made on the tablet with a trustee passphrase" in flat
    assert "*Legacy keys* (`sealing` = `account_password`" in flat and "*The served JavaScript.*" in flat
    assert "decrypt **every individual ballot**" in flat
    # and it is true of legacy keys: the database plus the passwords the server sees at login open every ballot
    # (tests/test_trustee_passphrase.py: a passphrase key does not open with the password)
    c, vote = _closed_secret_vote(db, ["no", "yes", "abstain"])

    def steal(session: Any) -> list[int]:
        params = election.election_of(session, vote["id"])
        cer = params.params["ceremony"]
        parts = {p.idx: p for p in session.exec(select(CeremonyPart).where(CeremonyPart.ceremony_id == cer["id"]))}
        shares = {}
        for t in params.params["trustees"][:2]:  # chair and secretary: two passwords seen at login
            key = trustee_keys.unseal_secret(session.get(TrusteeKey, t["user_id"]).sealed, t["user_id"], PASSWORD)
            mine = t["index"]
            received = [
                {"from": i, "commitments": p.commitments, "sealed": sealed}
                for i, p in sorted(parts.items())
                for sealed in [next(x["sealed"] for x in p.shares if x["to"] == mine)]
            ]
            shares[mine] = dkg.combine_shares(key, cer["digest"], mine, received).share
        x = sum(proofs.lagrange(i, sorted(shares)) * s for i, s in shares.items()) % g.L
        choices = []
        for row in session.exec(select(SecretBallot).where(SecretBallot.vote_id == vote["id"])):
            cts = json.loads(row.body)["ciphertexts"]
            ms = [g.sub(bytes.fromhex(ct["b"]), g.mul(x, bytes.fromhex(ct["a"]))) for ct in cts]
            choices.append([m == g.BASE for m in ms].index(True))
        return sorted(choices)

    assert db.run_read(steal) == [0, 1, 2]  # each individual choice: yes, no, abstain


# --- 4. the verifier recomputes the outcome -------------------------------------------------------------------


def test_the_verifier_recomputes_and_prints_the_outcome(db: Database, tmp_path: Path) -> None:
    board = _published_board(db, ["yes", "no", "yes", "abstain", "yes"])  # 3 of 5 members: passed
    result = board["result"]
    assert (result["total_members"], result["present"], result["required"], result["passed"]) == (5, 5, 3, True)
    assert sorted(result["kinds"].values()) == ["abstain", "no", "yes"]
    done = _verify(tmp_path, board)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "THÔNG QUA" in done.stdout and "cần 3" in done.stdout
    flipped = _refinger({**copy.deepcopy(board), "result": {**result, "passed": False}})
    done = _verify(tmp_path, flipped)
    assert done.returncode == 1 and "passed" in done.stdout, done.stdout
    grown = _refinger({**copy.deepcopy(board), "result": {**result, "total_members": 9, "required": 5}})
    assert _verify(tmp_path, grown).returncode == 1  # 3 of 9 is not passed
    kinds = {k: ("no" if v == "yes" else "yes" if v == "no" else v) for k, v in result["kinds"].items()}
    swapped = _refinger({**copy.deepcopy(board), "result": {**result, "kinds": kinds}})
    assert _verify(tmp_path, swapped).returncode == 1
    old = _refinger({**copy.deepcopy(board), "result": {k: result[k] for k in ("counts", "passed", "rule")}})
    done = _verify(tmp_path, old)  # a board of a vote closed before the counts were fixed: said plainly
    assert done.returncode == 0 and "không tính lại được" in done.stdout


# --- 5. one spelling per value ----------------------------------------------------------------------------------


def test_upper_case_hex_is_refused_by_the_verifier(db: Database, tmp_path: Path) -> None:
    board = _published_board(db, ["yes", "no", "yes"])
    upper = copy.deepcopy(board)
    ballot = {k: v for k, v in upper["ballots"][0].items() if k != "receipt"}
    ballot["token"] = ballot["token"].upper()  # the same bytes, another receipt
    upper["ballots"][0] = {"receipt": proofs.digest(ballot), **ballot}
    upper["ballots"].sort(key=lambda b: b["receipt"])
    done = _verify(tmp_path, _refinger(upper))
    assert done.returncode == 1 and "lowercase" in done.stdout, done.stdout
    with pytest.raises(proofs.Invalid):
        proofs.pt(g.BASE.hex().upper(), "point")


# --- 6. a ballot with no randomness --------------------------------------------------------------------------------


def _zero_randomness(params: dict[str, Any], digest: str, choice: int, monkeypatch: pytest.MonkeyPatch) -> dict:
    """encrypt_ballot with every r_k = 0 (valid proofs: the prover knows r = 0): α_k = identity, β_k = m_k·G."""
    calls = iter(range(10_000))
    real = g.random_scalar
    n = len(params["options"])
    monkeypatch.setattr(g, "random_scalar", lambda: 0 if (i := next(calls)) < 4 * n and i % 4 == 0 else real())
    try:
        return proofs.encrypt_ballot(params, digest, choice, secrets.token_bytes(32))
    finally:
        monkeypatch.setattr(g, "random_scalar", real)


def test_a_ballot_without_randomness_is_refused(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    p = db.run_read(election.parameters, actor=c.members[1], vote_id=vote["id"])
    clear = _zero_randomness(p["params"], p["params_digest"], 0, monkeypatch)
    assert clear["ciphertexts"][0] == {"a": g.IDENTITY.hex(), "b": g.BASE.hex()}  # the choice, readable by all
    with pytest.raises(ValidationFailed):
        call(db, secret_votes.cast_secret, actor=c.members[1], vote_id=vote["id"], ballot=clear)
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])["voted_count"] == 0
    with pytest.raises(proofs.Invalid, match="randomness"):  # and the verifier refuses it on a board
        proofs.verify_ballot(p["params"], p["params_digest"], clear)


# --- 8. closed, not yet decrypted: no counts ------------------------------------------------------------------------


def test_a_closed_secret_vote_shows_no_counts_until_decrypted(db: Database) -> None:
    c, vote = _closed_secret_vote(db, ["yes"])
    seen = db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])
    assert seen["state"] == "closed" and seen["voted_count"] == 1
    assert seen["tally"] is None and seen["result"] is None  # "not yet decrypted", not 0/0/0
    listed = db.run_read(services.list_votes, actor=c.secretary, meeting_id=c.meeting_id)
    assert [v["tally"] for v in listed] == [None]
    done = decrypt(db, c, vote)
    assert sorted(done["tally"].values()) == [0, 0, 1]
