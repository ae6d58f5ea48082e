from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = True) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class MeetingKind(str, Enum):
    regular = "regular"  # thường kỳ
    thematic = "thematic"  # chuyên đề
    extraordinary = "extraordinary"  # bất thường


class MeetingMode(str, Enum):
    in_room = "in_room"
    remote = "remote"
    hybrid = "hybrid"


class MeetingState(str, Enum):
    draft = "draft"
    published = "published"
    started = "started"
    ended = "ended"


class ItemState(str, Enum):
    pending = "pending"
    current = "current"
    done = "done"


class MeetingRole(str, Enum):
    chair = "chair"  # Chủ trì / Chủ tọa
    secretary = "secretary"  # Thư ký
    member = "member"  # Thành viên
    guest = "guest"  # Khách mời


VOTING_ROLES = (MeetingRole.chair, MeetingRole.member)


class Attendance(str, Enum):
    unknown = "unknown"  # chưa điểm danh
    present_room = "present_room"  # có mặt tại phòng họp
    present_remote = "present_remote"  # tham dự trực tuyến
    absent = "absent"  # vắng mặt (có lý do)
    deputy = "deputy"  # đại biểu dự thay


PRESENT = (Attendance.present_room, Attendance.present_remote)


class AttendanceSource(str, Enum):
    """How an attendance change came about (kept in the history; the minutes rest on it)."""

    check_in = "check_in"  # the participant checked in (tablet or remote page)
    video_join = "video_join"  # joined by video from outside the room
    video_leave = "video_leave"  # left the video, or the chair ended their remote session
    video_lost = "video_lost"  # the connection dropped and did not come back within the grace period
    correction = "correction"  # the secretariat corrected it
    deputy = "deputy"  # the secretariat recorded a deputy attending instead
    migrated = "migrated"  # recorded before the history was kept


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    kind: MeetingKind = MeetingKind.regular
    mode: MeetingMode = MeetingMode.in_room
    place: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    scheduled_at: datetime | None = Field(default=None, sa_column=_ts())
    state: MeetingState = MeetingState.draft
    current_item_id: int | None = None
    started_at: datetime | None = Field(default=None, sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts())
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    # Sequence number of the last event of this meeting (the live protocol's 'seq').
    last_seq: int = 0
    access_seq: int = 0  # seq of the last event that changed who may see what (meetings/events.py)


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    position: int
    title: str = Field(max_length=500)
    presenter: str = Field(default="", max_length=300)  # cơ quan trình
    planned_minutes: int = 15
    notes: str = Field(default="", max_length=4000)
    state: ItemState = ItemState.pending
    # Time per speech on this item; None = the organisation's default (OrgRules.speech_limit_seconds).
    speech_limit_seconds: int | None = None


class Participant(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: MeetingRole = MeetingRole.member
    attendance: Attendance = Attendance.unknown
    absence_reason: str = Field(default="", max_length=500)
    deputy_name: str = Field(default="", max_length=200)
    attendance_at: datetime | None = Field(default=None, sa_column=_ts())
    attendance_by: int | None = Field(default=None, foreign_key="user.id")
    # Who they were at the meeting: name, chức vụ and unit as their account read when it ended (end_meeting in
    # meetings/services.py), so that minutes generated later print them as they were, not as renamed, promoted or
    # moved since. None: not frozen (the meeting is still live, or its rows were written outside the services): the
    # account row stands.
    name_at_end: str | None = Field(default=None, max_length=200)
    title_at_end: str | None = Field(default=None, max_length=200)
    unit_at_end: str | None = Field(default=None, max_length=200)


class AttendanceChange(SQLModel, table=True):
    """One change of a participant's attendance: from `previous` to `attendance` at `at`, by whom and how.
    Rows are only ever added; the participant row holds the latest state, these hold how it got there."""

    __tablename__ = "attendance_change"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    previous: Attendance
    attendance: Attendance
    note: str = Field(default="", max_length=500)  # the reason of an absence or the deputy's name
    source: AttendanceSource
    actor_id: int | None = Field(default=None, foreign_key="user.id")
