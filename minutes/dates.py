"""Dates and times as the minutes (and the conclusion notices) write them, on the organisation's wall clock (the
`tz` given: ECABINET_TIMEZONE): 'ngày 03 tháng 12 năm 2026', '08 giờ 00, ngày ...', '08:05'."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from core.clock import DEFAULT_TIMEZONE, local as _local


def local(moment: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> datetime:
    return _local(moment, tz)


def vn_date(moment: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    m = local(moment, tz)
    return f"ngày {m.day:02d} tháng {m.month:02d} năm {m.year}"


def vn_datetime(moment: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """'08 giờ 00, ngày 03 tháng 12 năm 2026'"""
    m = local(moment, tz)
    return f"{m.hour:02d} giờ {m.minute:02d}, {vn_date(moment, tz)}"


def hm(moment: datetime | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    return local(moment, tz).strftime("%H:%M") if moment else "…"


def hm_on(moment: datetime | None, day: date | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """'08:05' on the meeting's `day`; '00:10 ngày 01/01/2027' on any other (a session that runs past midnight)."""
    if moment is None:
        return "…"
    m = local(moment, tz)
    return m.strftime("%H:%M") + ("" if day is None or m.date() == day else f" ngày {m:%d/%m/%Y}")


def day_of(moment: datetime | None, tz: str | tzinfo = DEFAULT_TIMEZONE) -> date | None:
    """The meeting's day on the organisation's clock (its start): times on another day carry their date."""
    return local(moment, tz).date() if moment else None
