"""The secret ballot's services, each refused for the caller who must not and allowed for the one who may
(denied/allowed pairs read by tests/test_service_pairs.py): the public board and what a tablet encrypts with are
the meeting's participants' only, a ballot is a present voting member's, a trustee key needs the account password,
a legacy vote's total is decrypted by its trustees only."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest

from core.actor import Actor

from app.db import Database
from core.errors import Forbidden, NotFound
from meetings.models import Attendance
from tests.factories import PASSWORD, call, make_user
from tests.vote_helpers import (
    cast_secret,
    deal_legacy_key,
    decrypt_legacy,
    enrol_legacy,
    new_vote,
    option,
    present_cabinet,
    set_attendance,
)
from votes import services
from votes import secret as secret_votes
from votes.ballot import election, enrolment, proofs
from votes.ballot import board as ballot_board
from votes.models import VoteKind


@pytest.mark.service_pair(
    "votes.ballot.board.board", "votes.ballot.election.parameters", "votes.ballot.board.receipt_on_board"
)
def test_the_board_and_the_parameters_are_the_participants(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    receipt = cast_secret(db, c.members[1], vote, "yes")["receipt"]
    vid = vote["id"]
    reads: dict[Callable[..., Any], dict[str, Any]] = {
        election.parameters: {},
        ballot_board.board: {},
        ballot_board.receipt_on_board: {"receipt": receipt},
    }
    for fn, extra in reads.items():
        with pytest.raises(NotFound, match="Không tìm thấy biểu quyết"):  # denied: not invited: as if absent
            db.run_read(fn, actor=c.outsider, vote_id=vid, **extra)
    # allowed: every participant, a guest too (the board is how anyone checks the count)
    params = db.run_read(election.parameters, actor=c.guest, vote_id=vid)
    assert params["params"]["vote_id"] == vid and params["params_digest"] == proofs.digest(params["params"])
    board = db.run_read(ballot_board.board, actor=c.guest, vote_id=vid)
    assert [b["receipt"] for b in board["ballots"]] == [receipt] and board["state"] == "open"
    assert db.run_read(ballot_board.receipt_on_board, actor=c.guest, vote_id=vid, receipt=receipt)["on_board"] is True
    assert db.run_read(ballot_board.receipt_on_board, actor=c.guest, vote_id=vid, receipt="0" * 64)["on_board"] is False
    show_of_hands = new_vote(db, c)
    with pytest.raises(NotFound):  # an open vote has no board
        db.run_read(ballot_board.board, actor=c.guest, vote_id=show_of_hands["id"])


def _ballot(db: Database, voter: Actor, vote: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a tablet sends (tests/vote_helpers.py cast_secret), kept to be checked and cast apart."""
    p = db.run_read(election.parameters, actor=voter, vote_id=vote["id"])
    index = [o["kind"] for o in vote["options"]].index(kind)
    return proofs.encrypt_ballot(p["params"], p["params_digest"], index, secrets.token_bytes(32))


@pytest.mark.service_pair("votes.secret.check_secret_ballot", "votes.secret.cast_secret")
def test_a_secret_ballot_is_a_present_voting_members(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    vid = vote["id"]
    for who, refusal in (
        (c.guest, Forbidden),
        (c.secretary, Forbidden),
        (c.outsider, NotFound),
    ):  # denied: guests and the secretary never vote; to the outsider (not invited) the vote is absent
        ballot = _ballot(db, c.members[0], vote, "yes")
        with pytest.raises(refusal):
            db.run_read(secret_votes.check_secret_ballot, actor=who, vote_id=vid, ballot=ballot)
        with pytest.raises(refusal):
            call(db, secret_votes.cast_secret, actor=who, vote_id=vid, ballot=ballot)
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vid)["voted_count"] == 0
    # allowed: a present member; the check (in a read transaction) writes nothing, the cast stores the ballot
    ballot = _ballot(db, c.members[0], vote, "no")
    checked = db.run_read(secret_votes.check_secret_ballot, actor=c.members[0], vote_id=vid, ballot=ballot)
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vid)["voted_count"] == 0
    cast = call(db, secret_votes.cast_secret, actor=c.members[0], vote_id=vid, ballot=ballot, checked=checked)
    assert cast["receipt"] == checked.receipt and cast["voted_count"] == 1 and cast["me"]["voted"] is True
    assert (
        db.run_read(ballot_board.receipt_on_board, actor=c.members[0], vote_id=vid, receipt=cast["receipt"])["on_board"]
        is True
    )


def test_a_member_marked_absent_after_the_check_is_refused_at_the_cast(db: Database) -> None:
    """The check runs in a read transaction before the cast (proofs verified in parallel): whether the caller
    may vote is asked again when the ballot is written (it was not: an absent member's ballot was counted)."""
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    ballot = _ballot(db, c.members[2], vote, "yes")
    checked = db.run_read(secret_votes.check_secret_ballot, actor=c.members[2], vote_id=vote["id"], ballot=ballot)
    with pytest.raises(Forbidden, match="Khách mời"):  # someone else's check lets no guest in
        call(db, secret_votes.cast_secret, actor=c.guest, vote_id=vote["id"], ballot=ballot, checked=checked)
    set_attendance(db, c, c.members[2], Attendance.absent, absence_reason="Có việc đột xuất")
    with pytest.raises(Forbidden, match="chưa được điểm danh"):
        call(db, secret_votes.cast_secret, actor=c.members[2], vote_id=vote["id"], ballot=ballot, checked=checked)
    assert db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])["voted_count"] == 0


@pytest.mark.service_pair("votes.ballot.enrolment.enrol_trustee")
def test_a_trustee_key_needs_the_account_password(db: Database) -> None:
    """enrol_trustee's pair (with the wrong password: someone at an unlocked tablet is refused). trustee_status only
    answers the caller's own key (tests/test_service_pairs.py: NOTHING_TO_REFUSE); another's is never in it."""
    member, other = make_user(db), make_user(db)
    with pytest.raises(Forbidden):  # denied: not the account's password
        enrol_legacy(db, member, "không phải mật khẩu")
    assert db.run_read(enrolment.trustee_status, actor=member)["enrolled"] is False
    made = enrol_legacy(db, member, PASSWORD)  # allowed
    mine = db.run_read(enrolment.trustee_status, actor=member)
    assert mine["enrolled"] is True and mine["public_key"] == made["public_key"]
    assert mine["sealed"] is None  # a legacy key's seal: only for its password (tests/test_password_checks_counted.py)
    assert db.run_read(enrolment.trustee_status, actor=other) == {
        "user_id": other.id,
        "enrolled": False,
        "lost": False,
        "public_key": None,
        "sealed": None,
        "sealing": None,
    }


@pytest.mark.service_pair("votes.secret.decrypt")
def test_a_legacy_vote_is_decrypted_by_its_trustees_only(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    deal_legacy_key(db, vote)
    cast_secret(db, c.members[1], vote, "yes")
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    with pytest.raises(election.NotTrustee):  # denied: a member who holds no share
        decrypt_legacy(db, c.members[2], vote["id"], PASSWORD)
    with pytest.raises(Forbidden):  # denied: a trustee's share does not open with a wrong password
        decrypt_legacy(db, c.secretary, vote["id"], "sai-mật-khẩu")
    one = decrypt_legacy(db, c.secretary, vote["id"], PASSWORD)  # allowed
    assert one["result"] is None and [t["decrypted"] for t in one["trustees"]["trustees"]] == [False, True, False]
    done = decrypt_legacy(db, c.chair, vote["id"], PASSWORD)
    assert done["result"]["counts"][str(option(vote, "yes"))] == 1
