"""Adopting the state as found into the log: each fact written once, as a stored state fact with no actor. All of
it when the chain gets its first key (audit/facts.py adopt_all); the kinds logged only since an upgrade, once, at
the next start (adopt_if_new in audit/minutes_facts.py and audit/session_facts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from ledger.chain import KEYS, append
from ledger.models import AuditEntry

Found = list[tuple[str, dict[str, Any]]]  # (entry type, fact)


def record(session: Session, found: Found, summary_of: Callable[[str, dict[str, Any]], str]) -> int:
    """Each fact, in order, as a stored state fact of its meeting (if any), without an actor; how many. Also the
    changes every flush makes (audit/facts.py on_flush)."""
    for type_, fact in found:
        append(
            session,
            type=type_,
            data=fact,
            actor_id=None,
            stored=True,
            meeting_id=fact.get("meeting_id"),
            summary=summary_of(type_, fact),
        )
    return len(found)


def adopt_once(
    session: Session,
    *,
    kinds: tuple[str, ...],
    found: Callable[[Session], Found],
    summary_of: Callable[[str, dict[str, Any]], str],
    marker: str,
    marker_data: dict[str, Any],
    marker_summary: str,
) -> int:
    """An upgraded log's adoption of `kinds`: the facts found, then a `marker` entry, only when the log already
    records state (else adopt_all adopts everything when it first does) and has neither `kinds` nor `marker`
    yet; how many facts (0: nothing to do)."""
    if KEYS not in session.info:
        return 0
    if session.exec(select(AuditEntry.id).where(col(AuditEntry.type).startswith("state.")).limit(1)).first() is None:
        return 0
    known = (*kinds, marker)
    if session.exec(select(AuditEntry.id).where(col(AuditEntry.type).in_(known)).limit(1)).first() is not None:
        return 0
    adopted = record(session, found(session), summary_of)
    append(session, type=marker, data=marker_data, actor_id=None, summary=marker_summary)
    return adopted
