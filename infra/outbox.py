"""The one dispatcher of outbox jobs (core/outbox.py): after each COMMIT, at start-up for every job a crash or a
restart left pending, and on every node, every `ECABINET_OUTBOX_TAKEOVER_SECONDS`, for the jobs another node
left behind (`Takeover`).

Each kind of job has a handler and a delay. Jobs with the same (kind, ref) coalesce: while a run is pending
for a key, new jobs for it wait for that run; the run claims every job of its key that nobody holds (a lease,
renewed while the handler runs: two nodes never run the same job at once), calls the handler once with their
payloads, and deletes those rows afterwards (so a crash in between runs them again: handlers are idempotent).
The pending flag is dropped when the run starts claiming, so a job committed after that schedules another
run: the last job of a burst is always handled within `delay`.

A run that fails writes its back-off into its jobs (nobody starts them before) and is tried again here after
each of `retry_after`; after that the back-off doubles from one takeover interval up to an hour, and whichever
node's takeover finds them first runs them: a job that keeps failing is tried less and less often, never in a
hot loop. Takeover: a job due for longer than one takeover interval (recorded more than the kinds' longest
delay plus one interval ago) whose claim, if any, ended more than one interval ago: its node died before
running it (a tally of a node killed within its coalescing delay), died while running it (the lease lapsed),
or its retries ran out. The owner's own schedule (its delay, its retries, the lease it renews) always comes
first; a claim is atomic, so when a takeover and the owner meet, one of them runs the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Iterator

from core import outbox
from core.clock import utcnow
from core.outbox import Claimed, Key
from infra.background import Loop
from infra.context import AppContext

log = logging.getLogger("ecabinet.outbox")
RETRY_AFTER = (1.0, 5.0, 30.0)  # a failed run is tried again here after these delays, then by the takeover
LEASE_FLOOR = 10.0  # the shortest lease a run holds its jobs with (renewed at a third of it)
BACKOFF_MOST = 3600.0  # a job that keeps failing is tried at least once an hour
_MARGIN = 0.05  # a retry here wakes this much after its own back-off ended
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
        self.failures: dict[Key, int] = {}  # claims that failed in a row (the database unreachable), per key
        self.retry_after: tuple[float, ...] = RETRY_AFTER
        self.interval = ctx.settings.outbox_takeover_seconds
        self.lease = max(2 * self.interval, LEASE_FLOOR)
        self.held: set[int] = set()  # jobs claimed by this node's runs (released if the node stops meanwhile)
        self.tasks: set[asyncio.Task[None]] = set()
        ctx.run_jobs = self.kick

    def register(self, kind: str, handler: JobHandler, *, delay: float = 0.0) -> None:
        self.kinds[kind] = Kind(handler, delay)

    def kick(self, keys: set[Key], *, now: bool = False, delay: float | None = None, left: bool = False) -> None:
        """Schedule a run of each key (`left`: jobs left behind by a stopped process or node, logged as such)."""
        for key in sorted(keys):
            if key in self.pending or key[0] not in self.kinds:
                continue
            self.pending.add(key)
            wait = delay if delay is not None else 0.0 if now else self.kinds[key[0]].delay
            task = asyncio.get_running_loop().create_task(self._run(key, wait, left=left))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def recover(self) -> None:
        """Start-up: every job still in the table (a crash, a kill, a restart) that nobody holds runs now. SQLite
        is one node: a claim found at its start was this node's before it stopped, and is dropped first."""
        if self.ctx.db.is_sqlite:
            await self.ctx.db.write(outbox.release)
        self.kick(set(await self.ctx.read(outbox.all_keys)), now=True, left=True)

    @property
    def stale_after(self) -> float:
        """How long after it was recorded a job nobody holds is another node's to run."""
        return max((k.delay for k in self.kinds.values()), default=0.0) + self.interval

    async def take_over(self) -> None:
        """The jobs left behind (see the module's docstring) run here, unless another node claims them first."""
        now = utcnow()
        keys = await self.ctx.read(
            outbox.stale_keys,
            kinds=sorted(self.kinds),
            due_before=now - timedelta(seconds=self.stale_after),
            free_before=now - timedelta(seconds=self.interval),
        )
        self.kick(set(keys), now=True, left=True)

    def backoff(self, attempts: int) -> float:
        """Seconds before a job that failed `attempts` times is tried again."""
        if attempts <= len(self.retry_after):
            return self.retry_after[attempts - 1]
        return min(BACKOFF_MOST, self.interval * 2.0 ** (attempts - len(self.retry_after) - 1))

    async def _run(self, key: Key, delay: float, *, left: bool = False) -> None:
        if delay:
            await asyncio.sleep(delay)
        self.pending.discard(key)
        kind, ref = key
        if not (jobs := await self._claim(key)):
            return
        ids = [job.id for job in jobs]
        if left:
            age = (utcnow() - min(job.created_at for job in jobs)).total_seconds()
            log.info(
                "outbox job %s %s: running %d job(s) left behind, the oldest recorded %.1f s ago", *key, len(ids), age
            )
        self.held.update(ids)
        finished = asyncio.Event()
        holding = asyncio.get_running_loop().create_task(self._hold(ids, finished))
        try:
            await self.kinds[kind].handler(self.ctx, ref, [job.payload for job in jobs])
        except Exception:
            finished.set()
            await holding  # a renewal under way lands before the back-off, not over it
            await self._failed(key, jobs)
        except BaseException:  # cancelled (the node stops): stop() releases the jobs still held
            finished.set()
            holding.cancel()
            raise
        else:
            finished.set()
            await holding
            with _logged(f"outbox job {kind} {ref} ran but could not be deleted; it runs again when its lease ends"):
                await self.ctx.db.write(outbox.done, ids=ids)
        self.held.difference_update(ids)

    async def _claim(self, key: Key) -> list[Claimed]:
        """The jobs of `key` nobody holds, now held by this node; none when it cannot reach the database (tried
        again here after each of `retry_after`, then left to the takeover)."""
        now = utcnow()
        try:
            until = now + timedelta(seconds=self.lease)
            claimed: list[Claimed] = (
                await self.ctx.db.write(outbox.claim, kind=key[0], ref=key[1], now=now, until=until)
            ).result
        except Exception:
            failed = self.failures[key] = self.failures.get(key, 0) + 1
            again = self.retry_after[failed - 1] if failed <= len(self.retry_after) else None
            log.exception(
                "outbox jobs %s %s could not be claimed; tried again %s",
                *key,
                f"in {again} s" if again else "by the takeover",
            )
            if again is None:
                self.failures.pop(key, None)
            else:
                self.kick({key}, delay=again)
            return []
        self.failures.pop(key, None)
        return claimed

    async def _hold(self, ids: list[int], finished: asyncio.Event) -> None:
        """Renew the run's lease at each third of it until the run has `finished`."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), self.lease / 3)
                return
            with _logged("outbox: a lease could not be renewed"):
                await self.ctx.db.write(outbox.hold, ids=ids, until=utcnow() + timedelta(seconds=self.lease))

    async def _failed(self, key: Key, jobs: list[Claimed]) -> None:
        kind, ref = key
        attempts = max(job.attempts for job in jobs) + 1
        wait = self.backoff(attempts)
        here = attempts <= len(self.retry_after)
        log.exception(
            "outbox job %s %s failed (%d time(s)); tried again %s in %s s",
            *(kind, ref, attempts, "here" if here else "by the first node whose takeover finds it", wait),
        )
        ids = [job.id for job in jobs]
        until = utcnow() + timedelta(seconds=wait)
        with _logged(f"outbox job {kind} {ref}: its back-off could not be written; it runs again when its lease ends"):
            await self.ctx.db.write(outbox.failed, ids=ids, attempts=attempts, until=until)
            if here:
                self.kick({key}, delay=wait + _MARGIN)

    async def drain(self) -> None:
        """Wait until every scheduled run has finished (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if self.held:  # runs cut short: another node (or this one's next start) takes them now, not at lease end
            with _logged("outbox: jobs held by cancelled runs could not be released; their leases end by themselves"):
                await self.ctx.db.write(outbox.release, ids=sorted(self.held))
            self.held.clear()


class Takeover(Loop):
    """Every node, every `interval`: the jobs other nodes left behind (Dispatcher.take_over)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.dispatcher.interval)
            with _logged("outbox: the takeover could not read the pending jobs"):
                await self.dispatcher.take_over()


@contextlib.contextmanager
def _logged(message: str) -> Iterator[None]:
    try:
        yield
    except Exception:
        log.warning(message, exc_info=True)
