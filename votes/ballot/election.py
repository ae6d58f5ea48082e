"""Secret-ballot operations (called from votes.services and the ballot routes): set up the key when a secret
vote opens, accept an encrypted ballot, multiply the ballots at close, take the trustees' partial decryptions,
publish the board. Same shape as every service: permission -> state guard -> write -> event after commit.

Key generation is a trusted dealer (docs/ballot-threat-model.md): the server draws the polynomial when the vote
opens, seals each share to its trustee's key and keeps only the public commitments; the secret and the
coefficients exist only in that request's memory.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from accounts.actor import Actor
from accounts.models import User
from accounts.passwords import verify_password
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.access import Access, access
from meetings.models import VOTING_ROLES, MeetingRole, Participant
from votes.ballot import proofs, trustee_keys
from votes.models import BallotElection, SecretBallot, TrusteeKey, TrusteeShare, Vote, VoteKind, VoteOption, VoteState

THRESHOLD = 2
TRUSTEES = 3


class NotTrustee(Forbidden):
    code = "not_trustee"


# --- trustee keys ---------------------------------------------------------------------------------------


def enrol_trustee(*, session: Session, actor: Actor, password: str) -> dict[str, Any]:
    """Create (or replace) the caller's trustee key, sealed with their account password (checked first)."""
    user = session.get(User, actor.id)
    if user is None or not verify_password(user.password_hash, password):
        raise Forbidden("Mật khẩu không đúng.")
    public, sealed = trustee_keys.new_key(actor.id, password)
    row = session.get(TrusteeKey, actor.id) or TrusteeKey(user_id=actor.id, public_key=public, sealed=sealed)
    row.public_key, row.sealed = public, sealed
    session.add(row)
    return {"user_id": actor.id, "public_key": public}


def trustee_status(*, session: Session, actor: Actor) -> dict[str, Any]:
    row = session.get(TrusteeKey, actor.id)
    return {"user_id": actor.id, "enrolled": row is not None, "public_key": row.public_key if row else None}


# --- opening --------------------------------------------------------------------------------------------


def default_trustees(session: Session, meeting_id: int) -> list[int]:
    """The chair, the secretary, then the first member (invitation order) unless the vote names them."""
    rows = session.exec(select(Participant).where(Participant.meeting_id == meeting_id).order_by(Participant.id)).all()
    chair = [p.user_id for p in rows if p.role == MeetingRole.chair]
    secretary = [p.user_id for p in rows if p.role == MeetingRole.secretary]
    members = [p.user_id for p in rows if p.role == MeetingRole.member]
    return (chair[:1] + secretary[:1] + members)[:TRUSTEES]


def check_trustees(session: Session, meeting_id: int, user_ids: list[int]) -> None:
    roles = {p.user_id: p.role for p in session.exec(select(Participant).where(Participant.meeting_id == meeting_id)).all()}
    bad = [u for u in user_ids if roles.get(u) not in (*VOTING_ROLES, MeetingRole.secretary)]
    if bad or len(set(user_ids)) != len(user_ids) or len(user_ids) != TRUSTEES:
        raise ValidationFailed(
            "Cần đúng ba người giữ khóa khác nhau là chủ trì, thư ký hoặc thành viên của cuộc họp.",
            details=[{"field": "trustee_ids", "message": "không hợp lệ", "user_ids": bad}],
        )


def setup(session: Session, vote: Vote, options: list[VoteOption]) -> None:
    """Deal the vote's threshold key and record its public parameters (called by open_vote)."""
    assert vote.id is not None
    trustee_ids = vote.trustee_ids or default_trustees(session, vote.meeting_id)
    check_trustees(session, vote.meeting_id, trustee_ids)
    keys = {k.user_id: k for k in session.exec(select(TrusteeKey).where(TrusteeKey.user_id.in_(trustee_ids))).all()}  # type: ignore[attr-defined]
    missing = [u for u in trustee_ids if u not in keys]
    if missing:
        raise Conflict("Chưa mở được biểu quyết kín: người giữ khóa chưa tạo khóa kiểm phiếu.", details={"user_ids": missing})
    names = {u.id: u.full_name for u in session.exec(select(User).where(User.id.in_(trustee_ids))).all()}  # type: ignore[attr-defined]
    dealt = proofs.deal(THRESHOLD, len(trustee_ids))
    params = {
        "spec": proofs.SPEC,
        "group": "ristretto255",
        "vote_id": vote.id,
        "question": vote.question,
        "options": [{"id": o.id, "label": o.label} for o in options],
        "threshold": THRESHOLD,
        "public_key": dealt.public_key.hex(),
        "commitments": [c.hex() for c in dealt.commitments],
        "trustees": [
            {"index": i, "user_id": uid, "name": names.get(uid, ""), "trustee_key": keys[uid].public_key,
             "verification_key": proofs.verification_key(dealt.commitments, i).hex()}
            for i, uid in enumerate(trustee_ids, start=1)
        ],
    }  # fmt: skip
    session.add(BallotElection(vote_id=vote.id, params=params, params_digest=proofs.digest(params)))
    for i, uid in enumerate(trustee_ids, start=1):
        sealed = trustee_keys.seal_share(keys[uid].public_key, dealt.shares[i - 1].to_bytes(32, "little"), _aad(vote.id, i))
        session.add(TrusteeShare(vote_id=vote.id, idx=i, user_id=uid, sealed=sealed))
    vote.trustee_ids = trustee_ids
    dealt.shares.clear()


