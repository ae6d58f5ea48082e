"""Secret-ballot operations (called from votes.services and the ballot routes): set up the key when a secret
vote opens, accept an encrypted ballot, multiply the ballots at close, take the trustees' partial decryptions,
publish the board. Same shape as every service: permission -> state guard -> write -> event after commit.

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
from sqlmodel import Session, select

from core.actor import Actor
from accounts.models import User
from accounts.passwords import verify_password
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.access import Access, access
from meetings.models import VOTING_ROLES, MeetingRole, Participant
from meetings.models import MeetingState
from meetings.services import emit
from votes.ballot import dkg, proofs, trustee_keys
from votes.models import (BallotElection, CeremonyPart, KeyCeremony, SecretBallot, TrusteeKey, TrusteeShare, Vote, VoteKind,
                          VoteOption, VoteState)

THRESHOLD = 2
TRUSTEES = 3


class NotTrustee(Forbidden):
    code = "not_trustee"


class NoCeremony(Conflict):
    code = "no_key_ceremony"


class LegacyKey(Conflict):
    """A vote opened before the key ceremony existed: its key was dealt by the server."""

    code = "legacy_key"


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
    """The caller's own key: the public half, and the secret half still sealed with their password (only their
    device, knowing the password, can open it: the key ceremony and the decryption step happen there)."""
    row = session.get(TrusteeKey, actor.id)
    return {"user_id": actor.id, "enrolled": row is not None, "public_key": row.public_key if row else None,
            "sealed": row.sealed if row else None}  # fmt: skip


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


# --- the key ceremony (distributed key generation, votes/ballot/dkg.py) -----------------------------------


def current_ceremony(session: Session, meeting_id: int) -> KeyCeremony | None:
    return session.exec(select(KeyCeremony).where(KeyCeremony.meeting_id == meeting_id).order_by(KeyCeremony.id.desc())).first()  # type: ignore[union-attr]


def _parts(session: Session, ceremony_id: int) -> dict[int, CeremonyPart]:
    return {p.idx: p for p in session.exec(select(CeremonyPart).where(CeremonyPart.ceremony_id == ceremony_id)).all()}


def ceremony_public(session: Session, cer: KeyCeremony, actor_id: int | None = None) -> dict[str, Any]:
    assert cer.id is not None
    parts = _parts(session, cer.id)
    mine = next((t["index"] for t in cer.trustees if t["user_id"] == actor_id), None)
    return {
        "id": cer.id, "meeting_id": cer.meeting_id, "state": cer.state, "threshold": cer.threshold, "digest": cer.digest,
        "public_key": cer.public_key, "complaints": cer.complaints,
        "trustees": [{**t, "contributed": t["index"] in parts} for t in cer.trustees],
        "me": {"index": mine, "contributed": mine in parts} if mine else None,
    }  # fmt: skip


def ceremony_status(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Every participant sees the meeting's key ceremony (public values only)."""
    acc = access(session, actor, meeting_id)
    cer = current_ceremony(session, meeting_id)
    trustee_ids = [t["user_id"] for t in cer.trustees] if cer else default_trustees(session, meeting_id)
    enrolled = set(session.exec(select(TrusteeKey.user_id).where(TrusteeKey.user_id.in_(trustee_ids))).all())  # type: ignore[attr-defined]
    names = {u.id: u.full_name for u in session.exec(select(User).where(User.id.in_(trustee_ids))).all()}  # type: ignore[attr-defined]
    return {
        "ceremony": ceremony_public(session, cer, actor.id) if cer else None,
        "can_start": acc.can_conduct,
        "default_trustees": [{"user_id": u, "name": names.get(u, ""), "enrolled": u in enrolled} for u in trustee_ids],
    }


def _ceremony_changed(session: Session, acc: Access, cer: KeyCeremony) -> dict[str, Any]:
    session.flush()
    emit(session, acc, "ballot.ceremony", ceremony_id=cer.id, state=cer.state)
    return ceremony_public(session, cer, acc.actor.id)


