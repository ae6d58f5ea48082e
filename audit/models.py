from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One state change. `hash` = SHA-256 over this row's content and the previous row's hash, so changing,
    inserting or deleting any row by hand breaks the chain from that row on. Meeting events are not copied
    here: `data_hash` is the SHA-256 of the stored event's data, so editing the event log is caught too."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: int | None = Field(default=None, index=True)
    meeting_id: int | None = Field(default=None, index=True)
    event_seq: int | None = None
    type: str = Field(max_length=64)
    summary: str = Field(default="", max_length=500)
    data_hash: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
