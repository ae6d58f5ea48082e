"""The meeting's key ceremony (distributed key generation, votes/ballot/dkg.py): the chair or the secretary starts
it with three trustees, each trustee's device contributes commitments, proofs and sealed shares, a device that
finds a bad share complains. The last contribution fixes the joint key every secret vote of the meeting is
opened with (votes/ballot/election.py: setup). Every participant sees the ceremony's public values."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings.access import Access, access
from meetings.models import VOTING_ROLES, MeetingRole, Participant
from meetings.models import MeetingState
from meetings.services import emit
from votes.ballot import dkg, proofs
from votes.models import CeremonyPart, KeyCeremony, TrusteeKey

THRESHOLD = 2
TRUSTEES = 3


class NotTrustee(Forbidden):
    code = "not_trustee"


# --- the trustees -------------------------------------------------------------------------------------


def default_trustees(session: Session, meeting_id: int) -> list[int]:
    """The chair, the secretary, then the first member (invitation order) unless the vote names them."""
    rows = session.exec(
        select(Participant).where(Participant.meeting_id == meeting_id).order_by(col(Participant.id))
    ).all()
    chair = [p.user_id for p in rows if p.role == MeetingRole.chair]
    secretary = [p.user_id for p in rows if p.role == MeetingRole.secretary]
    members = [p.user_id for p in rows if p.role == MeetingRole.member]
    return (chair[:1] + secretary[:1] + members)[:TRUSTEES]


def check_trustees(session: Session, meeting_id: int, user_ids: list[int]) -> None:
    roles = {
        p.user_id: p.role for p in session.exec(select(Participant).where(Participant.meeting_id == meeting_id)).all()
    }
    bad = [u for u in user_ids if roles.get(u) not in (*VOTING_ROLES, MeetingRole.secretary)]
    if bad or len(set(user_ids)) != len(user_ids) or len(user_ids) != TRUSTEES:
        raise ValidationFailed(
            "Cần đúng ba người giữ khóa khác nhau là chủ trì, thư ký hoặc thành viên của cuộc họp.",
            details=[{"field": "trustee_ids", "message": "không hợp lệ", "user_ids": bad}],
        )


# --- the key ceremony (distributed key generation, votes/ballot/dkg.py) -----------------------------------


def current_ceremony(session: Session, meeting_id: int) -> KeyCeremony | None:
    return session.exec(
        select(KeyCeremony).where(KeyCeremony.meeting_id == meeting_id).order_by(col(KeyCeremony.id).desc())
    ).first()


def ceremony_parts(session: Session, ceremony_id: int) -> dict[int, CeremonyPart]:
    return {p.idx: p for p in session.exec(select(CeremonyPart).where(CeremonyPart.ceremony_id == ceremony_id)).all()}


def ceremony_public(session: Session, cer: KeyCeremony, actor_id: int | None = None) -> dict[str, Any]:
    assert cer.id is not None
    parts = ceremony_parts(session, cer.id)
    mine = next((t["index"] for t in cer.trustees if t["user_id"] == actor_id), None)
    return {
        "id": cer.id,
        "meeting_id": cer.meeting_id,
        "state": cer.state,
        "threshold": cer.threshold,
        "digest": cer.digest,
        "public_key": cer.public_key,
        "complaints": cer.complaints,
        "trustees": [{**t, "contributed": t["index"] in parts} for t in cer.trustees],
        "me": {"index": mine, "contributed": mine in parts} if mine else None,
    }


def ceremony_status(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Every participant sees the meeting's key ceremony (public values only)."""
    acc = access(session, actor, meeting_id)
    cer = current_ceremony(session, meeting_id)
    trustee_ids = [t["user_id"] for t in cer.trustees] if cer else default_trustees(session, meeting_id)
    usable = col(TrusteeKey.lost_at).is_(None)  # a key lost at a password reset must be created again
    enrolled = set(
        session.exec(select(TrusteeKey.user_id).where(col(TrusteeKey.user_id).in_(trustee_ids), usable)).all()
    )
    names = {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(trustee_ids))).all()}
    return {
        "ceremony": ceremony_public(session, cer, actor.id) if cer else None,
        "can_start": acc.can_conduct,
        "default_trustees": [{"user_id": u, "name": names.get(u, ""), "enrolled": u in enrolled} for u in trustee_ids],
    }


def _ceremony_changed(session: Session, acc: Access, cer: KeyCeremony) -> dict[str, Any]:
    session.flush()
    emit(session, acc, "ballot.ceremony", ceremony_id=cer.id, state=cer.state)
    return ceremony_public(session, cer, acc.actor.id)


