"""Tables of conclusions (kết luận) and minutes (biên bản).

- `conclusion`: one row per agenda item: the draft text as typed (autosaved with a revision number for
  optimistic concurrency) and, separately, the text last published to the room display.
- `minutes_edit`: the secretariat's text for one section of the draft minutes (a stable section key); it
  replaces that section's generated text only, so every other section still follows the event log.
- `minutes_version`: a frozen version (finalised, then signed by the secretary, then by the chair). A
  correction supersedes it and opens a new draft; the signed files of old versions are kept.
- `minutes_number`: the organisation's register of minutes numbers (sổ đăng ký biên bản): one row per number
  ever given, unique per (year, number), never deleted, so a number is never given twice.
- `minutes_file`: the PDF bytes of a version at each step (final, signed by the secretary, signed by both),
  in the database so state and file commit together; `sha256` names the bytes.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import Column, DateTime, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class Conclusion(SQLModel, table=True):
    agenda_item_id: int = Field(primary_key=True)  # no FK: like documents, outlives a deleted item
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    revision: int = 0
    published_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    published_revision: int | None = None
    published_at: datetime | None = Field(default=None, sa_column=_ts(True))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class MinutesEdit(SQLModel, table=True):
    __tablename__ = "minutes_edit"
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    section_key: str = Field(primary_key=True, max_length=64)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class MinutesState(str, Enum):
    final = "final"  # frozen, waiting for the secretary's signature
    secretary_signed = "secretary_signed"  # waiting for the chair's signature
    signed = "signed"  # both signed: the minutes
    # (a superseded version keeps its state; `superseded_at` says a correction replaced it)


class MinutesNumber(SQLModel, table=True):
    """One entry of the register: number `number` of `year` (the organisation's calendar year at finalisation)
    went to the minutes of `meeting_id`, first in version `first_version`. See minutes/register.py."""

    __tablename__ = "minutes_number"
    __table_args__ = (UniqueConstraint("year", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    number: int
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    first_version: int
    allocated_by: int | None = Field(default=None, foreign_key="user.id")
    allocated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class MinutesVersion(SQLModel, table=True):
    __tablename__ = "minutes_version"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    version: int
    state: MinutesState = MinutesState.final
    # The sections as frozen (JSON text of [{key, effective}]): what the PDF says, for the record.
    content: str = Field(default="", sa_column=Column(Text, nullable=False))
    finalised_by: int | None = Field(default=None, foreign_key="user.id")
    finalised_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    secretary_id: int | None = Field(default=None, foreign_key="user.id")
    secretary_signed_at: datetime | None = Field(default=None, sa_column=_ts(True))
    chair_id: int | None = Field(default=None, foreign_key="user.id")
    chair_signed_at: datetime | None = Field(default=None, sa_column=_ts(True))
    superseded_at: datetime | None = Field(default=None, sa_column=_ts(True))
    superseded_by: int | None = Field(default=None, foreign_key="user.id")
    number_id: int | None = Field(default=None, foreign_key="minutes_number.id")  # the register entry it carries


class MinutesFile(SQLModel, table=True):
    __tablename__ = "minutes_file"
    __table_args__ = (UniqueConstraint("version_id", "step"),)
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="minutes_version.id", index=True)
    step: str = Field(max_length=32)  # the PDF at "final", "secretary", "chair"; "docx" (kept at finalisation)
    sha256: str = Field(max_length=64, index=True)  # the public check looks files up by it (migration 0027)
    size_bytes: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
