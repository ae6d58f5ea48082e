"""Session hooks that keep the audit log honest without each caller's help: state facts at flush
(audit/facts.py), a checkpoint after commit (audit/checkpoints.py), and the per-transaction chain tail
forgotten when the transaction ends. Installed once, by app/db.py's Database; sessions without audit keys
(none in the application) are left alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from audit import checkpoints, facts
from core.after_delivery import later
from ledger import chain
from ledger.chain import DUE, KEYS, LOCKED, TAIL


def _after_commit(session: Session) -> None:
    tail, keys = session.info.get(TAIL), session.info.get(KEYS)
    if tail is not None and keys is not None:
        meaningful = bool(session.info.get(DUE))
        # after the events are on their way when the caller delivers them (core/after_delivery.py)
        later(session, lambda: checkpoints.after_commit(keys, tail, meaningful))
    _forget(session)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(TAIL, None)
    session.info.pop(DUE, None)
    session.info.pop(LOCKED, None)  # the transaction that held the append lock has ended


def install() -> None:
    chain.on_first_anchor(facts.adopt_all)  # the state as found is adopted when the chain gets its first key
    if event.contains(Session, "after_flush", facts.on_flush):
        return
    event.listen(Session, "after_flush", facts.on_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _forget)
