from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import Day, Line


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: Day
    kind: Literal["off", "work"]
    note: Line = Field(default="", max_length=200)


class OverridePublic(BaseModel):
    id: int
    day: date = Field(json_schema_extra={"maxLength": 10})  # YYYY-MM-DD
    kind: str
    note: str


class CalendarDay(BaseModel):
    day: date = Field(json_schema_extra={"maxLength": 10})  # YYYY-MM-DD
    working: bool
    reason: str  # the holiday's name, "Thứ Bảy"/"Chủ nhật", the admin's note, or "" for an ordinary working day
    source: Literal["weekend", "holiday", "override", "workday"]


class CalendarPublic(BaseModel):
    year: int
    days_off: list[CalendarDay]  # weekdays that are not working days (holidays, overrides)
    make_up_days: list[CalendarDay]  # weekend days that are working days (overrides)
