"""Calls that arrive together, answered by one read: realtime/handlers.py (the cookies and `meeting:join` of a
room of tablets connecting together) and web/auth.py: read_as_user_together (25 tablets fetching the page just
shown)."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


class BatchedReads:
    """Calls that arrive while a read is running wait, and the next read answers them all at once (like group
    commit, for reads: no delay is added to a lone call). For a room of tablets connecting and joining together
    (realtime/handlers.py: the session cookies at connect, meeting:join): one worker-thread hop and one
    transaction per batch (and one snapshot per meeting) instead of one each. Such a burst used to run a read
    per tablet on up to 40 threads at once (anyio's limit): every thread started kept its stack and its own C
    heap arena, and what the reads left in the heap (each tablet's snapshot, ORM session and objects, interleaved
    with the long-lived connections being made at the same time) stayed as fragmentation: a large part of the
    memory per connected tablet (docs/performance.md)."""

    def __init__(self, read: Callable[[list[Any]], Awaitable[list[tuple[bool, Any]]]], limit: int = 200) -> None:
        self.read, self.limit = read, limit
        self.waiting: list[tuple[Any, asyncio.Future[Any]]] = []
        self.running: asyncio.Task[None] | None = None
        self.reads = 0  # how many reads ran (tests, bench)

    async def call(self, arg: Any) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append((arg, fut))
        if self.running is None:
            self.running = asyncio.ensure_future(self._drain())
        return await fut

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[: self.limit], self.waiting[self.limit :]
                self.reads += 1
                try:
                    answers = await self.read([arg for arg, _ in batch])
                except Exception as exc:  # the read itself failed: every caller of the batch hears it
                    answers = [(False, exc)] * len(batch)
                except BaseException:  # cancelled (shutdown): nobody is left waiting for an answer
                    for _, fut in batch + self.waiting:
                        fut.cancel()
                    self.waiting = []
                    raise
                for (_, fut), (ok, value) in zip(batch, answers):
                    if fut.done():  # its caller went away (disconnected meanwhile)
                        continue
                    if ok:
                        fut.set_result(value)
                    else:
                        fut.set_exception(value)
        finally:
            self.running = None