def _aad(vote_id: int, index: int) -> str:
    return f"ballot-share:{vote_id}:{index}"


def election_of(session: Session, vote_id: int) -> BallotElection:
    election = session.get(BallotElection, vote_id)
    if election is None:
        raise NotFound("Biểu quyết này không có phiếu kín mã hóa.")
    return election


def parameters(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """What a tablet needs to encrypt: the parameters and their digest (every participant may read them)."""
    vote = _vote(session, vote_id)
    access(session, actor, vote.meeting_id)
    election = election_of(session, vote_id)
    return {"params": election.params, "params_digest": election.params_digest}


def _vote(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound("Không tìm thấy biểu quyết.", details={"vote_id": vote_id})
    return vote


# --- casting --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """A ballot whose proofs were verified against the parameters with this digest (made here only)."""

    receipt: str
    body: str
    params_digest: str

    def matches(self, ballot: dict[str, Any]) -> bool:
        return proofs.canonical(ballot).decode() == self.body


def check_ballot(session: Session, vote_id: int, ballot: dict[str, Any]) -> Checked:
    """Verify every proof (no lock held: the CPU part)."""
    election = election_of(session, vote_id)
    try:
        receipt = proofs.verify_ballot(election.params, election.params_digest, ballot)
    except proofs.Invalid as e:
        raise ValidationFailed("Phiếu kín không hợp lệ: bằng chứng mã hóa không được xác minh.", details={"reason": str(e)}) from None
    return Checked(receipt, proofs.canonical(ballot).decode(), election.params_digest)


def same_parameters(session: Session, vote_id: int, checked: Checked) -> bool:
    digest = session.exec(select(BallotElection.params_digest).where(BallotElection.vote_id == vote_id)).first()
    return digest == checked.params_digest


def store_ballot(session: Session, vote_id: int, receipt: str, body: str, token: str) -> None:
    used = session.exec(select(SecretBallot.receipt).where(SecretBallot.vote_id == vote_id, SecretBallot.token == token)).first()
    if used is not None:
        raise Conflict("Phiếu kín này đã được nộp.", details={"receipt": receipt})
    session.add(SecretBallot(vote_id=vote_id, receipt=receipt, token=token, body=body))


def receipt_on_board(*, session: Session, actor: Actor, vote_id: int, receipt: str) -> dict[str, Any]:
    if len(receipt) != 64 or any(ch not in "0123456789abcdef" for ch in receipt):
        raise ValidationFailed("Biên nhận phải gồm 64 chữ số thập lục phân.", details=[{"field": "receipt", "message": "không hợp lệ"}])
    vote = _vote(session, vote_id)
    access(session, actor, vote.meeting_id)
    return {"receipt": receipt, "on_board": session.get(SecretBallot, (vote_id, receipt)) is not None}


# --- closing and decrypting -----------------------------------------------------------------------------


def ballots_of(session: Session, vote_id: int) -> list[tuple[str, dict[str, Any]]]:
    import json

    rows = session.exec(select(SecretBallot.receipt, SecretBallot.body).where(SecretBallot.vote_id == vote_id).order_by(SecretBallot.receipt)).all()
    return [(r, json.loads(b)) for r, b in rows]


def close(session: Session, vote: Vote) -> None:
    """Multiply the ballots option by option; nothing is decrypted here. Every ballot row is rewritten in this
    transaction first: on PostgreSQL a row's xmin is the transaction that wrote it, and the cast wrote the
    ballot and the voter record together; after this, every ballot carries the close's xmin (the old versions
    go with the CLUSTER of the scrub job, votes/live.py)."""
    assert vote.id is not None
    session.execute(update(SecretBallot).where(SecretBallot.vote_id == vote.id).values(body=SecretBallot.body),  # type: ignore[arg-type]
                    execution_options={"synchronize_session": False})  # fmt: skip
    election = election_of(session, vote.id)
    election.total = proofs.total(len(election.params["options"]), [b for _, b in ballots_of(session, vote.id)])
    session.add(election)


def partial_decrypt(session: Session, acc: Access, vote: Vote, password: str) -> None:
    """The trustee's partial decryption of the TOTAL, with its proofs (checked before it is stored). The share
    is opened with the trustee's password in memory for this step only; no single ballot is decrypted."""
    assert vote.id is not None
    if vote.kind != VoteKind.secret:
        raise Conflict("Chỉ biểu quyết kín mới cần giải mã kết quả.")
    if vote.state != VoteState.closed or vote.result is not None:
        raise Conflict("Chỉ giải mã tổng phiếu khi biểu quyết kín đã đóng và chưa có kết quả.", details={"state": str(vote.state)})
    share_row = session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote.id, TrusteeShare.user_id == acc.actor.id)).first()
    if share_row is None:
        raise NotTrustee("Bạn không giữ khóa của biểu quyết kín này.")
    if share_row.partial is not None:
        raise Conflict("Bạn đã giải mã phần của mình cho biểu quyết này.")
    key = session.get(TrusteeKey, acc.actor.id)
    if key is None:
        raise Conflict("Bạn chưa có khóa kiểm phiếu.")
    election = election_of(session, vote.id)
    share = int.from_bytes(trustee_keys.open_share(key.sealed, acc.actor.id, password, share_row.sealed, _aad(vote.id, share_row.idx)), "little")
    trustee = election.params["trustees"][share_row.idx - 1]
    vkey = bytes.fromhex(trustee["verification_key"])
    assert election.total is not None
    partial = proofs.partial_decrypt(election.params_digest, share_row.idx, share, election.total)
    del share
    proofs.verify_partial(election.params_digest, share_row.idx, vkey, election.total, partial)
    share_row.partial = partial
    session.add(share_row)
    session.flush()


