"""Shapes of client -> server socket events (unknown fields and wrong types are refused)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.types import Flag, Id, MAX_ID
from meetings.models import Attendance
from web.sockets import MeetingRef as MeetingRef  # shared with the domains' socket modules


class StartMeeting(MeetingRef):
    force: Flag = False  # start without quorum (the conductor confirmed)


class SyncRequest(MeetingRef):
    # Int(0, MAX_ID) spelled out: mypy reads no call as a type
    since: Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]


class ItemRef(MeetingRef):
    item_id: Id


class CheckIn(MeetingRef):
    attendance: Attendance = Attendance.present_room
