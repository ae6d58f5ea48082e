"""A socket that only listens is checked too: every few seconds the login sessions of this node's sockets are read
again (one query per chunk), and a socket whose session ended (expired, its account deactivated — by the CLI or
another node, which cannot reach this node's sockets) or whose user changed role is closed. So is a hall screen
whose display link stopped working (its meeting's day is over, its creator deactivated or no longer allowed:
meetings/display_rules.py; a secretary's links, revoked when he stops being one: meetings/display_ends.py); a
link revoked by staff closes its screens at once (display/routes.py). Logout closes its
sockets at once (SocketActions.end_session); an event a socket sends is checked before it runs
(SocketActions.current)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from infra.background import Loop
from meetings.display_rules import token_id_of, working_ids
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
        closed += await self._screens()
        self.rounds += 1
        return closed

    async def _screens(self) -> int:
        ctx = self.actions.ctx
        screens = {sid: tid for sid, a in list(self.actions.actors.items()) if (tid := token_id_of(a)) is not None}
        if not screens:
            return 0
        alive = await ctx.read(working_ids, token_ids=set(screens.values()), timezone=ctx.settings.timezone)
        gone = [sid for sid, tid in screens.items() if tid not in alive and sid in self.actions.actors]
        for sid in gone:
            log.info("closing screen %s: its display link no longer works", sid)
            self.actions.close_ended(sid)
        return len(gone)
