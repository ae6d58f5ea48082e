"""Shapes of client -> server socket events (unknown fields and wrong types are refused)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from meetings.models import Attendance


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeetingRef(_Strict):
    meeting_id: int = Field(ge=1, strict=True)


class SyncRequest(MeetingRef):
    since: int = Field(ge=0, strict=True)


class ItemRef(MeetingRef):
    item_id: int = Field(ge=1, strict=True)


class CheckIn(MeetingRef):
    attendance: Attendance = Attendance.present_room
