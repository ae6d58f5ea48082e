"""Secret-ballot operations (called from votes.services and the ballot routes): set up the key when a secret
vote opens, accept an encrypted ballot, multiply the ballots at close, take the trustees' partial decryptions.
The board they fill is published by votes/ballot/board.py. Same shape as every service: permission -> state
guard -> write -> event after commit.

Key generation is distributed (votes/ballot/dkg.py): once per meeting, the trustees' devices run a key ceremony
and the server keeps only public commitments and shares sealed to the trustees' keys; every secret vote of the
meeting uses that joint key, so opening one needs no trustee. At close each trustee's device opens its shares,
checks them, and sends its partial decryption with a proof; the server checks the proof and combines.
Votes opened before 0014_dkg keep their dealt key and the old server-side step (`partial_decrypt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from core.actor import Actor
from core.errors import Conflict, NotFound, ValidationFailed
from meetings.access import Access
from votes.ballot import dkg, proofs
from votes.ballot.ceremony import NotTrustee, ceremony_parts, current_ceremony
from votes.seen import absent, vote_access
from votes.models import (
    BallotElection,
    KeyCeremony,
    Sealing,
    SecretBallot,
    TrusteeKey,
    TrusteeShare,
    Vote,
    VoteKind,
    VoteOption,
    VoteState,
)


class NoCeremony(Conflict):
    code = "no_key_ceremony"


class LegacyKey(Conflict):
    """A vote opened before the key ceremony existed: its key was dealt by the server."""

    code = "legacy_key"


# --- opening --------------------------------------------------------------------------------------------


def setup(session: Session, vote: Vote, options: list[VoteOption]) -> None:
    """Record the vote's public parameters under the meeting's joint key (called by open_vote): the key comes
    from the trustees' ceremony, so opening needs no trustee and the server holds no secret."""
    assert vote.id is not None
    cer = current_ceremony(session, vote.meeting_id)
    if cer is None or cer.state != "complete":
        raise NoCeremony(
            "Chưa mở được biểu quyết kín: cuộc họp chưa có khóa kiểm phiếu chung. "
            "Chủ trì hoặc thư ký cần bắt đầu lễ tạo khóa "
            "và cả ba người giữ khóa tham gia trên máy tính bảng của mình.",
            details={"ceremony": cer.state if cer else None},
        )
    assert cer.id is not None
    trustee_ids = [t["user_id"] for t in cer.trustees]
    if vote.trustee_ids and vote.trustee_ids != trustee_ids:
        raise Conflict(
            "Người giữ khóa của biểu quyết này khác với lễ tạo khóa của cuộc họp; hãy tổ chức lại lễ tạo khóa với họ.",
            details={"trustee_ids": vote.trustee_ids, "ceremony": trustee_ids},
        )
    parts = ceremony_parts(session, cer.id)
    contributions = [
        {"index": i, "commitments": parts[i].commitments, "proofs": parts[i].proofs} for i in sorted(parts)
    ]
    joint = dkg.joint_commitments([[bytes.fromhex(c) for c in parts[i].commitments] for i in sorted(parts)])
    params = {
        "spec": proofs.SPEC,
        "group": "ristretto255",
        "vote_id": vote.id,
        "question": vote.question,
        "options": [{"id": o.id, "label": o.label} for o in options],
        "threshold": cer.threshold,
        "public_key": joint[0].hex(),
        "commitments": [c.hex() for c in joint],
        "ceremony": {"id": cer.id, "meeting_id": cer.meeting_id, "digest": cer.digest, "contributions": contributions},
        "trustees": [
            {
                "index": t["index"],
                "user_id": t["user_id"],
                "name": t["name"],
                "trustee_key": t["trustee_key"],
                "verification_key": proofs.verification_key(joint, t["index"]).hex(),
            }
            for t in cer.trustees
        ],
    }
    session.add(BallotElection(vote_id=vote.id, params=params, params_digest=proofs.digest(params), ceremony_id=cer.id))
    for t in cer.trustees:
        session.add(TrusteeShare(vote_id=vote.id, idx=t["index"], user_id=t["user_id"], sealed=""))
    vote.trustee_ids = trustee_ids


def _aad(vote_id: int, index: int) -> str:
    return f"ballot-share:{vote_id}:{index}"


def election_of(session: Session, vote_id: int) -> BallotElection:
    election = session.get(BallotElection, vote_id)
    if election is None:
        raise NotFound("Biểu quyết này không có phiếu kín mã hóa.")
    return election


