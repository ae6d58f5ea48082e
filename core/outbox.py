"""The outbox: after-commit work recorded by the service, in the service's own transaction.

A service that needs something done once its change is committed (refresh a vote's tally, scrub a secret
vote, render an uploaded document's pages, tell an author's other tablets about a private note) calls
`add`. The row commits or rolls back with the change, so no caller of the service can forget the work and
no crash can lose it: infra/outbox.py runs the jobs after COMMIT, at start-up every job still pending, and on
every node, every job left behind by a node that died or whose retries ran out (`stale_keys`).

Jobs with the same (kind, ref) are coalesced: one run handles all of them (e.g. 200 casts, one tally).
A run first `claim`s the jobs nobody holds, in one short write transaction (PostgreSQL: SELECT … FOR UPDATE
SKIP LOCKED, then the claim; SQLite: its one writer), so two nodes never run the same job at once. The claim
is a lease (`claimed_until`) renewed while the run lasts; a failed run sets it to its back-off instead and
counts the failure (`attempts`). A job may run more than once (a crash between running and deleting it, a
lease that lapsed): handlers are idempotent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, Column, DateTime, Index, delete, or_, update
from sqlmodel import Field, Session, SQLModel, col, select

from core.clock import as_utc, utcnow

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
    # Nobody else starts this job before: the lease of the run holding it, or the back-off after a failed run.
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    attempts: int = 0  # failed runs so far (the back-off grows with them)


class Claimed(NamedTuple):
    id: int
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


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


def _free(now: datetime) -> Any:
    return or_(col(OutboxJob.claimed_until).is_(None), col(OutboxJob.claimed_until) <= now)


def claim(*, session: Session, kind: str, ref: str, now: datetime, until: datetime) -> list[Claimed]:
    """The jobs of (kind, ref) that nobody holds, now held by the caller until `until` (in a write transaction).
    PostgreSQL: rows another claim has locked are skipped, and one it has just claimed no longer matches when
    read again; SQLite: the write transaction is the database's only one."""
    rows = session.execute(
        select(OutboxJob.id, OutboxJob.payload, OutboxJob.attempts, OutboxJob.created_at)
        .where(OutboxJob.kind == kind, OutboxJob.ref == ref, _free(now))
        .order_by(col(OutboxJob.id))
        .with_for_update(skip_locked=True)  # nothing on SQLite
    ).all()
    if rows:
        _set(session, [r[0] for r in rows], claimed_until=until)
    return [Claimed(r[0], r[1], r[2], as_utc(r[3])) for r in rows]


def hold(*, session: Session, ids: list[int], until: datetime) -> None:
    """A run that is still going renews its lease."""
    _set(session, ids, claimed_until=until)


def failed(*, session: Session, ids: list[int], attempts: int, until: datetime) -> None:
    """A failed run: nobody tries these jobs again before `until` (its back-off)."""
    _set(session, ids, claimed_until=until, attempts=attempts)


def release(*, session: Session, ids: list[int] | None = None) -> None:
    """Held by nobody (a run cancelled at shutdown; None: every job, at the start of a single-node SQLite)."""
    where = [] if ids is None else [col(OutboxJob.id).in_(ids)]
    session.execute(update(OutboxJob).where(*where).values(claimed_until=None))


def _set(session: Session, ids: list[int], **values: Any) -> None:
    session.execute(update(OutboxJob).where(col(OutboxJob.id).in_(ids)).values(**values))


def stale_keys(*, session: Session, kinds: list[str], due_before: datetime, free_before: datetime) -> list[Key]:
    """Keys of `kinds` with a job recorded before `due_before` whose claim (if any) ended before `free_before`:
    its node died before running it or while running it, or its retries ran out and its back-off is over."""
    rows = session.execute(
        select(OutboxJob.kind, OutboxJob.ref)
        .where(col(OutboxJob.kind).in_(kinds), col(OutboxJob.created_at) <= due_before, _free(free_before))
        .distinct()
    ).all()
    return [(k, r) for k, r in rows]


def done(*, session: Session, ids: list[int]) -> None:
    session.execute(delete(OutboxJob).where(OutboxJob.id.in_(ids)))  # type: ignore[union-attr]
