"""The polls' signed files among those the public check looks up (minutes/issued.py): the summary report signed
for the Government Office (block REPORT_FIELD, who polls/reporting.py recorded; before migration 0022 the chair
signed it in block "ChuTri") and each voter's signed answer sheet (block "ThanhVien", the voter's own)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.i18n import N_
from minutes.issued import Issued, block
from polls import numbering
from polls.models import Poll, PollVoter
from polls.pdf import REPORT_FIELD

OFFICE = N_("Văn phòng Chính phủ")
CHAIR = N_("Người chủ trì")
VOTER = N_("Thành viên Chính phủ")
LEGACY_REPORT_FIELD = "ChuTri"  # the chair's block on the reports signed before 0022


def poll_files(session: Session, hashes: frozenset[str]) -> list[Issued]:
    out = []
    for poll in session.exec(select(Poll).where(col(Poll.report_sha256).in_(sorted(hashes)))).all():
        if poll.report_signed_by is not None:
            signer = block(session, REPORT_FIELD, "office", OFFICE, poll.report_signed_by, True)
        else:
            signer = block(session, LEGACY_REPORT_FIELD, "chair", CHAIR, poll.chair_id, True)
        out.append(
            Issued(
                sha256=poll.report_sha256 or "",
                kind="poll_report",
                document=f"poll_report:{poll.id}",
                number=numbering.number_of(session, poll.id or 0),
                title=poll.title,
                state="complete",
                blocks=(signer,),
            )
        )
    for voter in session.exec(select(PollVoter).where(col(PollVoter.sheet_sha256).in_(sorted(hashes)))).all():
        poll_ = session.get(Poll, voter.poll_id)
        out.append(
            Issued(
                sha256=voter.sheet_sha256 or "",
                kind="poll_sheet",
                document=f"poll_sheet:{voter.poll_id}:{voter.user_id}",
                number=None,
                title=poll_.title if poll_ else "",
                state="complete",
                blocks=(block(session, "ThanhVien", "voter", VOTER, voter.user_id, True),),
            )
        )
    return out
