"""Request and response shapes of the meetings API (inputs refuse unknown fields)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_serializer
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # SQLModel's own config type (a pydantic ConfigDict with `table`)

from core.clock import iso
from core.types import Flag, Id, Int, Line, Moment, Name, Para
from meetings.models import Attendance, AttendanceSource, ItemState, MeetingKind, MeetingMode, MeetingRole, MeetingState

_strict = SQLModelConfig(extra="forbid")


class StartRequest(SQLModel):
    """POST /api/meetings/{id}/start: force=true starts without quorum (after the conductor confirmed)."""

    model_config = _strict
    force: Flag = False


class MeetingCreate(SQLModel):
    model_config = _strict
    title: Line = Field(min_length=3, max_length=300)
    kind: MeetingKind = MeetingKind.regular
    mode: MeetingMode = MeetingMode.in_room
    place: Line = Field(default="", max_length=300)
    description: Para = Field(default="", max_length=4000)
    scheduled_at: Moment | None = None


class MeetingUpdate(SQLModel):
    """PATCH: an absent field stays; null is refused (422) except where the value may be empty (scheduled_at)."""

    model_config = _strict
    title: Line = Field(default=None, min_length=3, max_length=300)  # type: ignore[assignment]
    kind: MeetingKind = None  # type: ignore[assignment]
    mode: MeetingMode = None  # type: ignore[assignment]
    place: Line = Field(default=None, max_length=300)  # type: ignore[assignment]
    description: Para = Field(default=None, max_length=4000)  # type: ignore[assignment]
    scheduled_at: Moment | None = None


class MeetingPublic(SQLModel):
    id: int
    title: str
    kind: MeetingKind
    mode: MeetingMode
    place: str
    description: str
    scheduled_at: datetime | None
    state: MeetingState
    current_item_id: int | None
    started_at: datetime | None
    ended_at: datetime | None
    my_role: MeetingRole | None = None

    @field_serializer("scheduled_at", "started_at", "ended_at")
    def _dt(self, value: datetime | None) -> str | None:
        return iso(value)


class AgendaItemCreate(SQLModel):
    model_config = _strict
    title: Line = Field(min_length=3, max_length=500)
    presenter: Name = Field(default="", max_length=300)
    planned_minutes: Int(1, 600) = 15  # type: ignore[valid-type]
    notes: Para = Field(default="", max_length=4000)
    position: Int(1, 100_000) | None = None  # type: ignore[valid-type]
    speech_limit_seconds: Int(30, 3600) | None = None  # type: ignore[valid-type]


class AgendaItemUpdate(SQLModel):
    model_config = _strict
    title: Line = Field(default=None, min_length=3, max_length=500)  # type: ignore[assignment]
    presenter: Name = Field(default=None, max_length=300)  # type: ignore[assignment]
    planned_minutes: Int(1, 600) = None  # type: ignore[valid-type]
    notes: Para = Field(default=None, max_length=4000)  # type: ignore[assignment]
    speech_limit_seconds: Int(30, 3600) | None = None  # type: ignore[valid-type]


class AgendaItemPublic(SQLModel):
    id: int
    position: int
    title: str
    presenter: str
    planned_minutes: int
    notes: str
    state: ItemState
    speech_limit_seconds: int | None = None


class ReorderRequest(SQLModel):
    model_config = _strict
    item_ids: list[Id] = Field(min_length=1, max_length=500)


class ParticipantCreate(SQLModel):
    model_config = _strict
    user_id: Id
    role: MeetingRole = MeetingRole.member


class ParticipantUpdate(SQLModel):
    model_config = _strict
    role: MeetingRole = None  # type: ignore[assignment]
    attendance: Attendance = None  # type: ignore[assignment]
    absence_reason: Para = Field(default=None, max_length=500)  # type: ignore[assignment]
    deputy_name: Name = Field(default=None, max_length=200)  # type: ignore[assignment]


class CheckInRequest(SQLModel):
    model_config = _strict
    # A member checks themself in; remote presence is set by the video join (a later issue) or staff.
    attendance: Attendance = Attendance.present_room


class ParticipantPublic(SQLModel):
    user_id: int
    full_name: str
    title: str
    unit: str
    role: MeetingRole
    attendance: Attendance
    absence_reason: str
    deputy_name: str
    attendance_at: datetime | None

    @field_serializer("attendance_at")
    def _dt(self, value: datetime | None) -> str | None:
        return iso(value)


class AttendanceChangePublic(SQLModel):
    """One row of a participant's attendance history (GET /api/meetings/{id}/attendance/history)."""

    user_id: int
    full_name: str
    at: datetime
    previous: Attendance
    attendance: Attendance
    note: str
    source: AttendanceSource
    by: int | None

    @field_serializer("at")
    def _at(self, value: datetime) -> str | None:
        return iso(value)


class Quorum(SQLModel):
    total: int  # all members with a vote (chair + members), present or not
    present: int  # present in the room or remotely
    required: int  # smallest number present that satisfies the rule
    reached: bool
