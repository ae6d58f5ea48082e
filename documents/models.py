"""Documents (tài liệu) of a meeting: the logical document, its versions, who may read a restricted one, and
the text of every page of every version (folded for diacritics-insensitive search).

A document keeps its id across versions: a new upload with `replaces_document_id` adds a DocumentVersion and
moves `current_version`; older versions stay readable as history. `agenda_item_id` has no foreign key on
purpose: deleting an agenda item leaves its documents attached to the meeting instead of failing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts() -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=False)


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int | None = Field(default=None, index=True)
    title: str = Field(max_length=500)
    position: int = 0
    restricted: bool = False  # tài liệu hạn chế: only DocumentAccess users (and the secretariat) read it
    share_with_guests: bool = False
    current_version: int = 1
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DocumentVersion(SQLModel, table=True):
    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    version: int
    sha256: str = Field(max_length=64, index=True)  # the served PDF in the content-addressed store
    page_count: int
    size_bytes: int
    source_name: str = Field(default="", max_length=300)  # the uploaded file's name
    source_kind: str = Field(default="pdf", max_length=16)  # pdf | docx | odt | xlsx | ...
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DocumentAccess(SQLModel, table=True):
    __tablename__ = "document_access"
    document_id: int = Field(foreign_key="document.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class DocumentPage(SQLModel, table=True):
    __tablename__ = "document_page"
    version_id: int = Field(foreign_key="document_version.id", primary_key=True)
    page: int = Field(primary_key=True)  # 1-based
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    folded: str = Field(default="", sa_column=Column(Text, nullable=False))
