"""Annotations (ghi chú) on document pages, and the presenter state of a meeting.

An Annotation belongs to one version of one document and one page; its geometry is page-relative (0..1 from
the top-left corner of the page as rendered), so it fits every image size. A private annotation
(shared = False) is its author's alone: it is never part of a meeting event, a snapshot or anyone else's
list. Shared ink (shared = True) is what a presenter draws for the whole room; it is a meeting event and is
kept for the minutes' annex. `meeting_id` is the document's meeting, copied so the annex can be listed in
one query.

PresenterState is one row per meeting while someone presents a document (the "presenter" snapshot slice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


class Annotation(SQLModel, table=True):
    __table_args__ = (Index("ix_annotation_doc_author", "document_id", "version", "author_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    document_id: int  # no foreign key: deleting a document must not fail on its notes (they become unreachable)
    version: int
    page: int  # 1-based
    author_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=16)  # ink | highlight | note
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    shared: bool = False  # presenter's ink, shown to the room
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class PresenterState(SQLModel, table=True):
    __tablename__ = "presenter_state"
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    document_id: int
    version: int
    page: int
    presenter_user_id: int = Field(foreign_key="user.id")
    presenter_name: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