def parameters(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """What a tablet needs to encrypt: the parameters and their digest (every participant may read them)."""
    vote_access(session, actor, vote_id)  # the absent vote's 404 before its kind is told
    election = election_of(session, vote_id)
    return {"params": election.params, "params_digest": election.params_digest}


def vote_of(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise absent()  # the same answer on every route
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
        raise ValidationFailed(
            "Phiếu kín không hợp lệ: bằng chứng mã hóa không được xác minh.", details={"reason": str(e)}
        ) from None
    return Checked(receipt, proofs.canonical(ballot).decode(), election.params_digest)


def same_parameters(session: Session, vote_id: int, checked: Checked) -> bool:
    digest = session.exec(select(BallotElection.params_digest).where(BallotElection.vote_id == vote_id)).first()
    return digest == checked.params_digest


def store_ballot(session: Session, vote_id: int, receipt: str, body: str, token: str) -> None:
    used = session.exec(
        select(SecretBallot.receipt).where(SecretBallot.vote_id == vote_id, SecretBallot.token == token)
    ).first()
    if used is not None:
        raise Conflict("Phiếu kín này đã được nộp.", details={"receipt": receipt})
    session.add(SecretBallot(vote_id=vote_id, receipt=receipt, token=token, body=body))


# --- closing and decrypting -----------------------------------------------------------------------------


def ballots_of(session: Session, vote_id: int) -> list[tuple[str, dict[str, Any]]]:
    import json

    rows = session.exec(
        select(SecretBallot.receipt, SecretBallot.body)
        .where(SecretBallot.vote_id == vote_id)
        .order_by(col(SecretBallot.receipt))
    ).all()
    return [(r, json.loads(b)) for r, b in rows]


def close(session: Session, vote: Vote) -> None:
    """Multiply the ballots option by option; nothing is decrypted here. Every ballot row is rewritten in this
    transaction first: on PostgreSQL a row's xmin is the transaction that wrote it, and the cast wrote the
    ballot and the voter record together; after this, every ballot carries the close's xmin (the old versions
    go with the CLUSTER of the scrub job, votes/live.py)."""
    assert vote.id is not None
    session.execute(
        update(SecretBallot).where(col(SecretBallot.vote_id) == vote.id).values(body=col(SecretBallot.body)),
        execution_options={"synchronize_session": False},
    )
    election = election_of(session, vote.id)
    election.total = proofs.total(len(election.params["options"]), [b for _, b in ballots_of(session, vote.id)])
    session.add(election)


def _closed_for_decryption(vote: Vote) -> None:
    if vote.kind != VoteKind.secret:
        raise Conflict("Chỉ biểu quyết kín mới cần giải mã kết quả.")
    if vote.state != VoteState.closed or vote.result is not None:
        raise Conflict(
            "Chỉ giải mã tổng phiếu khi biểu quyết kín đã đóng và chưa có kết quả.",
            details={"state": VoteState(vote.state).value},
        )


def _my_share_row(session: Session, vote: Vote, actor_id: int) -> TrusteeShare:
    share_row = session.exec(
        select(TrusteeShare).where(TrusteeShare.vote_id == vote.id, TrusteeShare.user_id == actor_id)
    ).first()
    if share_row is None:
        raise NotTrustee("Bạn không giữ khóa của biểu quyết kín này.")
    if share_row.partial is not None:
        raise Conflict("Bạn đã giải mã phần của mình cho biểu quyết này.")
    return share_row


def trustee_material(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """What trustee j's device needs to decrypt its part of a closed vote's total: the shares the other trustees
    sealed to j in the ceremony (with their senders' commitments, for the Feldman check), j's own trustee key
    still sealed with j's password, and the encrypted total. Nothing here opens without j's password."""
    _, vote = vote_access(session, actor, vote_id)  # the absent vote's 404 before its kind or state is told
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, actor.id)
    election = election_of(session, vote_id)
    if election.ceremony_id is None:
        raise LegacyKey(
            "Khóa của biểu quyết này do máy chủ tạo (trước lễ tạo khóa): giải mã bằng mật khẩu theo cách cũ."
        )
    cer = session.get(KeyCeremony, election.ceremony_id)
    assert cer is not None and cer.id is not None
    key = session.get(TrusteeKey, actor.id)
    if key is None or key.public_key != election.params["trustees"][share_row.idx - 1]["trustee_key"]:
        raise Conflict("Khóa kiểm phiếu của bạn đã đổi sau lễ tạo khóa: không mở được phần khóa của biểu quyết này.")
    received = [
        {
            "from": p.idx,
            "commitments": p.commitments,
            "sealed": next(s["sealed"] for s in p.shares if s["to"] == share_row.idx),
        }
        for _, p in sorted(ceremony_parts(session, cer.id).items())
    ]
    return {
        "vote_id": vote_id,
        "meeting_id": vote.meeting_id,
        "index": share_row.idx,
        "ceremony_id": cer.id,
        "ceremony_digest": cer.digest,
        "user_id": actor.id,
        # a legacy key's seal is an offline test of the login password: released only by the counted
        # POST /api/me/trustee-key/sealed (enrolment.legacy_sealed), never with the material
        "sealed_key": key.sealed if key.sealing == Sealing.passphrase else None,
        "key_lost": key.lost_at is not None,  # sealed with the password before an administrator's reset
        "sealing": key.sealing,  # which secret the tablet asks for: the trustee passphrase or the account password
        "received": received,
        "total": election.total,
        "params_digest": election.params_digest,
        "verification_key": election.params["trustees"][share_row.idx - 1]["verification_key"],
    }


def accept_partial(session: Session, acc: Access, vote: Vote, partial: Any) -> None:
    """A trustee's partial decryption of the total, computed on their device: stored only if its proof holds
    against their verification key (spec §5)."""
    assert vote.id is not None
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, acc.actor.id)
    election = election_of(session, vote.id)
    if election.ceremony_id is None:
        raise LegacyKey(
            "Khóa của biểu quyết này do máy chủ tạo (trước lễ tạo khóa): giải mã bằng mật khẩu theo cách cũ."
        )
    assert election.total is not None
    vkey = bytes.fromhex(election.params["trustees"][share_row.idx - 1]["verification_key"])
    try:
        proofs.verify_partial(election.params_digest, share_row.idx, vkey, election.total, partial)
    except proofs.Invalid as e:
        raise ValidationFailed(
            "Phần giải mã không hợp lệ: bằng chứng không được xác minh.", details={"reason": str(e)}
        ) from None
    share_row.partial = partial
    session.add(share_row)
    session.flush()


def _legacy_share(session: Session, vote: Vote, actor_id: int) -> tuple[TrusteeShare, BallotElection, TrusteeKey]:
    assert vote.id is not None
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, actor_id)
    election = election_of(session, vote.id)
    if election.ceremony_id is not None:
        raise Conflict(
            "Biểu quyết này dùng khóa của lễ tạo khóa: phần giải mã được tính trên máy tính bảng của người giữ khóa."
        )
    key = session.get(TrusteeKey, actor_id)
    if key is None:
        raise Conflict("Bạn chưa có khóa kiểm phiếu.")
    if key.sealing == Sealing.passphrase:  # its passphrase must never be sent here
        raise Conflict(
            "Khóa kiểm phiếu của bạn được bảo vệ bằng cụm mật khẩu riêng trên máy tính bảng: "
            "máy chủ không mở được nó cho biểu quyết cũ này; hai người giữ khóa còn lại vẫn giải mã được."
        )
    return share_row, election, key


