"""Issued files whose row the domain overwrites or drops when it replaces them, kept by SHA-256 for the public check
(minutes/issued.py): a voter's signed answer sheet replaced by a later answer (polls/answering.py), an approved
notice's frozen PDF dropped when the chair returns it to the secretariat (notices/services.py). The check then says
the file was issued and later replaced, and when, never that it is not the server's nor that it is current.
(A corrected minutes version keeps its rows: `minutes_version.superseded_at` says the same.)"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, Session, SQLModel

from core.clock import utcnow


class ReplacedFile(SQLModel, table=True):
    __tablename__ = "replaced_file"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)  # "poll_sheet" | "notice"
    ref_id: int  # the poll (poll_sheet), the notice (notice)
    user_id: int | None = Field(default=None, foreign_key="user.id")  # the voter whose sheet it was
    issued_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    replaced_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def record(
    session: Session,
    *,
    kind: str,
    sha256: str,
    ref_id: int,
    user_id: int | None = None,
    issued_at: datetime | None = None,
    replaced_at: datetime | None = None,
) -> None:
    """In the writer's transaction, before the row naming `sha256` is overwritten or deleted."""
    session.add(
        ReplacedFile(
            sha256=sha256,
            kind=kind,
            ref_id=ref_id,
            user_id=user_id,
            issued_at=issued_at,
            replaced_at=replaced_at or utcnow(),
        )
    )