def decrypt_total(session: Session, vote: Vote) -> list[int] | None:
    """Counts per option (in option order) once `threshold` trustees have decrypted, else None."""
    assert vote.id is not None
    election = election_of(session, vote.id)
    # (a JSON column stores None as JSON null, not SQL NULL: filter here)
    rows = [r for r in session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote.id)).all() if r.partial is not None]
    if len(rows) < election.params["threshold"]:
        return None
    chosen = {r.idx: r.partial for r in sorted(rows, key=lambda r: r.idx)[: election.params["threshold"]]}
    assert election.total is not None
    return proofs.combine(election.total, chosen, max_count=vote.voted_count)  # type: ignore[arg-type]


def trustee_progress(session: Session, vote_id: int) -> dict[str, Any] | None:
    election = session.get(BallotElection, vote_id)
    if election is None:
        return None
    done = {r.idx for r in session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote_id)).all() if r.partial is not None}
    return {
        "threshold": election.params["threshold"],
        "trustees": [{"user_id": t["user_id"], "name": t["name"], "decrypted": t["index"] in done} for t in election.params["trustees"]],
    }


# --- the board ------------------------------------------------------------------------------------------


def board_data(session: Session, vote: Vote) -> dict[str, Any]:
    assert vote.id is not None
    election = election_of(session, vote.id)
    shares = session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote.id).order_by(TrusteeShare.idx)).all()
    ballots = ballots_of(session, vote.id)
    result = None
    if vote.result is not None:
        result = {"counts": {str(o["id"]): vote.result["counts"].get(str(o["id"]), 0) for o in election.params["options"]},
                  "passed": vote.result.get("passed"), "rule": vote.result.get("rule")}  # fmt: skip
    board: dict[str, Any] = {
        "spec": proofs.SPEC,
        "params": election.params,
        "params_digest": election.params_digest,
        "state": "decrypted" if result else ("closed" if election.total is not None else "open"),
        "voted_count": vote.voted_count,
        "ballots": [{"receipt": r, **b} for r, b in ballots],  # receipt order: a hash, no time, no voter
        "total": election.total,
        "partials": [{"trustee": s.idx, "shares": s.partial} for s in shares if s.partial is not None],
        "result": result,
    }
    board["fingerprint"] = proofs.digest(board)
    return board


def board(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """Every participant of the meeting may read a secret vote's board."""
    vote = _vote(session, vote_id)
    access(session, actor, vote.meeting_id)
    if vote.kind != VoteKind.secret:
        raise NotFound("Chỉ biểu quyết kín có bảng phiếu công khai.")
    return board_data(session, vote)


def fingerprint(session: Session, vote: Vote) -> str | None:
    if vote.kind != VoteKind.secret or session.get(BallotElection, vote.id) is None:
        return None
    return board_data(session, vote)["fingerprint"]
