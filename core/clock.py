"""One place for 'now', for the UTC conventions (SQLite forgets tzinfo; we store UTC) and for the organisation's
time zone: every page, PDF, DOCX and script shows times in the zone named by ECABINET_TIMEZONE (Settings.timezone),
converted here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"  # Việt Nam: UTC+7 all year, no DST


_SHIFT: ContextVar[timedelta | None] = ContextVar("ecabinet_clock_shift", default=None)


def realnow() -> datetime:
    """The machine's clock, whatever `held_at`: when a row is written to the audit log and its checkpoints (the
    log records when the server wrote, not the moment a record speaks of)."""
    return datetime.now(timezone.utc)


def utcnow() -> datetime:
    now = datetime.now(timezone.utc)
    shift = _SHIFT.get()
    return now if shift is None else now + shift


@contextmanager
def held_at(moment: datetime) -> Iterator[Callable[[timedelta], None]]:
    """Only for the demo loader: 'now' runs from `moment` while the block lasts (a past meeting recorded as it went,
    on its own day: its minutes and notice date it so). Yields `advance(delta)`: the clock moves on by `delta`
    (the time an agenda item took). The server never enters it."""
    token = _SHIFT.set(as_utc(moment) - datetime.now(timezone.utc))

    def advance(delta: timedelta) -> None:
        current = _SHIFT.get()
        _SHIFT.set((current or timedelta(0)) + delta)

    try:
        yield advance
    finally:
        _SHIFT.reset(token)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


@lru_cache(maxsize=16)
def zone(name: str = DEFAULT_TIMEZONE) -> tzinfo:
    """The IANA zone `name`; ValueError for a name the tz database does not know (checked at startup)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (ECABINET_TIMEZONE)") from exc


def local(value: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> datetime:
    """A moment (naive = UTC) on the organisation's wall clock."""
    return as_utc(value).astimezone(zone(tz) if isinstance(tz, str) else tz)


def pdf_date(value: datetime, tz: str | tzinfo = DEFAULT_TIMEZONE) -> str:
    """A PDF date string on the organisation's clock, with its offset: D:20261203174500+07'00'."""
    m = local(value, tz)
    offset = m.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return m.strftime("D:%Y%m%d%H%M%S") + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
