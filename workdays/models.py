"""The admin's corrections to the legal calendar for one organisation: a day off the law does not give (the
Government's extra day around Tết, a swapped day) or a working day the law would not have (a Saturday worked
to make up for it)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import Column, Date, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class DayKind(str, Enum):
    off = "off"  # ngày nghỉ
    work = "work"  # ngày làm việc (làm bù)


class DayOverride(SQLModel, table=True):
    __tablename__ = "workday_override"
    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=Column(Date, nullable=False, unique=True))
    kind: DayKind
    note: str = Field(default="", max_length=200)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
