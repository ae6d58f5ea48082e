from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import realnow


class AuditEntry(SQLModel, table=True):
    """One state change. `hash` = SHA-256 over this row's content and the previous row's hash, so changing,
    inserting or deleting any row by hand breaks the chain from that row on; `mac` = HMAC-SHA256 of `hash`
    with a key kept outside the database, so whoever holds only the database cannot recompute the chain
    after a change (ledger/keys.py). Meeting events are not copied here: `data_hash` is the SHA-256 of the
    stored event's data, so editing the event log is caught too. `data` holds a canonical copy only for the
    facts the verifier compares the stored state with (roles, vote results: audit/facts.py), never a choice."""

    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=realnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    actor_id: int | None = Field(default=None, index=True)
    meeting_id: int | None = Field(default=None, index=True)
    event_seq: int | None = None
    type: str = Field(max_length=64)
    summary: str = Field(default="", max_length=500)
    data_hash: str = Field(max_length=64)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # Null only on rows written before the key existed (legacy: covered by the 'audit.anchored' row after them).
    mac: str | None = Field(default=None, max_length=64)
