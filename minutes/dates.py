"""Dates and times as the minutes (and the conclusion notices) write them, on the organisation's wall clock (the
`tz` given: ECABINET_TIMEZONE): 'ngày 03 tháng 12 năm 2026', '08 giờ 00, ngày ...', '08:05'."""

from __future__ import annotations

from datetime import datetime, tzinfo

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
