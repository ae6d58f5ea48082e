"""The trustees' key ceremony (distributed key generation, votes/ballot/dkg.py) through the services: an honest
run gives a joint key no one holds; the server refuses a contribution whose proof fails; a bad share is caught
by its receiver's Feldman check and recorded as a complaint; a vote cannot open without a complete ceremony."""

from __future__ import annotations

import pytest

from app.db import Database
from sqlmodel import col, select

from core.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import PASSWORD, call
from tests.vote_helpers import (
    cast_secret,
    contribute_as,
    deal_legacy_key,
    decrypt_as,
    decrypt_legacy,
    device_partial,
    enrol_trustees,
    new_vote,
    option,
    present_cabinet,
    run_ceremony,
    trustees,
    with_seal,
)
from votes import services
from votes.ballot import ceremony, dkg, election, proofs, trustee_keys, verify
from votes.ballot import board as ballot_board
from votes.ballot import group as g
from votes.models import CeremonyPart, VoteKind


def test_honest_ceremony_gives_the_sum_of_the_trustees_keys(db: Database) -> None:
    c = present_cabinet(db)
    enrol_trustees(db, c)
    cer = run_ceremony(db, c)
    assert cer["state"] == "complete" and all(t["contributed"] for t in cer["trustees"])
    with db.read_session() as s:
        rows = s.exec(select(CeremonyPart).where(CeremonyPart.ceremony_id == cer["id"])).all()
        c0 = g.IDENTITY
        for r in rows:
            c0 = g.add(c0, bytes.fromhex(r.commitments[0]))
            assert all(set(x) == {"to", "sealed"} for x in r.shares)  # sealed shares only, no value in the clear
    assert cer["public_key"] == c0.hex()  # Y = Σ_i C_{i,0}
    # the secret key is Σ_i f_i(0): the trustees' shares interpolate to it (two of three suffice)
    shares = {}
    for actor in trustees(c)[:2]:
        vote_like = _material_for(db, c, actor, cer)
        secret = trustee_keys.unseal_secret(vote_like["sealed_key"], actor.id, PASSWORD)
        combined = dkg.combine_shares(secret, cer["digest"], vote_like["index"], vote_like["received"])
        assert combined.bad == []
        shares[vote_like["index"]] = combined.share
    x = sum(proofs.lagrange(i, list(shares)) * s for i, s in shares.items()) % g.L
    assert g.base(x).hex() == cer["public_key"]


def _material_for(db: Database, c, actor, cer):
    """The shares sealed to `actor` in the ceremony, as trustee_material gives them at close."""
    from votes.models import TrusteeKey

    with db.read_session() as s:
        index = next(t["index"] for t in cer["trustees"] if t["user_id"] == actor.id)
        rows = s.exec(
            select(CeremonyPart).where(CeremonyPart.ceremony_id == cer["id"]).order_by(col(CeremonyPart.idx))
        ).all()
        received = [
            {
                "from": r.idx,
                "commitments": r.commitments,
                "sealed": next(x["sealed"] for x in r.shares if x["to"] == index),
            }
            for r in rows
        ]
        key = s.get(TrusteeKey, actor.id)
        assert key is not None
        return {"index": index, "received": received, "sealed_key": key.sealed}


def test_opening_a_secret_vote_needs_a_complete_ceremony(db: Database) -> None:
    c = present_cabinet(db)
    enrol_trustees(db, c)
    vote = new_vote(db, c, kind=VoteKind.secret)
    with pytest.raises(election.NoCeremony):
        call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    run_ceremony(db, c, only=trustees(c)[:2])  # the third trustee has not contributed yet
    with pytest.raises(election.NoCeremony) as caught:
        call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    assert caught.value.status == 409 and caught.value.code == "no_key_ceremony"
    run_ceremony(db, c)
    opened = call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])  # no trustee action needed now
    again = new_vote(db, c, kind=VoteKind.secret)
    call(db, services.close_vote, actor=c.chair, vote_id=opened["id"])
    second = call(db, services.open_vote, actor=c.chair, vote_id=again["id"])  # the same meeting key is reused
    p1 = db.run_read(election.parameters, actor=c.guest, vote_id=opened["id"])["params"]
    p2 = db.run_read(election.parameters, actor=c.guest, vote_id=second["id"])["params"]
    assert p1["public_key"] == p2["public_key"] and p1["ceremony"] == p2["ceremony"]


def test_who_may_start_contribute_and_complain(db: Database) -> None:
    c = present_cabinet(db)
    enrol_trustees(db, c)
    with pytest.raises(Forbidden):  # denied: a member does not conduct
        call(db, ceremony.start_ceremony, actor=c.members[2], meeting_id=c.meeting_id)
    cer = call(db, ceremony.start_ceremony, actor=c.secretary, meeting_id=c.meeting_id)  # allowed
    with pytest.raises(ceremony.NotTrustee):  # denied: not a trustee of this ceremony
        contribute_as(
            db,
            c,
            c.members[2],
            {**cer, "trustees": [{**cer["trustees"][0], "user_id": c.members[2].id}, *cer["trustees"][1:]]},
        )
    cer = contribute_as(db, c, c.chair, cer)  # allowed
    with pytest.raises(Conflict):  # once only
        contribute_as(db, c, c.chair, cer)
    with pytest.raises(ceremony.NotTrustee):
        call(db, ceremony.complain, actor=c.members[2], meeting_id=c.meeting_id, ceremony_id=cer["id"], against=1)
    with pytest.raises(ValidationFailed):  # against oneself
        call(db, ceremony.complain, actor=c.chair, meeting_id=c.meeting_id, ceremony_id=cer["id"], against=1)
    status = db.run_read(ceremony.ceremony_status, actor=c.guest, meeting_id=c.meeting_id)  # every participant reads it
    assert status["ceremony"]["state"] == "collecting" and status["can_start"] is False
    assert [t["contributed"] for t in status["ceremony"]["trustees"]] == [True, False, False]


