"""A secret vote's public bulletin board (votes/ballot/verify.py checks it offline): its parameters, every
encrypted ballot by receipt, the encrypted total, the trustees' partial decryptions and the result, with the
board's fingerprint the minutes cite; a voter's check that their receipt is on it; a meeting's boards, exported
with its minutes. Every participant of the meeting may read them; the partial decryptions and the result (from
which the partials alone would give the counts) once the chair has published the vote, as with an open or named
vote's tally, or the session has ended (the minutes then carry the result) — those who conduct the meeting see them
as soon as the key holders have decrypted."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from core.errors import NotFound, ValidationFailed
from meetings.access import Access, access
from meetings.models import MeetingState
from votes.ballot import proofs
from votes.ballot.election import ballots_of, election_of
from votes.models import BallotElection, OptionKind, SecretBallot, TrusteeShare, Vote, VoteKind, VoteState
from votes.seen import vote_access
from votes.serialize import options_of


def receipt_on_board(*, session: Session, actor: Actor, vote_id: int, receipt: str) -> dict[str, Any]:
    if len(receipt) != 64 or any(ch not in "0123456789abcdef" for ch in receipt):
        raise ValidationFailed(
            "Biên nhận phải gồm 64 chữ số thập lục phân.", details=[{"field": "receipt", "message": "không hợp lệ"}]
        )
    vote_access(session, actor, vote_id)  # not the caller's to know: the absent vote's 404, first
    return {"receipt": receipt, "on_board": session.get(SecretBallot, (vote_id, receipt)) is not None}


def board_data(session: Session, vote: Vote, *, decrypted: bool = True) -> dict[str, Any]:
    """The board; `decrypted` False: as it stood before the decryption (no partials, no result)."""
    assert vote.id is not None
    election = election_of(session, vote.id)
    shares = session.exec(
        select(TrusteeShare).where(TrusteeShare.vote_id == vote.id).order_by(col(TrusteeShare.idx))
    ).all()
    ballots = ballots_of(session, vote.id)
    result = None
    if vote.result is not None and decrypted:
        result = {
            "counts": {str(o["id"]): vote.result["counts"].get(str(o["id"]), 0) for o in election.params["options"]},
            "passed": vote.result.get("passed"),
            "rule": vote.result.get("rule"),
        }
        if vote.member_count is not None:  # closed since 0015_ballot_fixes: what recomputes the outcome (spec §6)
            result |= _outcome_inputs(session, vote)
    board: dict[str, Any] = {
        "spec": proofs.SPEC,
        "params": election.params,
        "params_digest": election.params_digest,
        "state": "decrypted" if result else ("closed" if election.total is not None else "open"),
        "voted_count": vote.voted_count,
        "ballots": [{"receipt": r, **b} for r, b in ballots],  # receipt order: a hash, no time, no voter
        "total": election.total,
        "partials": [{"trustee": s.idx, "shares": s.partial} for s in shares if s.partial is not None and decrypted],
        "result": result,
    }
    board["fingerprint"] = proofs.digest(board)
    return board


def _outcome_inputs(session: Session, vote: Vote) -> dict[str, Any]:
    """The counts the rule took, fixed at close, and each option's kind (which one is "in favour")."""
    assert vote.id is not None and vote.result is not None
    return {
        "kinds": {str(o.id): OptionKind(o.kind).value for o in options_of(session, [vote.id])[vote.id]},
        "total_members": vote.result["total_members"],
        "present": vote.result["present"],
        "required": vote.result["required"],
    }


def board(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """Every participant of the meeting may read a secret vote's board."""
    acc, vote = vote_access(session, actor, vote_id)  # the absent vote's 404 before its kind is told
    if vote.kind != VoteKind.secret:
        raise NotFound("Chỉ biểu quyết kín có bảng phiếu công khai.")
    return board_data(session, vote, decrypted=_decryption_shown(acc, vote))


def _decryption_shown(acc: Access, vote: Vote) -> bool:
    """Published, or the session is over (its minutes carry every closed vote's result and cite this board, so
    whoever receives them can check it), or the viewer conducts the meeting."""
    return vote.state == VoteState.published or acc.meeting.state == MeetingState.ended or acc.can_conduct


def fingerprint(session: Session, vote: Vote) -> str | None:
    if vote.kind != VoteKind.secret or session.get(BallotElection, vote.id) is None:
        return None
    fingerprint: str = board_data(session, vote)["fingerprint"]
    return fingerprint


def meeting_boards(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """The boards of every decrypted secret vote of a meeting, exported with its minutes (which cite each board's
    fingerprint): every participant may download them, as they may read each board (a vote not yet published: those
    who conduct the meeting only)."""
    acc = access(session, actor, meeting_id)
    votes = session.exec(
        select(Vote).where(Vote.meeting_id == meeting_id, col(Vote.kind) == VoteKind.secret).order_by(col(Vote.id))
    ).all()
    boards = [
        board_data(session, v)
        for v in votes
        if v.result is not None and _decryption_shown(acc, v) and session.get(BallotElection, v.id) is not None
    ]
    return {"meeting_id": meeting_id, "boards": boards}
