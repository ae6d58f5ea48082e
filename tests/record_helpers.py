"""Helpers of the official-record tests: pinned meeting times, DOCX text, signing a version at a known moment."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import docx
from sqlmodel import select

from app.db import Database
from meetings.models import AttendanceChange, Meeting
from minutes import services, signoff
from ledger.keystore import KeyStore
from minutes.signing import sign_pdf
from speakers.models import SpeakerRequest
from tests.factories import PASSWORD, Cabinet, call

SIGNED_AT = datetime(2026, 12, 3, 10, 45, tzinfo=timezone.utc)  # 17:45 in Hà Nội, 11:45 in Paris


def pin_times(db: Database, meeting_id: int) -> None:
    """The meeting ran 2026-12-03 01:00Z-04:30Z (08:00-11:30 in Hà Nội); every speech 02:15Z-02:20Z; everyone
    checked in (in the script, before the start) at 00:55Z, so nobody reads as arriving late whatever today is."""
    with db.write_session() as session:
        m = session.get(Meeting, meeting_id)
        assert m is not None
        m.started_at = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
        m.ended_at = datetime(2026, 12, 3, 4, 30, tzinfo=timezone.utc)
        session.add(m)
        for r in session.exec(select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting_id)):
            r.started_at = datetime(2026, 12, 3, 2, 15, tzinfo=timezone.utc)
            r.ended_at = datetime(2026, 12, 3, 2, 20, tzinfo=timezone.utc)
            session.add(r)
        for change in session.exec(select(AttendanceChange).where(AttendanceChange.meeting_id == meeting_id)):
            change.at = datetime(2026, 12, 3, 0, 55, tzinfo=timezone.utc)
            session.add(change)
        session.commit()


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return " ".join(" ".join(parts).split())


def sign_step(
    db: Database,
    data_dir: Path,
    actor,
    meeting_id: int,
    tz: str = "Asia/Ho_Chi_Minh",
    at: datetime = SIGNED_AT,
) -> dict:
    job = db.run_read(signoff.prepare_signature, actor=actor, meeting_id=meeting_id)
    pdf = sign_pdf(
        job.pdf,
        store=KeyStore.for_data_dir(data_dir),
        user_id=job.username,
        password=PASSWORD,
        field_name=job.field_name,
        reason=job.reason,
        location=job.location,
        signer_name=job.full_name,
        signer_title=job.title,
        signed_at=at,
        tz=tz,
    )
    return call(db, signoff.store_signature, actor=actor, job=job, pdf=pdf, signed_at=at)


def sign_both(db: Database, data_dir: Path, c: Cabinet, tz: str = "Asia/Ho_Chi_Minh") -> bytes:
    sign_step(db, data_dir, c.secretary, c.meeting_id, tz)
    sign_step(db, data_dir, c.chair, c.meeting_id, tz)
    return db.run_read(services.get_pdf, actor=c.members[0], meeting_id=c.meeting_id).data
