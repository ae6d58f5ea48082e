"""A domain's long-running loop (ctx.background): started by the app's lifespan, cancelled at shutdown."""

from __future__ import annotations

import asyncio
import contextlib


class Loop:
    task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