def _bad_proof(body: dict) -> None:
    pok = body["proofs"][1]
    pok["z"] = proofs.sc(proofs.unsc(pok["z"], "z") + 1)


def _someone_elses_commitment(body: dict) -> None:
    body["commitments"][0] = g.base(7).hex()  # its logarithm is known, but the proof was made for another point


def _missing_share(body: dict) -> None:
    body["shares"].pop()


@pytest.mark.parametrize("tamper", [_bad_proof, _someone_elses_commitment, _missing_share])
def test_a_contribution_whose_proof_fails_is_refused(db: Database, tamper) -> None:
    c = present_cabinet(db)
    enrol_trustees(db, c)
    cer = call(db, ceremony.start_ceremony, actor=c.chair, meeting_id=c.meeting_id)
    with pytest.raises(ValidationFailed):
        contribute_as(db, c, c.secretary, cer, tamper=tamper)
    cer = contribute_as(db, c, c.secretary, cer)  # the honest one is then accepted
    assert cer["me"]["contributed"] is True


def test_a_bad_share_is_caught_by_the_feldman_check_and_reported(db: Database) -> None:
    c = present_cabinet(db)
    enrol_trustees(db, c)
    cer = call(db, ceremony.start_ceremony, actor=c.chair, meeting_id=c.meeting_id)

    def wrong_share_to_3(body: dict) -> None:  # trustee 1 seals a value off its polynomial to trustee 3
        to3 = next(t for t in cer["trustees"] if t["index"] == 3)
        bad = trustee_keys.seal_share(
            to3["trustee_key"], (12345).to_bytes(32, "little"), dkg.share_aad(cer["digest"], 1, 3)
        )
        next(s for s in body["shares"] if s["to"] == 3)["sealed"] = bad

    cer = contribute_as(db, c, c.chair, cer, tamper=wrong_share_to_3)  # the server cannot tell: it cannot open it
    for actor in (c.secretary, c.members[0]):
        cer = contribute_as(db, c, actor, cer)
    vote = new_vote(db, c, kind=VoteKind.secret)
    vote = call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    for voter, kind in zip([c.chair, *c.members], ["yes", "no", "yes"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    material = with_seal(db, db.run_read(election.trustee_material, actor=c.members[0], vote_id=vote["id"]))
    _, bad = device_partial(material, PASSWORD)
    assert bad == [1]  # trustee 3's device: s_{1→3}·G ≠ Σ_k 3^k C_{1,k}
    shown = call(
        db,
        ceremony.complain,
        actor=c.members[0],
        meeting_id=c.meeting_id,
        ceremony_id=cer["id"],
        against=1,
        vote_id=vote["id"],
    )
    assert shown["state"] == "disputed" and shown["complaints"] == [{"by": 3, "against": 1, "vote_id": vote["id"]}]
    progress = db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])
    assert progress["state"] == "closed"
    # trustees 1 and 2 received good shares: the total is still decrypted, and the board verifies
    decrypt_as(db, c.secretary, vote)
    done = decrypt_as(db, c.chair, vote)
    assert done["result"]["counts"][str(option(vote, "yes"))] == 2
    assert done["trustees"]["complaints"] == [{"by": 3, "against": 1, "vote_id": vote["id"]}]
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])  # published: the guest reads it all
    assert verify.verify_board(db.run_read(ballot_board.board, actor=c.guest, vote_id=vote["id"])) is not None
    # a disputed ceremony opens no new vote until the chair runs it again
    later = new_vote(db, c, kind=VoteKind.secret)
    with pytest.raises(election.NoCeremony):
        call(db, services.open_vote, actor=c.chair, vote_id=later["id"])
    run_ceremony(db, c)
    call(db, services.open_vote, actor=c.chair, vote_id=later["id"])


def test_a_vote_dealt_before_the_ceremony_keeps_its_password_step(db: Database) -> None:
    """A vote opened before 0014_dkg (its key dealt by the server, no ceremony) still decrypts with the trustees'
    passwords on the server, and only such a vote; its board verifies and says how its key was made."""
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    deal_legacy_key(db, vote)
    cast_secret(db, c.members[1], vote, "yes")
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    with pytest.raises(election.LegacyKey):  # the device path does not apply to it
        db.run_read(election.trustee_material, actor=c.chair, vote_id=vote["id"])
    decrypt_legacy(db, c.secretary, vote["id"], PASSWORD)
    done = decrypt_legacy(db, c.chair, vote["id"], PASSWORD)
    assert done["result"]["counts"][str(option(vote, "yes"))] == 1 and done["trustees"]["on_device"] is False
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    board = db.run_read(ballot_board.board, actor=c.guest, vote_id=vote["id"])
    assert verify.verify_board(board) is not None and verify.key_origin(board["params"]) == "dealer"
