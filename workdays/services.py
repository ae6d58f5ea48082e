"""Working days (ngày làm việc) as a ministry clerk counts them: Monday to Friday, minus the public holidays
and their made-up days (workdays/holidays.py), corrected by the admin's overrides (workdays/models.py).

The three counting functions are the API other domains use (polls' deadlines, the conclusion notice's 5
working days); they read the overrides of the span they look at in one query and never write."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from core.actor import Actor
from accounts.models import GlobalRole
from ledger.chain import append
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workdays.holidays import holiday_on, holidays, is_weekend
from workdays.models import DayKind, DayOverride
from workdays.schemas import CalendarDay, CalendarPublic, OverrideCreate, OverridePublic

_MAX_SPAN = 3660  # days: ten years of counting is far beyond any deadline; refuse rather than loop
_WEEKDAY_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def _overrides(session: Session, lo: date, hi: date) -> dict[date, DayOverride]:
    rows = session.exec(select(DayOverride).where(DayOverride.day >= lo, DayOverride.day <= hi)).all()
    return {r.day: r for r in rows}


def _working(d: date, overrides: dict[date, DayOverride]) -> bool:
    found = overrides.get(d)
    if found is not None:
        return found.kind == DayKind.work
    return not is_weekend(d) and holiday_on(d) is None


def is_working_day(session: Session, d: date) -> bool:
    return _working(d, _overrides(session, d, d))


def add_working_days(session: Session, start: date, n: int) -> date:
    """The day `n` working days after `start` (before it when n < 0); `start` itself is not counted, so
    add_working_days(s, 0) is s and a notice due "within 5 working days" of a Friday session is due on the
    Friday after (no holiday between)."""
    if abs(n) > 2000:
        raise ValidationFailed("Số ngày làm việc quá lớn.", details={"n": n})
    step = 1 if n >= 0 else -1
    # Generous window: 2n calendar days plus the longest run of days off (Tết + weekends) per year crossed.
    span = abs(n) * 2 + 20 + abs(n) // 100 * 20
    lo, hi = (start, start + timedelta(days=span)) if step > 0 else (start - timedelta(days=span), start)
    overrides = _overrides(session, lo, hi)
    d, left = start, abs(n)
    while left:
        d += timedelta(days=step)
        if not lo <= d <= hi:  # a calendar full of admin days off: widen and carry on
            lo, hi = min(lo, d - timedelta(days=366)), max(hi, d + timedelta(days=366))
            overrides = _overrides(session, lo, hi)
        if _working(d, overrides):
            left -= 1
    return d


def working_days_between(session: Session, start: date, end: date) -> int:
    """How many working days lie after `start` up to and including `end` (negative when end < start):
    working_days_between(s, add_working_days(s, n)) == n."""
    if start == end:
        return 0
    if end < start:
        return -working_days_between(session, end, start)
    if (end - start).days > _MAX_SPAN:
        raise ValidationFailed(
            "Khoảng thời gian quá dài.", details={"start": start.isoformat(), "end": end.isoformat()}
        )
    overrides = _overrides(session, start, end)
    return sum(1 for i in range(1, (end - start).days + 1) if _working(start + timedelta(days=i), overrides))


# ---- the calendar page and the admin's overrides ----


def calendar(*, session: Session, actor: Actor, year: int) -> dict[str, Any]:
    """The days off and made-up working days of `year`: everyone signed in may read it."""
    if not 1900 <= year <= 2199:
        raise ValidationFailed("Năm phải trong khoảng 1900 đến 2199.", details={"year": year})
    overrides = _overrides(session, date(year, 1, 1), date(year, 12, 31))
    days_off: list[CalendarDay] = []
    make_up: list[CalendarDay] = []
    for h in holidays(year):
        if h.day not in overrides and not is_weekend(h.day):
            days_off.append(CalendarDay(day=h.day, working=False, reason=h.name, source="holiday"))
    for o in overrides.values():
        if o.kind == DayKind.off and not is_weekend(o.day):
            days_off.append(CalendarDay(day=o.day, working=False, reason=o.note or "Ngày nghỉ", source="override"))
        elif o.kind == DayKind.work and (is_weekend(o.day) or holiday_on(o.day)):
            make_up.append(CalendarDay(day=o.day, working=True, reason=o.note or "Ngày làm việc", source="override"))
    return CalendarPublic(
        year=year, days_off=sorted(days_off, key=lambda c: c.day), make_up_days=sorted(make_up, key=lambda c: c.day)
    ).model_dump(mode="json")


def _require_admin(actor: Actor) -> None:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được sửa lịch ngày làm việc.")


def list_overrides(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    rows = session.exec(select(DayOverride).order_by(DayOverride.day)).all()  # type: ignore[arg-type]
    return [
        OverridePublic(id=r.id or 0, day=r.day, kind=r.kind.value, note=r.note).model_dump(mode="json") for r in rows
    ]


def add_override(*, session: Session, actor: Actor, data: OverrideCreate) -> dict[str, Any]:
    _require_admin(actor)
    if not 1900 <= data.day.year <= 2199:
        raise ValidationFailed("Năm phải trong khoảng 1900 đến 2199.", details={"day": data.day.isoformat()})
    if session.exec(select(DayOverride).where(DayOverride.day == data.day)).first() is not None:
        raise Conflict("Ngày này đã được điều chỉnh; xóa điều chỉnh cũ trước.", details={"day": data.day.isoformat()})
    row = DayOverride(day=data.day, kind=DayKind(data.kind), note=data.note, created_by=actor.id)
    session.add(row)
    session.flush()
    fact = {"day": data.day.isoformat(), "kind": data.kind, "note": data.note}
    append(
        session,
        type="workdays.override_added",
        data=fact,
        actor_id=actor.id,
        summary=f"Lịch làm việc: {data.day.isoformat()} là " + ("ngày nghỉ" if data.kind == "off" else "ngày làm việc"),
    )
    return OverridePublic(id=row.id or 0, day=row.day, kind=row.kind.value, note=row.note).model_dump(mode="json")


def remove_override(*, session: Session, actor: Actor, override_id: int) -> None:
    _require_admin(actor)
    row = session.get(DayOverride, override_id)
    if row is None:
        raise NotFound("Không tìm thấy điều chỉnh lịch này.", details={"id": override_id})
    append(
        session,
        type="workdays.override_removed",
        data={"day": row.day.isoformat(), "kind": row.kind.value},
        actor_id=actor.id,
        summary=f"Lịch làm việc: bỏ điều chỉnh ngày {row.day.isoformat()}",
    )
    session.delete(row)


def weekday_name(d: date) -> str:
    return _WEEKDAY_VI[d.weekday()]
