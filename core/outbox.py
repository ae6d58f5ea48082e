"""The outbox: after-commit work recorded by the service, in the service's own transaction.

A service that needs something done once its change is committed (refresh a vote's tally, scrub a secret
vote, render an uploaded document's pages, tell an author's other tablets about a private note) calls
`add`. The row commits or rolls back with the change, so no caller of the service can forget the work and
no crash can lose it: infra/outbox.py runs the jobs after COMMIT and, at start-up, every job still pending.

Jobs with the same (kind, ref) are coalesced: one run handles all of them (e.g. 200 casts, one tally).
A job may run more than once (a crash between running and deleting it): handlers are idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, delete
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import utcnow

_KEYS = "ecabinet_outbox_jobs"
Key = tuple[str, str]


class OutboxJob(SQLModel, table=True):
    __tablename__ = "outbox_job"
    __table_args__ = (Index("ix_outbox_job_kind_ref", "kind", "ref"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    ref: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


def add(session: Session, *, kind: str, ref: str | int, payload: dict[str, Any] | None = None) -> None:
    session.add(OutboxJob(kind=kind, ref=str(ref), payload=payload or {}))
    session.info.setdefault(_KEYS, set()).add((kind, str(ref)))


def take_keys(session: Session) -> set[Key]:
    """The (kind, ref) pairs this transaction added: the dispatcher's cue after COMMIT."""
    keys: set[Key] = session.info.pop(_KEYS, set())  # Session.info is a dict[Any, Any]
    return keys


def pending(*, session: Session, kind: str, ref: str) -> list[tuple[int, dict[str, Any]]]:
    rows = session.exec(
        select(OutboxJob).where(OutboxJob.kind == kind, OutboxJob.ref == ref).order_by(col(OutboxJob.id))
    ).all()
    return [(r.id or 0, r.payload) for r in rows]


def all_keys(*, session: Session) -> list[Key]:
    return [(k, r) for k, r in session.exec(select(OutboxJob.kind, OutboxJob.ref).distinct()).all()]


def done(*, session: Session, ids: list[int]) -> None:
    session.execute(delete(OutboxJob).where(OutboxJob.id.in_(ids)))  # type: ignore[union-attr]