def legacy_share(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """LEGACY votes only (opened before 0014_dkg, key dealt by the server), before the transaction: what the
    trustee's password opens (trustee_keys.open_share, counted and in a worker thread: votes/routes.py)."""
    _, vote = vote_access(session, actor, vote_id)
    share_row, _, key = _legacy_share(session, vote, actor.id)
    return {
        "sealed_key": key.sealed,
        "user_id": actor.id,
        "sealed_share": share_row.sealed,
        "aad": _aad(vote_id, share_row.idx),
    }


def partial_decrypt(session: Session, acc: Access, vote: Vote, share: bytes) -> None:
    """LEGACY votes only: the trustee's share, opened with their password outside this transaction
    (legacy_share), decrypts their part inside the server for this step. Refused for a key-ceremony vote: there
    the server never sees a share (trustee_material / accept_partial)."""
    assert vote.id is not None
    share_row, election, _ = _legacy_share(session, vote, acc.actor.id)
    trustee = election.params["trustees"][share_row.idx - 1]
    vkey = bytes.fromhex(trustee["verification_key"])
    assert election.total is not None
    secret_share = int.from_bytes(share, "little")
    partial = proofs.partial_decrypt(election.params_digest, share_row.idx, secret_share, election.total)
    del secret_share
    try:  # a share opened from another seal than this vote's (it changed meanwhile) does not prove
        proofs.verify_partial(election.params_digest, share_row.idx, vkey, election.total, partial)
    except proofs.Invalid:
        raise Conflict("Phần khóa của bạn đã thay đổi trong lúc giải mã; hãy thử lại.") from None
    share_row.partial = partial
    session.add(share_row)
    session.flush()


def decrypt_total(session: Session, vote: Vote) -> list[int] | None:
    """Counts per option (in option order) once `threshold` trustees have decrypted, else None."""
    assert vote.id is not None
    election = election_of(session, vote.id)
    # (a JSON column stores None as JSON null, not SQL NULL: filter here)
    partials = {
        r.idx: r.partial
        for r in session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote.id)).all()
        if r.partial is not None
    }
    threshold: int = election.params["threshold"]
    if len(partials) < threshold:
        return None
    chosen = {i: partials[i] for i in sorted(partials)[:threshold]}
    assert election.total is not None
    return proofs.combine(election.total, chosen, max_count=vote.voted_count)


def trustee_progress(session: Session, vote_id: int) -> dict[str, Any] | None:
    election = session.get(BallotElection, vote_id)
    if election is None:
        return None
    done = {
        r.idx
        for r in session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote_id)).all()
        if r.partial is not None
    }
    cer = session.get(KeyCeremony, election.ceremony_id) if election.ceremony_id is not None else None
    return {
        "threshold": election.params["threshold"],
        "on_device": election.ceremony_id
        is not None,  # False: a legacy vote, decrypted with the password on the server
        "complaints": cer.complaints if cer else [],
        "trustees": [
            {"user_id": t["user_id"], "name": t["name"], "decrypted": t["index"] in done}
            for t in election.params["trustees"]
        ],
    }
