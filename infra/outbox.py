"""The one dispatcher of outbox jobs (core/outbox.py): after each COMMIT, and at start-up for every job a
crash or a restart left pending.

Each kind of job has a handler and a delay. Jobs with the same (kind, ref) coalesce: while a run is pending
for a key, new jobs for it wait for that run; the run reads every job of its key, calls the handler once
with their payloads, and deletes those rows afterwards (so a crash in between runs them again: handlers are
idempotent). The pending flag is dropped when the run starts reading, so a job committed after that read
schedules another run: the last job of a burst is always handled within `delay`. A run that fails is tried
again after each of `retry_after`, then at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from infra.context import AppContext
from core import outbox
from core.outbox import Key

log = logging.getLogger("ecabinet.outbox")
RETRY_AFTER = (1.0, 5.0, 30.0)  # a failed run is tried again after these delays, then at the next start
JobHandler = Callable[[AppContext, str, list[dict[str, Any]]], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    handler: JobHandler
    delay: float = 0.0


class Dispatcher:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.kinds: dict[str, Kind] = {}
        self.pending: set[Key] = set()
        self.failures: dict[Key, int] = {}
        self.retry_after = RETRY_AFTER
        self.tasks: set[asyncio.Task[None]] = set()
        ctx.run_jobs = self.kick

    def register(self, kind: str, handler: JobHandler, *, delay: float = 0.0) -> None:
        self.kinds[kind] = Kind(handler, delay)

    def kick(self, keys: set[Key], *, now: bool = False, delay: float | None = None) -> None:
        for key in sorted(keys):
            if key in self.pending or key[0] not in self.kinds:
                continue
            self.pending.add(key)
            wait = delay if delay is not None else 0.0 if now else self.kinds[key[0]].delay
            task = asyncio.get_running_loop().create_task(self._run(key, wait))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def recover(self) -> None:
        """Start-up: every job still in the table (a crash, a kill, a restart) runs now."""
        self.kick(set(await self.ctx.read(outbox.all_keys)), now=True)

    async def _run(self, key: Key, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        self.pending.discard(key)
        kind, ref = key
        try:
            jobs = await self.ctx.read(outbox.pending, kind=kind, ref=ref)
            if not jobs:
                return
            await self.kinds[kind].handler(self.ctx, ref, [payload for _, payload in jobs])
            await self.ctx.db.write(outbox.done, ids=[job_id for job_id, _ in jobs])
            self.failures.pop(key, None)
        except Exception:
            failed = self.failures[key] = self.failures.get(key, 0) + 1
            if failed <= len(self.retry_after):
                log.exception("outbox job %s %s failed; trying again in %s s", kind, ref, self.retry_after[failed - 1])
                self.kick({key}, delay=self.retry_after[failed - 1])
            else:
                log.exception(
                    "outbox job %s %s failed %s times; it stays pending until the next start", kind, ref, failed
                )
                self.failures.pop(key, None)

    async def drain(self) -> None:
        """Wait until every scheduled run has finished (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)