def start_ceremony(
    *, session: Session, actor: Actor, meeting_id: int, trustee_ids: list[int] | None = None
) -> dict[str, Any]:
    """The chair or the secretary starts the meeting's key ceremony (again, after a complaint or to change the
    trustees). The votes already opened keep the ceremony they were opened with."""
    acc = access(session, actor, meeting_id, for_update=True)
    if not acc.can_conduct:
        raise Forbidden("Chỉ chủ trì hoặc thư ký được tổ chức lễ tạo khóa kiểm phiếu.")
    if acc.meeting.state == MeetingState.ended:
        raise Conflict("Cuộc họp đã kết thúc.")
    ids = trustee_ids or default_trustees(session, meeting_id)
    check_trustees(session, meeting_id, ids)
    keys = {
        k.user_id: k
        for k in session.exec(select(TrusteeKey).where(col(TrusteeKey.user_id).in_(ids))).all()
        if k.lost_at is None  # lost at a password reset: the holder creates a new key first
    }
    names = {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(ids))).all()}
    missing = [u for u in ids if u not in keys]
    if missing:
        raise Conflict(
            "Người giữ khóa chưa tạo khóa kiểm phiếu: {names}.",
            names=", ".join(names.get(u, "") for u in missing),
            details={"user_ids": missing},
        )
    trustees = [
        {"index": i, "user_id": u, "name": names.get(u, ""), "trustee_key": keys[u].public_key}
        for i, u in enumerate(ids, start=1)
    ]
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
        raise NotFound("Không tìm thấy lễ tạo khóa.")
    index = next((t["index"] for t in cer.trustees if t["user_id"] == actor.id), None)
    if index is None:
        raise NotTrustee("Bạn không phải người giữ khóa của lễ tạo khóa này.")
    return acc, cer, index


def contribute(
    *, session: Session, actor: Actor, meeting_id: int, ceremony_id: int, contribution: dict[str, Any]
) -> dict[str, Any]:
    """A trustee's contribution (made on their device): commitments and proofs are checked here; the sealed
    shares are stored as they are (only their receivers can open them). The last one fixes the joint key."""
    acc, cer, index = _my_ceremony(session, actor, meeting_id, ceremony_id)
    if cer.state != "collecting":
        raise Conflict("Lễ tạo khóa này không còn nhận đóng góp.", details={"state": cer.state})
    assert cer.id is not None
    parts = ceremony_parts(session, cer.id)
    if index in parts:
        raise Conflict("Bạn đã đóng góp vào lễ tạo khóa này.")
    try:
        dkg.verify_contribution(cer.digest, index, cer.threshold, [t["index"] for t in cer.trustees], contribution)
    except proofs.Invalid as e:
        raise ValidationFailed(
            "Phần đóng góp khóa không hợp lệ: bằng chứng không được xác minh.", details={"reason": str(e)}
        ) from None
    part = CeremonyPart(
        ceremony_id=cer.id,
        idx=index,
        user_id=actor.id,
        commitments=contribution["commitments"],
        proofs=contribution["proofs"],
        shares=contribution["shares"],
    )
    session.add(part)
    parts[index] = part
    if len(parts) == len(cer.trustees):
        joint = dkg.joint_commitments([[bytes.fromhex(c) for c in parts[i].commitments] for i in sorted(parts)])
        cer.public_key = joint[0].hex()
        cer.state = "complete"
        session.add(cer)
    return _ceremony_changed(session, acc, cer)


def complain(
    *, session: Session, actor: Actor, meeting_id: int, ceremony_id: int, against: int, vote_id: int | None = None
) -> dict[str, Any]:
    """A trustee's device found that the share another trustee sealed to it fails the Feldman check (or does
    not open): recorded and shown to every participant; the ceremony can no longer open new votes."""
    acc, cer, index = _my_ceremony(session, actor, meeting_id, ceremony_id)
    if against == index or against not in {t["index"] for t in cer.trustees}:
        raise ValidationFailed(
            "Người bị khiếu nại không phải người giữ khóa khác của lễ tạo khóa này.",
            details=[{"field": "against", "message": "không hợp lệ"}],
        )
    entry = {"by": index, "against": against, "vote_id": vote_id}
    if entry not in cer.complaints:
        cer.complaints = [*cer.complaints, entry]
    cer.state = "disputed"
    session.add(cer)
    return _ceremony_changed(session, acc, cer)
