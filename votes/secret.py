"""Secret votes' operations around votes/ballot/election.py: a voter casts an encrypted ballot (its proofs are
checked first in a read transaction, in parallel; then the ballot and the voter record are written with nothing
that links them), and the trustees decrypt the closed vote's total (on their devices, or with the password on
the server for a legacy vote); the threshold-th partial decryption yields the result.
Each: permission check -> state guard -> write -> event (sent after commit), as in votes/services.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import outbox
from core.actor import Actor
from core.errors import Conflict, ValidationFailed
from meetings.access import Access
from meetings.rules import get_rules
from votes import rules, serialize
from votes.ballot import election
from votes.models import OptionKind, Vote, VoteKind, VoteRule, VoterRecord, VoteState
from votes.seen import vote_access
from votes.services import eligible_counts, open_access, require_vote_state, require_voter, vote_changed


class AlreadyVoted(Conflict):
    code = "already_voted"


def check_secret_ballot(*, session: Session, actor: Actor, vote_id: int, ballot: dict[str, Any]) -> election.Checked:
    """Eligibility and every proof, in a read transaction: the CPU part runs in parallel, outside the writer."""
    acc, vote = vote_access(session, actor, vote_id)  # not the caller's to know: the absent vote's 404, first
    require_voter(acc, get_rules(session))
    require_vote_state(vote, (VoteState.open,), "bỏ phiếu cho")
    if vote.kind != VoteKind.secret:
        raise ValidationFailed(
            "Chỉ biểu quyết kín nhận phiếu mã hóa.",
            details=[{"field": "ballot", "message": "không phải biểu quyết kín"}],
        )
    if session.get(VoterRecord, (vote_id, actor.id)) is not None:
        raise AlreadyVoted(
            "Bạn đã bỏ phiếu kín cho biểu quyết này; phiếu kín không thể thay đổi.", details={"vote_id": vote_id}
        )
    return election.check_ballot(session, vote_id, ballot)


def cast_secret(
    *, session: Session, actor: Actor, vote_id: int, ballot: dict[str, Any], checked: election.Checked | None = None
) -> dict[str, Any]:
    """An encrypted secret ballot: eligibility, every proof, then the ballot and the voter record, written in
    one transaction with nothing that links them (no id, no time). The receipt is answered after COMMIT.
    `checked`: what check_secret_ballot answered for this very ballot just before (the route calls it in a read
    transaction so that proofs are verified in parallel); without it, or if it does not match, all is checked here."""
    if checked is None or not checked.matches(ballot):
        checked = check_secret_ballot(session=session, actor=actor, vote_id=vote_id, ballot=ballot)
    # The meeting row first, then the vote's, as every writer does (see cast: a group of casts updates the vote row
    # more than once, and PostgreSQL then checks its key against the meeting row). And the check may have run in an
    # earlier transaction, or for someone else: may this caller still vote?
    acc, vote = vote_access(session, actor, vote_id, lock_meeting=True, lock_vote=True)  # vote: serialises casts
    require_voter(acc, get_rules(session))
    require_vote_state(vote, (VoteState.open,), "bỏ phiếu cho")
    if not election.same_parameters(session, vote_id, checked):
        raise Conflict("Tham số của biểu quyết kín đã thay đổi; hãy bỏ phiếu lại.", details={"vote_id": vote_id})
    if session.get(VoterRecord, (vote_id, actor.id)) is not None:
        raise AlreadyVoted(
            "Bạn đã bỏ phiếu kín cho biểu quyết này; phiếu kín không thể thay đổi.", details={"vote_id": vote_id}
        )
    session.add(VoterRecord(vote_id=vote_id, user_id=actor.id))
    election.store_ballot(session, vote_id, checked.receipt, checked.body, ballot["token"])
    vote.voted_count += 1
    vote.revision += 1
    session.add(vote)
    outbox.add(session, kind="vote.tally", ref=vote_id)
    session.flush()
    me = {"may_vote": True, "voted": True, "option_id": None, "final": True}
    return {"vote_id": vote_id, "voted_count": vote.voted_count, "receipt": checked.receipt, "me": me}


def decrypt(*, session: Session, actor: Actor, vote_id: int, share: bytes) -> dict[str, Any]:
    """LEGACY votes (opened before the key ceremony existed): the trustee's share, opened on the server with
    their password before this transaction (election.legacy_share, counted: votes/routes.py), decrypts their
    part. Key-ceremony votes take submit_partial (the share never reaches the server)."""
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    election.partial_decrypt(session, acc, vote, share)
    return _after_partial(session, acc, vote)


def submit_partial(*, session: Session, actor: Actor, vote_id: int, shares: Any) -> dict[str, Any]:
    """A trustee's partial decryption of a closed secret vote's total, computed and proven on their device;
    the threshold-th valid one yields the result."""
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    election.accept_partial(session, acc, vote, shares)
    return _after_partial(session, acc, vote)


def _after_partial(session: Session, acc: Access, vote: Vote) -> dict[str, Any]:
    assert vote.id is not None
    vote_id = vote.id
    counts = election.decrypt_total(session, vote)
    if counts is None:  # not yet enough shares: every member's tablet is told how far the decryption has got
        vote_changed(session, acc, serialize.PARTIAL_EVENT, vote)
        return {
            **serialize.vote_data(session, vote, full=acc.can_conduct),
            "trustees": election.trustee_progress(session, vote_id),
        }
    # The counts fixed at close (the key holders may decrypt long after, the roster having changed meanwhile); a
    # vote closed before 0015_ballot_fixes has none and takes the roster as it stands.
    total = vote.member_count
    if total is None:
        _, total = eligible_counts(session, vote.meeting_id, get_rules(session))
    options = serialize.options_of(session, [vote_id])[vote_id]
    by_id = {o.id: n for o, n in zip(options, counts)}
    by_kind = {OptionKind(o.kind): by_id[o.id] for o in options}
    outcome = rules.compute(
        vote.rule,
        total_members=total,
        present=vote.eligible_count,
        yes=by_kind.get(OptionKind.yes, 0),
        no=by_kind.get(OptionKind.no, 0),
        abstain=by_kind.get(OptionKind.abstain, 0),
        chair_choice=None,
    )
    vote.result = {
        **outcome.as_dict(),
        "rule": VoteRule(vote.rule).value,
        "counts": {str(o.id): by_id[o.id] for o in options},
        "voted_count": vote.voted_count,
    }
    session.add(vote)
    vote_changed(session, acc, "vote.decrypted", vote)
    # The key holder whose share completed the total is told it is done, not the counts: a plain member learns
    # the result when the chair publishes it, like everyone else.
    return {
        **serialize.vote_data(session, vote, full=acc.can_conduct),
        "trustees": election.trustee_progress(session, vote_id),
    }