def start_ceremony(*, session: Session, actor: Actor, meeting_id: int, trustee_ids: list[int] | None = None) -> dict[str, Any]:
    """The chair or the secretary starts the meeting's key ceremony (again, after a complaint or to change the
    trustees). The votes already opened keep the ceremony they were opened with."""
    acc = access(session, actor, meeting_id, for_update=True)
    if not acc.can_conduct:
        raise Forbidden("Chỉ chủ trì hoặc thư ký được tổ chức lễ tạo khóa kiểm phiếu.")
    if acc.meeting.state == MeetingState.ended:
        raise Conflict("Cuộc họp đã kết thúc.")
    ids = trustee_ids or default_trustees(session, meeting_id)
    check_trustees(session, meeting_id, ids)
    keys = {k.user_id: k for k in session.exec(select(TrusteeKey).where(TrusteeKey.user_id.in_(ids))).all()}  # type: ignore[attr-defined]
    names = {u.id: u.full_name for u in session.exec(select(User).where(User.id.in_(ids))).all()}  # type: ignore[attr-defined]
    missing = [u for u in ids if u not in keys]
    if missing:
        raise Conflict("Người giữ khóa chưa tạo khóa kiểm phiếu: {names}.", names=", ".join(names.get(u, "") for u in missing),
                       details={"user_ids": missing})  # fmt: skip
    trustees = [{"index": i, "user_id": u, "name": names.get(u, ""), "trustee_key": keys[u].public_key} for i, u in enumerate(ids, start=1)]
    cer = KeyCeremony(meeting_id=meeting_id, threshold=THRESHOLD, trustees=trustees, digest="", created_by=actor.id)
    session.add(cer)
    session.flush()
    assert cer.id is not None
    cer.digest = proofs.digest(dkg.ceremony_header(cer.id, meeting_id, THRESHOLD, trustees))
    session.add(cer)
    return _ceremony_changed(session, acc, cer)


def _my_ceremony(session: Session, actor: Actor, meeting_id: int, ceremony_id: int) -> tuple[Access, KeyCeremony, int]:
    acc = access(session, actor, meeting_id, for_update=True)
    cer = session.get(KeyCeremony, ceremony_id)
    if cer is None or cer.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy lễ tạo khóa {ceremony_id}.", ceremony_id=ceremony_id)
    index = next((t["index"] for t in cer.trustees if t["user_id"] == actor.id), None)
    if index is None:
        raise NotTrustee("Bạn không phải người giữ khóa của lễ tạo khóa này.")
    return acc, cer, index


def contribute(*, session: Session, actor: Actor, meeting_id: int, ceremony_id: int, contribution: dict[str, Any]) -> dict[str, Any]:
    """A trustee's contribution (made on their device): commitments and proofs are checked here; the sealed
    shares are stored as they are (only their receivers can open them). The last one fixes the joint key."""
    acc, cer, index = _my_ceremony(session, actor, meeting_id, ceremony_id)
    if cer.state != "collecting":
        raise Conflict("Lễ tạo khóa này không còn nhận đóng góp.", details={"state": cer.state})
    assert cer.id is not None
    parts = _parts(session, cer.id)
    if index in parts:
        raise Conflict("Bạn đã đóng góp vào lễ tạo khóa này.")
    try:
        dkg.verify_contribution(cer.digest, index, cer.threshold, [t["index"] for t in cer.trustees], contribution)
    except proofs.Invalid as e:
        raise ValidationFailed("Phần đóng góp khóa không hợp lệ: bằng chứng không được xác minh.", details={"reason": str(e)}) from None
    part = CeremonyPart(ceremony_id=cer.id, idx=index, user_id=actor.id, commitments=contribution["commitments"],
                        proofs=contribution["proofs"], shares=contribution["shares"])  # fmt: skip
    session.add(part)
    parts[index] = part
    if len(parts) == len(cer.trustees):
        joint = dkg.joint_commitments([[bytes.fromhex(c) for c in parts[i].commitments] for i in sorted(parts)])
        cer.public_key = joint[0].hex()
        cer.state = "complete"
        session.add(cer)
    return _ceremony_changed(session, acc, cer)


