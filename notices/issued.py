"""The conclusion notices' files among those the public check looks up (minutes/issued.py): the approved notice
(frozen, unsigned) and the signed one, whose block "ChuTri" the meeting's chair signs (notices/issuing.py); and the
frozen PDF of an approved notice the chair returned to the secretariat (notices/services.py drops its row and keeps
its SHA-256 in minutes/replaced.py): issued, then replaced."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.i18n import N_
from minutes.issued import Issued, block, replaced
from notices import pdf
from notices.access import chair_of
from notices.models import ConclusionNotice, NoticeFile
from notices.shapes import notice_number

SIGNER = N_("Người ký thông báo")


def _issued(session: Session, sha: str, n: ConclusionNotice, signed: bool, superseded: datetime | None) -> Issued:
    signer = n.issued_by if n.issued_by is not None else chair_of(session, n.meeting_id)
    return Issued(
        sha256=sha,
        kind="notice",
        document=f"notice:{n.id}",
        number=notice_number(session, n),
        title=n.subject,
        state="complete" if signed else "unsigned",
        blocks=(block(session, pdf.FIELD, "issuer", SIGNER, signer, signed),),
        superseded_at=superseded,
    )


def notice_files(session: Session, hashes: frozenset[str]) -> list[Issued]:
    out = []
    for old in replaced(session, "notice", hashes):  # first: a file also current answers as current
        n = session.get(ConclusionNotice, old.ref_id)
        if n is not None:
            out.append(_issued(session, old.sha256, n, False, old.replaced_at))
    wanted = col(NoticeFile.sha256).in_(sorted(hashes))
    rows = session.exec(select(NoticeFile.sha256, NoticeFile.step, NoticeFile.notice_id).where(wanted)).all()
    for sha, step, notice_id in rows:
        n = session.get(ConclusionNotice, notice_id)
        if n is not None:
            out.append(_issued(session, sha, n, step == "signed", None))
    return out
