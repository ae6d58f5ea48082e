"""Request and answer shapes of /api/notices and /api/tasks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.types import Day, Flag, Id, Int, Line, Para, Secret


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    meeting_id: Id


ConclusionText = Annotated[Para, Field(min_length=1, max_length=20_000)]


class NoticeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Line | None = Field(default=None, min_length=1, max_length=500)
    intro: Para | None = Field(default=None, max_length=10_000)
    conclusions: list[ConclusionText] | None = Field(default=None, max_length=100, description="the texts, in order")


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    conclusion_id: Id | None = None
    unit: Line = Field(min_length=1, max_length=200, description="the ministry / organisation unit (as in users' unit)")
    what: Para = Field(min_length=1, max_length=4000)
    deadline: date = Field(description="YYYY-MM-DD, not in the past", json_schema_extra={"maxLength": 10})

    @field_validator("deadline", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError("ngày dạng YYYY-MM-DD")
        return value

    @field_validator("deadline")
    @classmethod
    def _range(cls, value: date) -> date:
        if not 2000 <= value.year <= 2999:
            raise ValueError("năm từ 2000 đến 2999")
        return value


def _deadline(value: object) -> object:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("ngày dạng YYYY-MM-DD")
    return value


def _deadline_range(value: date | None) -> date | None:
    if value is not None and not 2000 <= value.year <= 2999:
        raise ValueError("năm từ 2000 đến 2999")
    return value


class TaskUpdate(BaseModel):
    """Corrections of a task while its notice is a draft (what is left out stays)."""

    model_config = ConfigDict(extra="forbid")
    unit: Line | None = Field(default=None, min_length=1, max_length=200)
    what: Para | None = Field(default=None, min_length=1, max_length=4000)
    deadline: Day | None = Field(default=None, description="YYYY-MM-DD")

    _range = field_validator("deadline")(_deadline_range)


class TaskExtend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deadline: date = Field(description="YYYY-MM-DD, later than the current one", json_schema_extra={"maxLength": 10})
    reason: Line = Field(min_length=1, max_length=1000)

    _iso = field_validator("deadline", mode="before")(_deadline)
    _range = field_validator("deadline")(_deadline_range)


class TaskReassign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Line = Field(min_length=1, max_length=200)
    reason: Line = Field(min_length=1, max_length=1000)


class SignNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Secret = Field(min_length=1, max_length=256)


class TaskReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    percent: Int(0, 100) = 0  # type: ignore[valid-type]
    note: Para = Field(default="", max_length=4000)
    done: Flag = False


class TaskQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    state: Literal["open", "done", "late", "overdue", "done_late"] | None = None


class TaskPublic(BaseModel):
    id: int
    notice_id: int
    conclusion_id: int | None
    unit: str
    what: str
    deadline: str
    state: Literal["open", "done"]
    percent: int
    late: bool  # past the due day: overdue now, or done after it
    overdue: bool  # open and past the due day
    done_late: bool  # done after the end of the due day (organisation's clock): hoàn thành quá hạn
    done_at: str | None
    updated_at: str


class NoticeConclusionPublic(BaseModel):
    id: int
    position: int
    text: str


class NoticePublic(BaseModel):
    id: int
    meeting_id: int
    meeting_title: str
    state: Literal["draft", "submitted", "approved", "issued"]
    number: str | None
    subject: str
    intro: str
    conclusions: list[NoticeConclusionPublic]
    tasks: list[TaskPublic]
    due_on: str
    working_days_left: int | None
    at_risk: bool
    late: bool
    issued_on_time: bool | None
    created_at: str
    approved_at: str | None
    issued_at: str | None
    pdf_url: str
    can_edit: bool
    is_chair: bool


class ReportPublic(BaseModel):
    id: int
    user_id: int
    percent: int
    note: str
    done: bool
    at: str


class DashboardTasks(BaseModel):
    open: list[TaskPublic]
    due_soon: list[TaskPublic]
    late: list[TaskPublic]
    done: list[TaskPublic]


class DashboardCounts(BaseModel):
    notices_open: int
    notices_at_risk: int
    tasks_open: int
    tasks_late: int
    tasks_done: int = 0
    tasks_done_late: int = 0  # done after their due day (hoàn thành quá hạn)


class Dashboard(BaseModel):
    today: str
    my_unit: str | None
    notices: list[NoticePublic]
    tasks: DashboardTasks
    counts: DashboardCounts
