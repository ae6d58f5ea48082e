"""The register of the summary reports' numbers (sổ đăng ký): Số: NN/BC-VPCP, in the style of the conclusion
notices' register (notices/issuing.py), one series per year on the organisation's clock.

A poll's report gets its number once, when the poll closes (the report exists from then on and is what the
Government Office's head, or a Vice Chairman on his behalf, reads and then signs: polls/reporting.py; the number is
on it before it is shown); a poll closed before the register existed gets its number the first time its report is
read (ensure_number). Never given twice: unique (year, number) and unique poll_id, the insert retried on a
collision (two nodes closing two polls at once)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlmodel import Session, select

from core.actor import Actor
from core.clock import DEFAULT_TIMEZONE, local, utcnow
from core.errors import Conflict, Forbidden
from core.register import next_number
from polls import signers
from polls.access import DONE, load, require_state
from polls.models import Poll, PollReportNumber

SYMBOL = "BC-VPCP"  # BC = báo cáo, VPCP = Văn phòng Chính phủ


def code(entry: PollReportNumber) -> str:
    """'03/BC-VPCP': below 10 with a leading 0 (NĐ 30, Phụ lục I)."""
    return f"{entry.number:02d}/{SYMBOL}"


def number_of(session: Session, poll_id: int) -> str | None:
    entry = session.exec(select(PollReportNumber).where(PollReportNumber.poll_id == poll_id)).first()
    return code(entry) if entry else None


def allocate(session: Session, poll: Poll, at: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> PollReportNumber:
    """The poll's number: the one it has, else the next of `at`'s year. Call it with the poll's row locked."""
    pid = poll.id or 0
    found = session.exec(select(PollReportNumber).where(PollReportNumber.poll_id == pid)).first()
    if found is not None:
        return found
    year = local(at, tz).year
    return next_number(
        session,
        PollReportNumber,
        year,
        lambda number: PollReportNumber(year=year, number=number, poll_id=pid, allocated_at=utcnow()),
        Conflict("Sổ đăng ký báo cáo đang bận; vui lòng thử lại.", details={"poll_id": pid}),
    )


def ensure_number(*, session: Session, actor: Actor, poll_id: int, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str | None:
    """A closed poll without a number (closed before the register): given one now, in the year it closed; the
    number it has otherwise. Whoever reads the report (the secretariat, the chair, the Office's designated signers,
    once the poll is closed)."""
    poll = load(session, poll_id, for_update=True, actor=actor)  # one he may not see: the absent poll's 404
    if not (actor.is_staff or actor.id == poll.chair_id or signers.is_signer(session, actor.id)) or actor.is_display:
        raise Forbidden("Chỉ Văn phòng và người chủ trì xem báo cáo tổng hợp ý kiến.", details={"poll_id": poll_id})
    require_state(poll, *DONE, action="report")
    return code(allocate(session, poll, poll.closed_at or utcnow(), tz))
