"""Helpers for the notices and notifications tests: an ended meeting with conclusions, users of a ministry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.actor import Actor
from accounts.models import GlobalRole
from accounts.schemas import UserCreate
from accounts.services import create_user
from app.db import Database
from core.clock import utcnow
from meetings import services as meetings
from minutes import conclusions, signing
from ledger.keystore import KeyStore
from notices import issuing
from notices import services as notices
from notices.pdf import FIELD
from tests.factories import PASSWORD, Cabinet, call, make_cabinet

UNIT = "Bộ Tài chính"
CONCLUSIONS = [
    "Chính phủ thống nhất thông qua dự toán; giao Bộ Tài chính hoàn thiện hồ sơ, trình ký trước ngày 15/12/2026.",
    "Giao Bộ Kế hoạch và Đầu tư tiếp thu ý kiến thành viên, báo cáo Thủ tướng trong tháng 12.",
]


def unit_user(db: Database, unit: str = UNIT, username: str | None = None, name: str = "Trần Văn Chuyên Viên") -> Actor:
    data = UserCreate(
        username=username or f"cv-{abs(hash((unit, name))) % 10**8}",
        full_name=name,
        title="Chuyên viên",
        unit=unit,
        role=GlobalRole.member,
        password=PASSWORD,
    )
    user = db.run_write(create_user, actor=None, data=data, min_length=10, check_names=False).result
    return Actor(id=user.id, username=user.username, full_name=user.full_name, role=GlobalRole.member)


@dataclass
class Held:
    cabinet: Cabinet
    ministry: Actor  # a user of UNIT (not a participant)

    @property
    def meeting_id(self) -> int:
        return self.cabinet.meeting_id


def held_meeting(db: Database, n_members: int = 3) -> Held:
    """A meeting held and ended, with a conclusion on each of its first two items."""
    c = make_cabinet(db, n_members=n_members, n_items=2, start=True)
    for item_id, text in zip(c.item_ids, CONCLUSIONS):
        call(
            db,
            conclusions.save_conclusion,
            actor=c.staff,
            meeting_id=c.meeting_id,
            item_id=item_id,
            text=text,
            base_revision=0,
        )
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    return Held(c, unit_user(db))


def issued_notice(db: Database, h: Held, data_dir: Path, deadline: date) -> tuple[int, int]:
    """(notice id, task id): drafted, a task for UNIT, submitted, approved and signed by the chair, through the
    services (the HTTP lifecycle has its own test). Call it from a worker thread: pyHanko runs its own loop."""
    nid, task_id = approved_notice(db, h, data_dir, deadline)
    job, signed, at = signed_by(db, h.cabinet.chair, nid, data_dir)
    call(db, issuing.store_signature, actor=h.cabinet.chair, job=job, pdf_bytes=signed, signed_at=at)
    return nid, task_id


def approved_notice(db: Database, h: Held, data_dir: Path, deadline: date) -> tuple[int, int]:
    """(notice id, task id): drafted, a task for UNIT, submitted and approved; the signers' keys made."""
    from tests.minutes_helpers import signer_keys

    c = h.cabinet
    signer_keys(data_dir, c)
    nid = call(db, notices.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]
    task_id = call(
        db,
        notices.add_task,
        actor=c.staff,
        notice_id=nid,
        conclusion_id=None,
        unit=UNIT,
        what="Báo cáo kết quả rà soát dự toán.",
        deadline=deadline,
    )["id"]
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    call(db, issuing.approve, actor=c.chair, notice_id=nid)
    return nid, task_id


def signed_by(db: Database, signer: Actor, nid: int, data_dir: Path) -> tuple[issuing.SignJob, bytes, datetime]:
    """What the signing route does between prepare_signature and store_signature: (the job, the signed PDF, when)."""
    job = db.run_read(issuing.prepare_signature, actor=signer, notice_id=nid)
    at = utcnow().replace(microsecond=0)
    signed = signing.sign_pdf(
        job.pdf,
        store=KeyStore.for_data_dir(data_dir),
        user_id=job.username,
        password=PASSWORD,
        field_name=FIELD,
        reason=issuing.SIGN_REASON,
        location="Hà Nội",
        signer_name=job.full_name,
        signed_at=at,
        stamp_name="",  # as notices/routes.py signs: the name printed once, below the field
        signer_title="",
    )
    return job, signed, at
