"""Group commit: many calls of one service that arrive together run in ONE write transaction.

When 500 members vote at the same moment, 500 transactions (each its own BEGIN IMMEDIATE / row lock, its
own COMMIT and fsync, its own thread hop) queue one behind the other. Here the calls that arrive while a
batch is being written wait for the next batch, and each batch is one transaction: every call runs in its own
SAVEPOINT, so a call that fails (already voted, vote closed) is rolled back alone and answered with its own
error; the others commit together. Every caller is answered only after that COMMIT returned: an
acknowledged call is durable (a kill -9 or a power cut after the answer loses nothing: SQLite syncs its WAL at
COMMIT, infra/db.py; before the answer, the caller had none).
If the COMMIT itself fails, every caller of the batch gets the error, as each would have alone.

No delay is added: a lone call runs at once; a burst is batched by the time the previous batch takes.
Events and outbox jobs of the batch are delivered after the COMMIT, as AppContext.write does.

Batched services (`many=True`, AppContext.write_many): the service itself takes the whole batch
(`fn(session=..., calls=[kwargs, ...])`) and answers [(ok, result | error), ...] in the same order. It reads
what the calls share once (the vote, its meeting, the callers' participations) and writes their rows together;
it checks each call on its own, and a refused call must change nothing (its error is its answer).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from anyio import to_thread

if TYPE_CHECKING:
    from infra.context import AppContext

MAX_BATCH = 50  # calls per transaction: the first of a burst are answered early; bounds the lock time
MAX_MANY = 250  # batched services: a call costs little more than its rows, so fewer, larger transactions

Call = tuple[dict[str, Any], "asyncio.Future[Any]"]


class GroupCommit:
    def __init__(
        self, ctx: "AppContext", fn: Callable[..., Any], *, max_batch: int | None = None, many: bool = False
    ) -> None:
        self.ctx, self.fn, self.many = ctx, fn, many
        self.max_batch = max_batch or (MAX_MANY if many else MAX_BATCH)
        self.pending: list[Call] = []
        self.running: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions ran (tests, bench)

    async def __call__(self, **kwargs: Any) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((kwargs, fut))
        if self.running is None:
            self.running = asyncio.get_running_loop().create_task(self._drain())
        return await asyncio.shield(fut)  # a caller that goes away does not cancel the others' batch

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
                await self._run(batch)
        finally:
            self.running = None

    async def _run(self, batch: list[Call]) -> None:
        try:
            calls = [kw for kw, _ in batch]
            if self.many:
                outcome = await to_thread.run_sync(lambda: self.ctx.db.run_write(self.fn, calls=calls))
                answers = outcome.result
            else:
                answers, outcome = await to_thread.run_sync(self.ctx.db.run_batch, self.fn, calls)
        except BaseException as exc:  # the COMMIT (or the connection) failed: nothing of the batch is durable
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError("group commit aborted"))
            if not isinstance(exc, Exception):
                raise
            return
        self.batches += 1
        try:
            await self.ctx.after_commit(outcome)
        finally:
            for (ok, value), (_, fut) in zip(answers, batch):
                if fut.done():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)