def complain(*, session: Session, actor: Actor, meeting_id: int, ceremony_id: int, against: int, vote_id: int | None = None) -> dict[str, Any]:
    """A trustee's device found that the share another trustee sealed to it fails the Feldman check (or does
    not open): recorded and shown to every participant; the ceremony can no longer open new votes."""
    acc, cer, index = _my_ceremony(session, actor, meeting_id, ceremony_id)
    if against == index or against not in {t["index"] for t in cer.trustees}:
        raise ValidationFailed("Người bị khiếu nại không phải người giữ khóa khác của lễ tạo khóa này.",
                               details=[{"field": "against", "message": "không hợp lệ"}])  # fmt: skip
    entry = {"by": index, "against": against, "vote_id": vote_id}
    if entry not in cer.complaints:
        cer.complaints = [*cer.complaints, entry]
    cer.state = "disputed"
    session.add(cer)
    return _ceremony_changed(session, acc, cer)


# --- opening --------------------------------------------------------------------------------------------


def setup(session: Session, vote: Vote, options: list[VoteOption]) -> None:
    """Record the vote's public parameters under the meeting's joint key (called by open_vote): the key comes
    from the trustees' ceremony, so opening needs no trustee and the server holds no secret."""
    assert vote.id is not None
    cer = current_ceremony(session, vote.meeting_id)
    if cer is None or cer.state != "complete":
        raise NoCeremony(
            "Chưa mở được biểu quyết kín: cuộc họp chưa có khóa kiểm phiếu chung. Chủ trì hoặc thư ký cần bắt đầu lễ tạo khóa "
            "và cả ba người giữ khóa tham gia trên máy tính bảng của mình.",
            details={"ceremony": cer.state if cer else None},
        )
    assert cer.id is not None
    trustee_ids = [t["user_id"] for t in cer.trustees]
    if vote.trustee_ids and vote.trustee_ids != trustee_ids:
        raise Conflict("Người giữ khóa của biểu quyết này khác với lễ tạo khóa của cuộc họp; hãy tổ chức lại lễ tạo khóa với họ.",
                       details={"trustee_ids": vote.trustee_ids, "ceremony": trustee_ids})  # fmt: skip
    parts = _parts(session, cer.id)
    contributions = [{"index": i, "commitments": parts[i].commitments, "proofs": parts[i].proofs} for i in sorted(parts)]
    joint = dkg.joint_commitments([[bytes.fromhex(c) for c in p["commitments"]] for p in contributions])
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
            {"index": t["index"], "user_id": t["user_id"], "name": t["name"], "trustee_key": t["trustee_key"],
             "verification_key": proofs.verification_key(joint, t["index"]).hex()}
            for t in cer.trustees
        ],
    }  # fmt: skip
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


def _closed_for_decryption(vote: Vote) -> None:
    if vote.kind != VoteKind.secret:
        raise Conflict("Chỉ biểu quyết kín mới cần giải mã kết quả.")
    if vote.state != VoteState.closed or vote.result is not None:
        raise Conflict("Chỉ giải mã tổng phiếu khi biểu quyết kín đã đóng và chưa có kết quả.", details={"state": str(vote.state)})


def _my_share_row(session: Session, vote: Vote, actor_id: int) -> TrusteeShare:
    share_row = session.exec(select(TrusteeShare).where(TrusteeShare.vote_id == vote.id, TrusteeShare.user_id == actor_id)).first()
    if share_row is None:
        raise NotTrustee("Bạn không giữ khóa của biểu quyết kín này.")
    if share_row.partial is not None:
        raise Conflict("Bạn đã giải mã phần của mình cho biểu quyết này.")
    return share_row


