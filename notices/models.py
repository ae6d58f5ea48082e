"""Tables of conclusion notices (thông báo kết luận) and the tasks they assign.

- `conclusion_notice`: one per held meeting: drafted by the secretariat from the meeting's conclusions,
  submitted, approved by the chair (numbered, its PDF frozen), signed by the chair (issued). `due_on` is the
  5th working day after the meeting ended (workdays/): the notice should be issued by then.
- `notice_number`: the register of notice numbers (sổ đăng ký), unique per (year, number), never given twice;
  `symbol` is the ký hiệu given with the number ("TB-TTg"; "TB-VPCP" on the numbers given before 0018).
- `notice_conclusion`: the numbered conclusions of a notice (the text of the notice's body).
- `notice_file`: the PDF of an approved notice ("final") and the signed one ("signed").
- `notice_task`: a task a conclusion assigns: to a ministry / organisation unit (User.unit), what, by when.
  `overdue_notified_at` makes the overdue notice go out once.
- `task_report`: progress reported by the unit's users (percent, notes, done), append-only.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import Column, Date, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class NoticeState(str, Enum):
    draft = "draft"  # the secretariat edits it
    submitted = "submitted"  # waiting for the chair's approval
    approved = "approved"  # numbered, PDF frozen, waiting for the chair's signature
    issued = "issued"  # signed and sent


class TaskState(str, Enum):
    open = "open"
    done = "done"


class ConclusionNotice(SQLModel, table=True):
    __tablename__ = "conclusion_notice"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    state: NoticeState = NoticeState.draft
    subject: str = Field(max_length=500)
    intro: str = Field(default="", sa_column=Column(Text, nullable=False))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    number_id: int | None = Field(default=None, foreign_key="notice_number.id")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    submitted_at: datetime | None = Field(default=None, sa_column=_ts(True))
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    approved_at: datetime | None = Field(default=None, sa_column=_ts(True))
    issued_by: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime | None = Field(default=None, sa_column=_ts(True))


class NoticeNumber(SQLModel, table=True):
    __tablename__ = "notice_number"
    __table_args__ = (UniqueConstraint("year", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    number: int
    meeting_id: int = Field(foreign_key="meeting.id")
    allocated_by: int | None = Field(default=None, foreign_key="user.id")
    allocated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    symbol: str = Field(default="TB-TTg", max_length=20)  # notices/shapes.py: SYMBOL


class NoticeConclusion(SQLModel, table=True):
    __tablename__ = "notice_conclusion"
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="conclusion_notice.id", index=True)
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))


class NoticeFile(SQLModel, table=True):
    __tablename__ = "notice_file"
    __table_args__ = (UniqueConstraint("notice_id", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="conclusion_notice.id", index=True)
    step: str = Field(max_length=16)  # "final" | "signed"
    sha256: str = Field(max_length=64, index=True)  # the public check looks files up by it (migration 0027)
    size_bytes: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class NoticeTask(SQLModel, table=True):
    __tablename__ = "notice_task"
    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="conclusion_notice.id", index=True)
    conclusion_id: int | None = Field(default=None, foreign_key="notice_conclusion.id")
    unit: str = Field(max_length=200, index=True)
    what: str = Field(sa_column=Column(Text, nullable=False))
    deadline: date = Field(sa_column=Column(Date, nullable=False))
    state: TaskState = TaskState.open
    percent: int = 0
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    done_at: datetime | None = Field(default=None, sa_column=_ts(True))
    overdue_notified_at: datetime | None = Field(default=None, sa_column=_ts(True))


class TaskReport(SQLModel, table=True):
    __tablename__ = "task_report"
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="notice_task.id", index=True)
    user_id: int = Field(foreign_key="user.id")
    percent: int
    note: str = Field(default="", sa_column=Column(Text, nullable=False))
    done: bool = False
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
