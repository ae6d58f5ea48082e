"""The conclusion notices' files among those the public check looks up (minutes/issued.py): the approved notice
(frozen, unsigned) and the signed one, whose block "ChuTri" the meeting's chair signs (notices/issuing.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.i18n import N_
from minutes.issued import Issued, block
from notices import pdf
from notices.access import chair_of
from notices.models import ConclusionNotice, NoticeFile
from notices.shapes import notice_number

SIGNER = N_("Người ký thông báo")


def notice_files(session: Session, hashes: frozenset[str]) -> list[Issued]:
    wanted = col(NoticeFile.sha256).in_(sorted(hashes))
    rows = session.exec(select(NoticeFile.sha256, NoticeFile.step, NoticeFile.notice_id).where(wanted)).all()
    out = []
    for sha, step, notice_id in rows:
        n = session.get(ConclusionNotice, notice_id)
        if n is None:
            continue
        signed = step == "signed"
        signer = n.issued_by if n.issued_by is not None else chair_of(session, n.meeting_id)
        out.append(
            Issued(
                sha256=sha,
                kind="notice",
                document=f"notice:{notice_id}",
                number=notice_number(session, n),
                title=n.subject,
                state="complete" if signed else "unsigned",
                blocks=(block(session, pdf.FIELD, "issuer", SIGNER, signer, signed),),
            )
        )
    return out
