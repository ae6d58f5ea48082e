"""The live side of votes after commit: coalesced tally events and the post-close scrub of secret votes.
Both are outbox jobs (core/outbox.py) recorded by votes.services in the vote's own transaction and run by
infra/outbox.py's dispatcher; `install` registers them.

Tally events. A cast commits without recording an event (200 members voting would otherwise send 200 x 200
messages) but with a "vote.tally" job. At most one run per vote is pending; it runs `interval` seconds after
the first cast of a burst, as its own write transaction (votes.services.publish_tally), which records one
`vote.tally` event carrying the "votes" slice if anything changed. A cast committed after a run read its jobs
schedules another, so the last cast always reaches every tablet within about `interval`; a crash before the
run leaves the jobs in the table, and another node's outbox takeover (ECABINET_OUTBOX_TAKEOVER_SECONDS) or the
next start publishes the tally; a scrub left by a node that died is run the same way.

Scrub. After a secret vote closes, the WAL (SQLite) or dead tuples and the pages' physical order (PostgreSQL)
and the pages' cell layout still reflect the order in which encrypted ballots arrived; `scrub` rebuilds the
database (SQLite VACUUM, then truncates the WAL) / rewrites the ballot and voter tables in key order (PostgreSQL
CLUSTER, after close rewrote every ballot row so no ballot shares its xmin with a voter record) so that what
stays is in key order (best effort, never fails the request). The
ballots are ciphertexts either way; see docs/ballot-threat-model.md.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from infra.context import AppContext
from infra.outbox import Dispatcher
from votes import services

log = logging.getLogger("ecabinet.votes")

INTERVAL = 0.2


def install(dispatcher: Dispatcher, interval: float = INTERVAL) -> None:
    dispatcher.register("vote.tally", publish_tally, delay=interval)
    dispatcher.register("vote.scrub", scrub_job)


async def publish_tally(ctx: AppContext, ref: str, _jobs: list[dict[str, Any]]) -> None:
    await ctx.write(services.publish_tally, vote_id=int(ref))


async def scrub_job(ctx: AppContext, _ref: str, _jobs: list[dict[str, Any]]) -> None:
    await scrub(ctx)


async def scrub(ctx: AppContext) -> None:
    def run() -> None:
        raw = ctx.db.engine.raw_connection()  # outside any transaction: both statements refuse to run in one
        try:
            driver = raw.driver_connection
            assert driver is not None  # a fresh connection from the pool, not yet closed
            if ctx.db.is_sqlite:
                # VACUUM rebuilds every page in key order (a page's cell layout keeps insertion order otherwise)
                driver.execute("VACUUM")
                driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:
                driver.autocommit = True
                # CLUSTER rewrites each table in primary-key order (VACUUM FULL would keep the arrival order)
                driver.execute("CLUSTER ballot_secret USING ballot_secret_pkey")
                driver.execute("CLUSTER vote_voter USING vote_voter_pkey")
                driver.autocommit = False
        except Exception:
            log.warning("scrub after a secret vote did not complete", exc_info=True)
        finally:
            raw.close()

    await asyncio.to_thread(run)
