"""A socket that only listens is checked too: every few seconds the login sessions of this node's sockets are read
again (one query per chunk), and a socket whose session ended (expired, its account deactivated — by the CLI or
another node, which cannot reach this node's sockets) or whose user changed role is closed. Logout closes its
sockets at once (SocketActions.end_session); an event a socket sends is checked before it runs
(SocketActions.current)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from infra.background import Loop
from realtime.actions import SocketActions
from web.auth import lookup_many

log = logging.getLogger("ecabinet.realtime")
CHUNK = 500  # cookies per query


class Recheck(Loop):
    def __init__(self, actions: SocketActions, interval: float) -> None:
        self.actions, self.interval = actions, interval
        self.rounds = 0  # how many rounds ran (tests)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.once()
            except Exception:  # the next round tries again; a failing database is reported elsewhere
                log.warning("socket session recheck failed", exc_info=True)

    async def once(self) -> int:
        """One round: how many sockets it closed."""
        ctx, pairs, closed = self.actions.ctx, list(self.actions.tokens.items()), 0
        for start in range(0, len(pairs), CHUNK):
            chunk = pairs[start : start + CHUNK]
            answers = await ctx.read(partial(lookup_many, ctx), tokens=[token for _, token in chunk])
            for (sid, _), (ok, found) in zip(chunk, answers):
                if ok and sid in self.actions.actors and not self.actions.still(sid, found):
                    closed += 1
        self.rounds += 1
        return closed
