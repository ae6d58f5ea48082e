"""Room membership that follows permission: which sockets follow which meeting, with which audiences.

A socket enters a meeting's rooms only after the permission check (realtime/handlers.py join), and only the
rooms of its audiences: 'meeting:<id>' (every viewer) plus, per narrower audience (meetings/events.py), either
'meeting:<id>/<audience>' or 'meeting:<id>/-<audience>' (the placeholder side). Delivery to a room is
therefore delivery to exactly the sockets whose cached grant includes the event's audience.

The cache is kept current: every delivered event carries the access_seq it was recorded under; when that is
newer than what this meeting's grants were last checked at, every socket of the meeting is checked again in
one read (meetings/audience.py) before the event goes out. A socket that lost the meeting leaves its rooms at
once and is told so (`meeting.access_revoked`, to that socket only); one whose audiences changed moves rooms.
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from typing import Any, Awaitable, Callable

import socketio

from core.actor import Actor
from infra.context import AppContext
from meetings import audience as audience_service
from meetings.events import CONDUCTORS, MANAGERS, MEMBERS
from realtime.broadcast import class_room, room

NARROW = (MEMBERS, CONDUCTORS, MANAGERS)
Evicted = Callable[[str, int], Awaitable[None]]


FRESH = sys.maxsize  # a socket's replay floor before its first snapshot, and after its audiences changed


def rooms_for(meeting_id: int, audiences: frozenset[str]) -> set[str]:
    return {room(meeting_id)} | {class_room(meeting_id, a if a in audiences else f"-{a}") for a in NARROW}


class Rooms:
    def __init__(self, sio: socketio.AsyncServer, ctx: AppContext, actors: dict[str, Actor]) -> None:
        self.sio, self.ctx, self.actors = sio, ctx, actors
        self.grants: dict[int, dict[str, frozenset[str]]] = defaultdict(dict)  # meeting -> socket -> audiences
        self.checked: dict[int, int] = {}  # meeting -> access_seq its grants are known to be current for
        self.locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.on_evicted: list[Evicted] = []  # presence, remote media
        self.on_admitted: list[Callable[[int, Actor], None]] = []  # the page watermarks drawn ahead (app/factory.py)
        # (meeting, seq): a socket that joined has every event up to seq (realtime/repair.py Ledger).
        self.on_caught_up: list[Callable[[int, int], None]] = []
        # meeting -> highest seq this node has handed to its rooms; None: unknown (several nodes deliver).
        self.delivered: dict[int, int] | None = {}
        # meeting -> socket -> the lowest seq meeting:sync replays from for it: the seq of the last snapshot it
        # got. Stored events keep the data they carried when recorded (a draft's agenda, a document's title
        # before it was restricted), so a socket is replayed only what it was sent live since that snapshot;
        # asking from earlier, or after its audiences widened (FRESH), it gets a snapshot of today instead.
        self.floors: dict[int, dict[str, int]] = defaultdict(dict)

    def has(self, sid: str, meeting_id: int) -> bool:
        return sid in self.grants.get(meeting_id, ())

    def meetings_of(self, sid: str) -> list[int]:
        return [mid for mid, socks in self.grants.items() if sid in socks]

    async def admit(self, sid: str, actor: Actor, meeting_id: int, audiences: frozenset[str], access_seq: int) -> bool:
        """Enter the rooms for `audiences` (checked at `access_seq`). When a change of access was delivered
        since that check, check again first. False: the socket may not (any longer) see the meeting."""
        async with self.locks[meeting_id]:
            # A display's token may have been revoked since it connected: the services do not see that.
            if access_seq < self.checked.get(meeting_id, 0) or actor.is_display:
                tz = self.ctx.settings.timezone
                one = {sid: actor}
                _, found = await self.ctx.read(audience_service.grants, meeting_id=meeting_id, actors=one, timezone=tz)
                audiences = found[sid]
            if not audiences or sid not in self.actors:  # refused, or disconnected meanwhile
                return False
            await self._place(sid, meeting_id, audiences)
        for hook in self.on_admitted:
            hook(meeting_id, actor)
        return True

    def replay_from(self, sid: str, meeting_id: int, since: int) -> int:
        """`since` if this socket may be replayed the events after it, else -1 (the services answer a snapshot)."""
        return since if since >= self.floors.get(meeting_id, {}).get(sid, FRESH) else -1

    def snapshot_sent(self, sid: str, meeting_id: int, seq: int) -> None:
        if sid in self.grants.get(meeting_id, ()):
            self.floors[meeting_id][sid] = seq

    def caught_up(self, meeting_id: int, seq: int) -> None:
        """A socket entered the meeting's rooms holding every event up to `seq` (its snapshot and catch-up)."""
        for hook in self.on_caught_up:
            hook(meeting_id, seq)

    def delivered_since(self, meeting_id: int, seq: int) -> bool:
        """Was an event after `seq` handed to the meeting's rooms (so a socket entering now may have missed it)?"""
        return self.delivered is None or self.delivered.get(meeting_id, 0) > seq

    def delivering(self, meeting_id: int, seq: int) -> None:
        if self.delivered is not None and seq > self.delivered.get(meeting_id, 0):
            self.delivered[meeting_id] = seq

    async def leave(self, sid: str, meeting_id: int) -> None:
        self.floors.get(meeting_id, {}).pop(sid, None)
        old = self.grants.get(meeting_id, {}).pop(sid, None)
        if old is not None:
            for name in rooms_for(meeting_id, old):
                await self.sio.leave_room(sid, name)

    def forget(self, sid: str) -> list[int]:
        """The socket is gone (socket.io drops it from every room itself)."""
        mids = self.meetings_of(sid)
        for mid in mids:
            self.grants[mid].pop(sid, None)
            self.floors.get(mid, {}).pop(sid, None)
        return mids

    async def ensure_current(self, meeting_id: int, access_seq: int) -> None:
        """Before delivering an event recorded at `access_seq`: are this meeting's grants still current?"""
        if access_seq <= self.checked.get(meeting_id, 0) or not self.grants.get(meeting_id):
            self.checked[meeting_id] = max(access_seq, self.checked.get(meeting_id, 0))
            return
        async with self.locks[meeting_id]:
            if access_seq > self.checked.get(meeting_id, 0):
                await self._recheck(meeting_id)

    async def _recheck(self, meeting_id: int) -> None:
        actors = {sid: self.actors[sid] for sid in self.grants.get(meeting_id, {}) if sid in self.actors}
        seq, found = await self.ctx.read(
            audience_service.grants, meeting_id=meeting_id, actors=actors, timezone=self.ctx.settings.timezone
        )
        self.checked[meeting_id] = max(seq, self.checked.get(meeting_id, 0))
        for sid, audiences in found.items():
            if sid not in self.grants.get(meeting_id, {}):
                continue  # left while we were reading
            if not audiences:
                await self.evict(sid, meeting_id)
            elif audiences != self.grants[meeting_id][sid]:
                await self._place(sid, meeting_id, audiences)

    async def evict(self, sid: str, meeting_id: int) -> None:
        await self.leave(sid, meeting_id)
        await self.sio.emit("event", _revoked(meeting_id), to=sid)
        for hook in self.on_evicted:
            await hook(sid, meeting_id)
        actor = self.actors.get(sid)
        if actor is not None and actor.is_display:  # a display's only identity is its token: it goes dark
            await self.sio.disconnect(sid)

    async def _place(self, sid: str, meeting_id: int, audiences: frozenset[str]) -> None:
        old = self.grants[meeting_id].get(sid)
        new_rooms = rooms_for(meeting_id, audiences)
        for name in rooms_for(meeting_id, old) - new_rooms if old is not None else ():
            await self.sio.leave_room(sid, name)
        for name in new_rooms:
            await self.sio.enter_room(sid, name)
        self.grants[meeting_id][sid] = audiences
        if old is not None and not audiences <= old:  # it may see more now: its next sync is a snapshot (a
            self.floors[meeting_id][sid] = FRESH  # narrower one replays, what it may no longer see as placeholders)


def _revoked(meeting_id: int) -> dict[str, Any]:
    """Told to a socket that may no longer follow the meeting (no seq: it is not a meeting event)."""
    return {"meeting_id": meeting_id, "seq": None, "type": "meeting.access_revoked", "data": {}}
