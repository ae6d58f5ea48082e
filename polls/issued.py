"""The polls' signed files among those the public check looks up (minutes/issued.py): the summary report signed
for the Government Office (block REPORT_FIELD, who polls/reporting.py recorded; before migration 0022 the chair
signed it in block "ChuTri") and each voter's signed answer sheet (block "ThanhVien", the voter's own): the current
one, and those the voter replaced by a later answer (polls/answering.py keeps their SHA-256 in minutes/replaced.py),
issued then superseded."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.i18n import N_

from minutes.issued import Issued, block, replaced
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
    for old in replaced(session, "poll_sheet", hashes):  # first: a file also current answers as current
        out.append(_sheet(session, old.sha256, old.ref_id, old.user_id or 0, old.replaced_at))
    for voter in session.exec(select(PollVoter).where(col(PollVoter.sheet_sha256).in_(sorted(hashes)))).all():
        out.append(_sheet(session, voter.sheet_sha256 or "", voter.poll_id, voter.user_id, None))
    return out


def _sheet(session: Session, sha: str, poll_id: int, user_id: int, superseded: datetime | None) -> Issued:
    poll = session.get(Poll, poll_id)
    return Issued(
        sha256=sha,
        kind="poll_sheet",
        document=f"poll_sheet:{poll_id}:{user_id}",
        number=None,
        title=poll.title if poll else "",
        state="complete",
        blocks=(block(session, "ThanhVien", "voter", VOTER, user_id, True),),
        superseded_at=superseded,
    )
