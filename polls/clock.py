"""The poll clock: closes polls at their deadline and sends the reminder one working day before, even across
restarts and with several nodes.

At start-up it closes every poll whose deadline passed while the server was down, then sleeps until the next
deadline or reminder (at most `max_sleep`, so a poll approved on another node is seen in time), waking early
when a poll of this process opens or is extended. Each close and reminder is its own write transaction that
re-checks the poll under its row lock (polls/closing.py: close_poll, send_reminder), so two nodes racing on
the same poll close it once and remind once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from infra.background import Loop
from infra.context import AppContext
from core.clock import utcnow
from polls import closing

log = logging.getLogger("ecabinet.polls")


class PollClock(Loop):
    def __init__(self, ctx: AppContext, *, max_sleep: float = 30.0) -> None:
        self.ctx = ctx
        self.max_sleep = max_sleep
        self.wake = asyncio.Event()

    def poke(self) -> None:
        self.wake.set()

    async def tick(self, now: datetime | None = None) -> datetime | None:
        """Close what is due, send what reminders are due; answer the next time to look again."""
        now = now or utcnow()
        for poll_id in await self.ctx.read(closing.due_polls, now=now):
            await self.ctx.write(closing.close_poll, poll_id=poll_id, now=now, tz=self.ctx.settings.timezone)
        for poll_id in await self.ctx.read(closing.due_reminders, now=now):
            await self.ctx.write(closing.send_reminder, poll_id=poll_id, now=now)
        wakeup: datetime | None = await self.ctx.read(closing.next_wakeup)
        return wakeup

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                following = await self.tick()
            except Exception:  # the database away for a moment: try again shortly
                log.exception("poll clock tick failed")
                following = None
            delay = self.max_sleep
            if following is not None:
                delay = min(self.max_sleep, max(0.0, (following - utcnow()).total_seconds()) + 0.01)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), delay)
