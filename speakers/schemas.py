"""Request and response shapes of the speaker queue (inputs refuse unknown fields)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, field_serializer

from core.clock import iso
from core.types import Id
from meetings.models import MeetingRole
from speakers.models import SpeakerState

_strict = ConfigDict(extra="forbid")


class SpeakRequest(BaseModel):
    """POST /api/meetings/{id}/speakers: {} asks to speak for oneself; {user_id} (chair) gives the floor."""

    model_config = _strict
    user_id: Id | None = None


class SpeakerPublic(BaseModel):
    id: int
    meeting_id: int
    agenda_item_id: int
    user_id: int
    full_name: str
    title: str
    role: MeetingRole | None
    deputy_name: str
    state: SpeakerState
    direct: bool
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    limit_seconds: int | None

    @field_serializer("requested_at", "started_at", "ended_at")
    def _dt(self, value: datetime | None) -> str | None:
        return iso(value)


# --- socket payloads -----------------------------------------------------------------------------------


class MeetingSpeak(BaseModel):
    model_config = _strict
    meeting_id: Id
    user_id: Id | None = None


class RequestRef(BaseModel):
    model_config = _strict
    request_id: Id


class SpeakersSlice(BaseModel):
    """The "speakers" snapshot slice (GET /api/meetings/{id}/speakers answers the same)."""

    agenda_item_id: int | None
    queue: list[SpeakerPublic]
    current: SpeakerPublic | None
    done: list[SpeakerPublic]
