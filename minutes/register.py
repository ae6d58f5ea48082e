"""The register of minutes numbers (sổ đăng ký biên bản), as a văn thư keeps it (NĐ 30/2020/NĐ-CP, Điều 15:
numbers run from 1 each calendar year, in the order the organisation issues its documents).

- A number is given when minutes are finalised (the PDF that will be signed must carry it), in the same
  transaction as the version, from the organisation's register for the year of finalisation on the
  organisation's wall clock. It is never given again: the register row stays, unique per (year, number).
- The minutes are dated the day their number was given (the date line "Hà Nội, ngày …" is the register row's
  `allocated_at`), so the year of the date line is always the year of the number's series: two minutes "Số: 01"
  never both read "… năm 2026". The meeting's own date is in the body ("Thời gian bắt đầu"); a draft has
  neither number nor date.
- A correction (new version) of minutes that were NOT yet signed by both keeps the number: nothing with that
  number was issued, it is still the same document. A correction of SIGNED minutes is a document that
  replaces an issued one (văn bản thay thế): it gets a new number; the signed version keeps its own.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import Session

from core.clock import local
from core.errors import Conflict
from core.register import next_number
from minutes.models import MinutesNumber, MinutesState, MinutesVersion


def number_of(session: Session, version: MinutesVersion) -> MinutesNumber | None:
    return session.get(MinutesNumber, version.number_id) if version.number_id else None


def kept_number(previous: MinutesVersion | None) -> int | None:
    """The register entry a new version inherits: that of a superseded version never signed by both."""
    if previous is None or previous.state == MinutesState.signed:
        return None
    return previous.number_id


def allocate(
    session: Session, *, meeting_id: int, version: int, at: datetime, tz: str | tzinfo, actor_id: int | None
) -> MinutesNumber:
    """The next number of the year `at` falls in (organisation's zone), recorded in the register with `at`, the day
    the minutes are dated (builder.build `dated`)."""
    year = local(at, tz).year
    return next_number(
        session,
        MinutesNumber,
        year,
        lambda number: MinutesNumber(
            year=year,
            number=number,
            meeting_id=meeting_id,
            first_version=version,
            allocated_by=actor_id,
            allocated_at=at,
        ),
        Conflict("Sổ đăng ký biên bản đang bận; vui lòng chốt lại."),
    )
