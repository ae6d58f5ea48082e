"""Delivery from the durable event log, for a cluster (ECABINET_REDIS_URL).

Each committed event is published once through Redis (realtime/broadcast.py). That publish can be lost: Redis
down or restarting when the writer publishes (python-socketio logs "giving up" and drops it), the writer killed
between COMMIT and PUBLISH, or a node not subscribed yet after a Redis restart. The event is in the database
all the same (meetings/events.py: every change is a row with the meeting's next seq), so every node repairs
what it missed from there:

- `Ledger` records, per meeting this node has sockets in, which seqs it has handed to which of the meeting's
  rooms (`meeting:<id>`, or the pair `meeting:<id>/<audience>` + `meeting:<id>/-<audience>`), and up to which
  seq everything has been (`floor`: set when the first socket of the meeting joins, from the seq its join
  caught up to). Every local fan-out of a meeting event goes through it (Broadcaster.local_fanout): a (seq,
  room) already delivered is not delivered again, whichever path brings it.
- `EventRepair`, every ECABINET_EVENT_REPAIR_SECONDS, reads the last seq of all those meetings in one query.
  Where the database is ahead of `floor` and the first missing seq is still missing one poll later (the grace:
  the pub/sub path wins whenever it works), it reads the missing events of all such meetings in one query,
  re-checks the meeting's grants if access changed meanwhile, and fans them out locally in seq order through
  the same path (audience checked at delivery; rooms already served skipped).

A socket thus gets a lost event within one to two poll intervals, once; a tablet that sees a gap still syncs
(docs/realtime-protocol.md), and one that joined while a repair was pending may get an event twice (it ignores
a seq it has, as after meeting:join's catch-up).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra.background import Loop
from infra.context import AppContext
from meetings import events as event_log

if TYPE_CHECKING:
    from realtime.audience import Rooms
    from realtime.broadcast import Broadcaster

log = logging.getLogger("ecabinet.realtime")
KEEP = 512  # seqs below the floor whose rooms are still remembered (a late pub/sub copy of a repaired event)
MOST = 500  # events of one meeting repaired per poll (the next poll goes on)


@dataclass
class _Track:
    floor: int | None = None  # every seq up to this is delivered here (None: the first join has not finished)
    rooms: dict[int, set[str]] = field(default_factory=dict)  # seq -> rooms ("", "members", "-members") served
    pending: tuple[int, float] | None = None  # (first missing seq, loop time it was first seen missing)

    def complete(self, seq: int) -> bool:
        served = self.rooms.get(seq, ())
        return "" in served or len(served) >= 2  # the whole meeting's room, or both sides of an audience

    def advance(self) -> None:
        if self.floor is None:
            return
        while self.complete(self.floor + 1):
            self.floor += 1
        for seq in [s for s in self.rooms if s <= self.floor - KEEP]:
            del self.rooms[seq]


def _meeting_room(to: str) -> tuple[int, str] | None:
    """'meeting:5' -> (5, ''); 'meeting:5/-members' -> (5, '-members'); anything else None."""
    if not to.startswith("meeting:"):
        return None
    mid, _, audience = to[len("meeting:") :].partition("/")
    return (int(mid), audience) if mid.isdigit() else None


class Ledger:
    """What this node has delivered to its meeting rooms (see the module's docstring)."""

    def __init__(self, rooms: "Rooms") -> None:
        self.rooms = rooms
        self.tracks: dict[int, _Track] = {}

    def first(self, to: str, env: Any) -> bool:
        """Record that `env` goes to room `to`; False when it went there already (a duplicate: skip it)."""
        where = _meeting_room(to)
        seq = env.get("seq") if isinstance(env, dict) else None
        if where is None or not isinstance(seq, int):
            return True
        mid, audience = where
        track = self.tracks.get(mid)
        if track is None:
            if not self.rooms.grants.get(mid):
                return True  # no socket of the meeting here: nothing to track
            track = self.tracks[mid] = _Track()
        served = track.rooms.setdefault(seq, set())
        if audience in served or (track.floor is not None and seq <= track.floor - KEEP):
            return False
        served.add(audience)
        track.advance()
        return True

    def caught_up(self, meeting_id: int, seq: int) -> None:
        """A socket joined the meeting and has every event up to `seq` (its snapshot and catch-up): the first
        one sets where this node's delivery of the meeting starts; an earlier seq (joins that raced) lowers it,
        so nothing after it can be taken as delivered to that socket unless it was."""
        track = self.tracks.setdefault(meeting_id, _Track())
        track.floor = seq if track.floor is None else min(track.floor, seq)
        track.advance()

    def prune(self) -> None:
        """Meetings this node no longer has sockets in are no longer followed."""
        for mid in [mid for mid in self.tracks if not self.rooms.grants.get(mid)]:
            del self.tracks[mid]


class EventRepair(Loop):
    def __init__(self, ctx: AppContext, broadcaster: "Broadcaster", ledger: Ledger, interval: float) -> None:
        self.ctx, self.broadcaster, self.ledger, self.interval = ctx, broadcaster, ledger, interval
        self.repaired = 0  # events delivered from the log (tests, logs)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database unreachable: the next poll tries again (/healthz says so)
                log.warning("event repair poll failed", exc_info=True)

    async def once(self) -> int:
        """One poll: how many events it delivered from the log."""
        self.ledger.prune()
        floors = {mid: t.floor for mid, t in self.ledger.tracks.items() if t.floor is not None}
        if not floors:
            return 0
        heads = await self.ctx.read(event_log.heads, meeting_ids=sorted(floors))
        now = asyncio.get_running_loop().time()
        due: dict[int, tuple[int, int]] = {}
        access: dict[int, int] = {}
        for mid, (last, access_seq) in heads.items():
            track = self.ledger.tracks.get(mid)
            if track is None or track.floor is None or last <= track.floor:
                if track is not None:
                    track.pending = None
                continue
            missing = track.floor + 1
            if track.pending is None or track.pending[0] != missing:
                track.pending = (missing, now)  # give the pub/sub path its chance first
            elif now - track.pending[1] >= self.interval * 0.9:
                due[mid] = (track.floor, min(last, track.floor + MOST))
                access[mid] = access_seq
        if not due:
            return 0
        found = await self.ctx.read(event_log.events_between, ranges=due)
        delivered = 0
        rooms = self.broadcaster.rooms
        for mid in due:
            if rooms.grants.get(mid):
                await rooms.ensure_current(mid, access[mid])  # who may see what, as of the newest event
        for d in found:
            track = self.ledger.tracks.get(d.meeting_id)
            if track is None or (track.complete(d.env["seq"]) or (track.floor or 0) >= d.env["seq"]):
                continue  # arrived meanwhile, or its sockets are gone
            delivered += 1
            self.broadcaster.local_delivery(d)
        if delivered:
            self.repaired += delivered
            log.warning(
                "delivered %d event(s) of meeting(s) %s from the event log (their pub/sub message was lost)",
                delivered,
                sorted(due),
            )
        return delivered
