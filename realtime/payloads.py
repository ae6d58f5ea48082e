"""Shapes of client -> server socket events (unknown fields and wrong types are refused)."""

from __future__ import annotations

from core.types import Flag, Id, Int, MAX_ID
from meetings.models import Attendance
from web.sockets import MeetingRef as MeetingRef  # shared with the domains' socket modules


class StartMeeting(MeetingRef):
    force: Flag = False  # start without quorum (the conductor confirmed)


class SyncRequest(MeetingRef):
    since: Int(0, MAX_ID)


class ItemRef(MeetingRef):
    item_id: Id


class CheckIn(MeetingRef):
    attendance: Attendance = Attendance.present_room
