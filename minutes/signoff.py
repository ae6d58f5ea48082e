"""Signing a frozen version of the minutes, in turn: the meeting's secretary, then its chair (complete: every
participant is told and may download it). prepare_signature reads what signing needs in a short read
transaction; the PAdES signature itself (minutes/signing.py) runs outside any transaction; store_signature keeps
the signed file if nothing moved meanwhile. Each: permission -> state guard -> write -> event after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from accounts.models import User
from core.actor import Actor
from core.clock import utcnow
from core.errors import Conflict, Forbidden
from meetings.access import Access, access
from meetings.models import MeetingRole
from meetings.services import emit
from minutes import builder
from minutes.models import MinutesState
from minutes.services import latest_file, minutes_slice, open_version, signer_rows, store_file

FIELDS = {"secretary": "ThuKy", "chair": "ChuToa"}
SIGN_REASON = {"secretary": "Thư ký ký biên bản cuộc họp", "chair": "Chủ tọa ký biên bản cuộc họp"}


@dataclass(frozen=True)
class SignJob:
    """What signing needs, read in a short read transaction; signing itself runs outside any transaction."""

    meeting_id: int
    version_id: int
    version: int
    step: str  # "secretary" | "chair"
    pdf: bytes
    username: str
    full_name: str
    field_name: str
    reason: str
    location: str
    title: str = ""  # the signer's office title, drawn in the visible signature


def _require_signer(session: Session, acc: Access, step: str) -> None:
    expected = signer_rows(session, acc.meeting.id or 0)[step]
    if expected is None or expected[0] != acc.actor.id:
        if step == "secretary" and acc.role == MeetingRole.chair:
            raise Forbidden("Thư ký ký trước, sau đó chủ tọa ký.")
        if step == "secretary":
            raise Forbidden("Lượt ký hiện tại là của thư ký cuộc họp; bạn không phải người ký này.")
        raise Forbidden("Lượt ký hiện tại là của chủ tọa cuộc họp (thư ký đã ký); bạn không phải người ký này.")


def prepare_signature(*, session: Session, actor: Actor, meeting_id: int, shown: int | None = None) -> SignJob:
    """What `actor` signs now; `shown`: the version they were shown (the route requires it): what is signed is
    what was shown, so another version (made meanwhile: its text may differ) is refused, never signed."""
    acc = access(session, actor, meeting_id)
    current = open_version(session, meeting_id)
    if current is None:
        raise Conflict("Biên bản chưa được chốt; Văn phòng cần chốt biên bản trước khi ký.")
    if shown is not None and shown != current.version:
        raise Conflict(
            "Biên bản đang chờ ký là phiên bản {current}, không phải phiên bản {shown} bạn đã xem; hãy xem lại rồi ký.",
            current=current.version,
            shown=shown,
            details={"version": current.version},
        )
    step = {MinutesState.final: "secretary", MinutesState.secretary_signed: "chair"}.get(MinutesState(current.state))
    if step is None:
        raise Conflict("Biên bản phiên bản {version} đã được ký đủ.", version=current.version)
    _require_signer(session, acc, step)
    user = session.get(User, actor.id)
    assert user is not None
    return SignJob(
        meeting_id,
        current.id or 0,
        current.version,
        step,
        latest_file(session, current).data,
        user.username,
        user.full_name,
        FIELDS[step],
        SIGN_REASON[step],
        builder.CITY,
        user.title,
    )


def store_signature(
    *, session: Session, actor: Actor, job: SignJob, pdf: bytes, signed_at: datetime | None = None
) -> dict[str, Any]:
    """Keeps a signed file, if nothing moved since prepare_signature (else 409: sign again). `signed_at`: the time
    the signature itself claims, so the page and the PDF say the same minute."""
    acc = access(session, actor, job.meeting_id, for_update=True)
    _require_signer(session, acc, job.step)  # a job prepared for someone else, or a signer replaced meanwhile
    current = open_version(session, job.meeting_id)
    expected = MinutesState.final if job.step == "secretary" else MinutesState.secretary_signed
    if current is None or current.id != job.version_id or current.state != expected:
        raise Conflict("Biên bản đã thay đổi trong lúc ký; hãy tải lại trang và ký lại.")
    store_file(session, current, job.step, pdf)
    setattr(current, f"{job.step}_id", actor.id)
    setattr(current, f"{job.step}_signed_at", signed_at or utcnow())
    current.state = MinutesState.secretary_signed if job.step == "secretary" else MinutesState.signed
    session.add(current)
    session.flush()
    status = minutes_slice(session, acc.meeting)
    signer = {"user_id": actor.id, "full_name": job.full_name, "role": job.step}
    emit(session, acc, "minutes.signed", version=job.version, signer=signer, minutes=status)
    if current.state == MinutesState.signed:
        emit(
            session,
            acc,
            "minutes.completed",
            meeting_id=job.meeting_id,
            version=job.version,
            title=acc.meeting.title,
            download_url=status["download_url"],
            minutes=status,
        )
    return status
