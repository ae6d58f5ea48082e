"""Encrypted secret ballots end to end through the services: the tablet's ballot is verified and stored with no
link to its voter, a plaintext choice is refused, only two of three trustees are needed to decrypt the TOTAL,
the board verifies and its result follows the VN majority rule (a secret tie is not passed)."""

from __future__ import annotations

import secrets

import pytest

from app.db import Database
from core.errors import Conflict, Forbidden, ValidationFailed
from tests.factories import PASSWORD, call
from tests.vote_helpers import (
    cast_secret,
    decrypt,
    decrypt_as,
    decrypt_legacy,
    device_partial,
    enrol_legacy,
    new_vote,
    option,
    present_cabinet,
    with_seal,
)
from votes import casting, services
from votes import secret as secret_votes
from votes.ballot import ceremony, election, proofs, verify
from votes.ballot import board as ballot_board
from votes.models import VoteKind


def test_encrypted_ballots_are_counted_and_the_board_verifies(db: Database) -> None:
    c = present_cabinet(db, n_members=4)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    choices = ["yes", "yes", "no", "abstain", "yes"]
    receipts = [cast_secret(db, voter, vote, kind)["receipt"] for voter, kind in zip([c.chair, *c.members], choices)]
    assert len(set(receipts)) == 5
    with pytest.raises(secret_votes.AlreadyVoted):
        cast_secret(db, c.members[0], vote, "no")
    seen = db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])
    assert seen["voted_count"] == 5 and seen["tally"] is None and seen["me"]["voted"] is True
    closed = call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    assert closed["state"] == "closed" and closed["result"] is None  # nothing decrypted at close
    with pytest.raises(Conflict):
        cast_secret(db, c.members[3], vote, "no")  # closed: refused
    one = decrypt_as(db, c.members[0], vote)
    assert one["result"] is None and [t["decrypted"] for t in one["trustees"]["trustees"]] == [False, False, True]
    done = decrypt_as(db, c.chair, vote)
    counts = done["result"]["counts"]
    assert counts == {str(option(vote, "yes")): 3, str(option(vote, "no")): 1, str(option(vote, "abstain")): 1}
    assert done["result"]["passed"] is True  # 3 of the 5 voting members (chair + 4): more than half of all
    early = db.run_read(ballot_board.board, actor=c.guest, vote_id=vote["id"])
    assert early["result"] is None and early["partials"] == []  # decrypted, not yet published: the room waits
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    board = db.run_read(ballot_board.board, actor=c.guest, vote_id=vote["id"])
    assert sorted(b["receipt"] for b in board["ballots"]) == sorted(receipts)
    assert verify.verify_board(board) == [3, 1, 1]
    for b in board["ballots"]:
        assert set(b) == {"receipt", "token", "ciphertexts", "proofs", "sum_proof"}  # no name, no time
    mine = db.run_read(ballot_board.receipt_on_board, actor=c.members[0], vote_id=vote["id"], receipt=receipts[1])
    assert mine["on_board"] is True


def test_plaintext_choice_on_a_secret_vote_is_refused(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    with pytest.raises(ValidationFailed):
        call(db, casting.cast, actor=c.members[0], vote_id=vote["id"], option_id=option(vote, "yes"))
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])["voted_count"] == 0


def test_forged_ballots_are_refused(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    p = db.run_read(election.parameters, actor=c.members[0], vote_id=vote["id"])
    # two ones (a vote counted twice): a valid 0-or-1 proof is impossible to make for it without the sum
    good = proofs.encrypt_ballot(p["params"], p["params_digest"], 0, secrets.token_bytes(32))
    other = proofs.encrypt_ballot(p["params"], p["params_digest"], 1, secrets.token_bytes(32))
    forged = {
        **good,
        "ciphertexts": [good["ciphertexts"][0], other["ciphertexts"][1], good["ciphertexts"][2]],
        "proofs": [good["proofs"][0], other["proofs"][1], good["proofs"][2]],
    }
    with pytest.raises(ValidationFailed):
        call(db, secret_votes.cast_secret, actor=c.members[0], vote_id=vote["id"], ballot=forged)
    call(db, secret_votes.cast_secret, actor=c.members[0], vote_id=vote["id"], ballot=good)
    with pytest.raises(Conflict):  # the same ballot replayed by another member
        call(db, secret_votes.cast_secret, actor=c.members[1], vote_id=vote["id"], ballot=good)
    with pytest.raises(Forbidden):  # guests never vote
        cast_secret(db, c.guest, vote, "yes")


def test_only_trustees_decrypt_and_a_wrong_password_is_refused(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    cast_secret(db, c.members[1], vote, "yes")
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    with pytest.raises(Forbidden):
        db.run_read(election.trustee_material, actor=c.members[2], vote_id=vote["id"])
    material = with_seal(db, db.run_read(election.trustee_material, actor=c.chair, vote_id=vote["id"]))
    with pytest.raises(Forbidden):  # the password is checked on the device: a wrong one opens nothing
        device_partial(material, "sai-mật-khẩu")
    with pytest.raises(Conflict):  # the server-side password step is for legacy votes only
        decrypt_legacy(db, c.chair, vote["id"], PASSWORD)
    partial, _ = device_partial(material, PASSWORD)
    with pytest.raises(Forbidden):  # a non-trustee cannot submit someone's partial
        call(db, secret_votes.submit_partial, actor=c.members[2], vote_id=vote["id"], shares=partial)
    with pytest.raises(ValidationFailed):  # the chair's partial sent as the secretary's: proof fails
        call(db, secret_votes.submit_partial, actor=c.secretary, vote_id=vote["id"], shares=partial)
    with pytest.raises(Conflict):
        call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])  # no result before decryption
    done = decrypt(db, c, vote)
    assert done["result"]["counts"][str(option(vote, "yes"))] == 1
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])


def test_secret_tie_is_not_passed(db: Database) -> None:
    c = present_cabinet(db, n_members=3)  # chair + 3 members
    vote = new_vote(
        db,
        c,
        kind=VoteKind.secret,
        state="open",
    )
    for voter, kind in zip([c.chair, *c.members], ["yes", "yes", "no", "no"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    done = decrypt(db, c, vote)
    assert (
        done["result"]["tie"] is True
        and done["result"]["passed"] is False
        and done["result"]["decided_by_chair"] is False
    )


def test_opening_needs_every_trustee_key(db: Database) -> None:
    c = present_cabinet(db)
    vote = call(
        db,
        services.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=services.VoteCreate(agenda_item_id=c.item_ids[0], question="Nhân sự?", kind=VoteKind.secret),
    )
    enrol_legacy(db, c.chair, PASSWORD)
    with pytest.raises(Conflict):  # no ceremony: refused with a clear 409
        call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    with pytest.raises(Conflict):  # a ceremony needs every trustee's key
        call(db, ceremony.start_ceremony, actor=c.chair, meeting_id=c.meeting_id)
    with pytest.raises(Forbidden):
        enrol_legacy(db, c.secretary, "không phải mật khẩu")