def trustee_material(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    """What trustee j's device needs to decrypt its part of a closed vote's total: the shares the other trustees
    sealed to j in the ceremony (with their senders' commitments, for the Feldman check), j's own trustee key
    still sealed with j's password, and the encrypted total. Nothing here opens without j's password."""
    vote = _vote(session, vote_id)
    access(session, actor, vote.meeting_id)
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, actor.id)
    election = election_of(session, vote_id)
    if election.ceremony_id is None:
        raise LegacyKey("Khóa của biểu quyết này do máy chủ tạo (trước lễ tạo khóa): giải mã bằng mật khẩu theo cách cũ.")
    cer = session.get(KeyCeremony, election.ceremony_id)
    assert cer is not None and cer.id is not None
    key = session.get(TrusteeKey, actor.id)
    if key is None or key.public_key != election.params["trustees"][share_row.idx - 1]["trustee_key"]:
        raise Conflict("Khóa kiểm phiếu của bạn đã đổi sau lễ tạo khóa: không mở được phần khóa của biểu quyết này.")
    received = [{"from": p.idx, "commitments": p.commitments, "sealed": next(s["sealed"] for s in p.shares if s["to"] == share_row.idx)}
                for _, p in sorted(_parts(session, cer.id).items())]  # fmt: skip
    return {"vote_id": vote_id, "meeting_id": vote.meeting_id, "index": share_row.idx, "ceremony_id": cer.id, "ceremony_digest": cer.digest,
            "user_id": actor.id, "sealed_key": key.sealed, "received": received, "total": election.total,
            "params_digest": election.params_digest, "verification_key": election.params["trustees"][share_row.idx - 1]["verification_key"]}  # fmt: skip


def accept_partial(session: Session, acc: Access, vote: Vote, partial: Any) -> None:
    """A trustee's partial decryption of the total, computed on their device: stored only if its proof holds
    against their verification key (spec §5)."""
    assert vote.id is not None
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, acc.actor.id)
    election = election_of(session, vote.id)
    if election.ceremony_id is None:
        raise LegacyKey("Khóa của biểu quyết này do máy chủ tạo (trước lễ tạo khóa): giải mã bằng mật khẩu theo cách cũ.")
    assert election.total is not None
    vkey = bytes.fromhex(election.params["trustees"][share_row.idx - 1]["verification_key"])
    try:
        proofs.verify_partial(election.params_digest, share_row.idx, vkey, election.total, partial)
    except proofs.Invalid as e:
        raise ValidationFailed("Phần giải mã không hợp lệ: bằng chứng không được xác minh.", details={"reason": str(e)}) from None
    share_row.partial = partial
    session.add(share_row)
    session.flush()


def partial_decrypt(session: Session, acc: Access, vote: Vote, password: str) -> None:
    """LEGACY votes only (opened before 0014_dkg, key dealt by the server): the share is opened with the
    trustee's password inside the server for this step. Refused for a key-ceremony vote: there the server never
    sees a share (trustee_material / accept_partial)."""
    assert vote.id is not None
    _closed_for_decryption(vote)
    share_row = _my_share_row(session, vote, acc.actor.id)
    election = election_of(session, vote.id)
    if election.ceremony_id is not None:
        raise Conflict("Biểu quyết này dùng khóa của lễ tạo khóa: phần giải mã được tính trên máy tính bảng của người giữ khóa.")
    key = session.get(TrusteeKey, acc.actor.id)
    if key is None:
        raise Conflict("Bạn chưa có khóa kiểm phiếu.")
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
    cer = session.get(KeyCeremony, election.ceremony_id) if election.ceremony_id is not None else None
    return {
        "threshold": election.params["threshold"],
        "on_device": election.ceremony_id is not None,  # False: a legacy vote, decrypted with the password on the server
        "complaints": cer.complaints if cer else [],
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


def meeting_boards(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """The boards of every decrypted secret vote of a meeting, exported with its minutes (which cite each board's
    fingerprint): every participant may download them, as they may read each board."""
    access(session, actor, meeting_id)
    votes = session.exec(select(Vote).where(Vote.meeting_id == meeting_id, Vote.kind == VoteKind.secret).order_by(Vote.id)).all()  # type: ignore[arg-type]
    boards = [board_data(session, v) for v in votes if v.result is not None and session.get(BallotElection, v.id) is not None]
    return {"meeting_id": meeting_id, "boards": boards}
