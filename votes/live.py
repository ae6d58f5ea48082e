"""The live side of votes at the edge: coalesced tally events and the post-close scrub of secret votes.

Tally events. A cast commits without recording an event (200 members voting would otherwise send 200 x 200
messages). After its commit the edge calls `poke(vote_id)`; at most one flush per vote is pending; it runs
`interval` seconds later as its own write transaction (votes.services.publish_tally), which records one
`vote.tally` event carrying the "votes" slice if anything changed. A cast committed after a flush read the
vote pokes again, so the last cast always reaches every tablet within about `interval`.

Scrub. After a secret vote closes, old versions of the counter rows may still sit in the SQLite WAL or as
dead PostgreSQL tuples; `scrub` truncates the WAL / vacuums the counter table (best effort, never fails the
request). See votes/models.py for the secrecy design.
"""
from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from app.context import AppContext
from votes import services

log = logging.getLogger("ecabinet.votes")

INTERVAL = 0.2
_FLUSHERS: dict[int, "TallyFlusher"] = {}


class TallyFlusher:
    def __init__(self, ctx: AppContext, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.interval = interval
        self.pending: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    def poke(self, vote_id: int) -> None:
        if vote_id in self.pending:
            return
        self.pending.add(vote_id)
        task = asyncio.get_running_loop().create_task(self._flush(vote_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush(self, vote_id: int) -> None:
        await asyncio.sleep(self.interval)
        self.pending.discard(vote_id)  # from here on a new cast schedules another flush
        try:
            await self.ctx.write(services.publish_tally, vote_id=vote_id)
        except Exception:
            log.exception("tally flush of vote %s failed", vote_id)

    async def drain(self) -> None:
        """Wait until every pending flush has run (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def flusher(ctx: AppContext) -> TallyFlusher:
    key = id(ctx)
    found = _FLUSHERS.get(key)
    if found is None or found.ctx is not ctx:
        found = _FLUSHERS[key] = TallyFlusher(ctx)
        weakref.finalize(ctx, _FLUSHERS.pop, key, None)
    return found


async def after_cast(ctx: AppContext, result: dict[str, Any]) -> None:
    flusher(ctx).poke(result["vote_id"])


async def after_close(ctx: AppContext, vote: dict[str, Any]) -> None:
    if vote.get("kind") == "secret":
        await scrub(ctx)


async def scrub(ctx: AppContext) -> None:
    def run() -> None:
        raw = ctx.db.engine.raw_connection()  # outside any transaction: both statements refuse to run in one
        try:
            if ctx.db.is_sqlite:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                raw.driver_connection.autocommit = True
                raw.driver_connection.execute("VACUUM vote_secret_tally")
                raw.driver_connection.autocommit = False
        except Exception:
            log.warning("scrub after a secret vote did not complete", exc_info=True)
        finally:
            raw.close()

    await asyncio.to_thread(run)
