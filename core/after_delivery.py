"""Work that must follow a COMMIT but need not come before its events reach the tablets (the audit checkpoint
line: an Ed25519 signature and a locked file append, about a third of a millisecond on a processor that was
idle). Whoever runs the transaction decides: a caller that delivers events (infra/context.py: the edge's
writes) asks for it to be kept (`keep`) and runs it once the events are handed over, before it answers; any
other caller (the CLI, the tests' direct writes, group commits) has it run at once, inside the COMMIT.
Not durable: what is run here must tolerate a crash before it ran (a checkpoint is covered by the next one).
"""

from __future__ import annotations

from typing import Callable

from sqlmodel import Session

_KEPT = "ecabinet_after_delivery"


def keep(session: Session) -> None:
    """This transaction's caller runs the work itself after delivering its events (`take`)."""
    session.info[_KEPT] = []


def later(session: Session, work: Callable[[], None]) -> None:
    """`work()` after the events are delivered when the caller asked to `keep` it, otherwise now."""
    kept: list[Callable[[], None]] | None = session.info.get(_KEPT)
    if kept is None:
        work()
    else:
        kept.append(work)


def take(session: Session) -> list[Callable[[], None]]:
    kept: list[Callable[[], None]] = session.info.pop(_KEPT, [])
    return kept


def run(work: list[Callable[[], None]]) -> None:
    for item in work:
        item()
