"""Delivers committed events to their audience (meetings/events.py): an event for every viewer goes to room
'meeting:<id>'; one for a narrower audience goes to 'meeting:<id>/<audience>', and its placeholder (seq only)
to 'meeting:<id>/-<audience>'. Sockets are in those rooms only while their cached grant says so, and the grants
of a meeting are checked again before any event recorded after a change of access (realtime/audience.py).
Each packet is encoded once per audience, never per socket.

Fast path (the default when this process owns every socket, i.e. the default in-memory client manager):
the Socket.IO packet is JSON-encoded once and wrapped once as an Engine.IO MESSAGE whose encoding is cached,
and that one object is put straight on each recipient socket's outgoing queue — no asyncio task per
recipient, no per-recipient coroutine chain, no asyncio.wait over hundreds of tasks (what python-socketio's
AsyncManager.emit does). Each socket's own Engine.IO writer task drains its queue in order, so per-socket
ordering with everything else sent to that socket (acks, pings, presence) is exactly as with sio.emit, and
events of one meeting leave in seq order. bench/fanout.py measures the difference (docs/performance.md).

With any other client manager (Redis, Kafka, ...) other nodes hold sockets too, so we use sio.emit, which
publishes through the manager; before the first event of a meeting recorded at a newer access_seq, the other
nodes are told to re-check their sockets of that meeting (realtime/server.py: ClusterManager).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from meetings.events import VIEWERS, Delivery, hidden

ACCESS_SIGNAL = "ecabinet:access"  # a room no socket enters (realtime/server.py)

if TYPE_CHECKING:
    from realtime.audience import Rooms


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def class_room(meeting_id: int, audience: str) -> str:
    """The sockets of a meeting in `audience` ('members'), or outside it ('-members')."""
    return f"meeting:{meeting_id}/{audience}"


def user_room(user_id: int) -> str:
    """Every socket of one signed-in user (joined at connect): private, per-author events (annotations)."""
    return f"user:{user_id}"


class Broadcaster:
    def __init__(self, sio: socketio.AsyncServer, rooms: "Rooms", *, fast: bool = True) -> None:
        self.sio = sio
        self.rooms = rooms
        # Exactly the default manager: subclasses (AsyncRedisManager, AsyncPubSubManager, ...) fan out across
        # nodes and must go through emit.
        self.fast = fast and type(sio.manager) is socketio.AsyncManager
        self.cluster = isinstance(sio.manager, AsyncPubSubManager)
        self.signalled: dict[int, int] = {}  # meeting -> access_seq the other nodes were told of
        if self.cluster:
            rooms.delivered = None  # other nodes deliver too: this one cannot know, a join always catches up

    async def publish(self, events: list[Delivery]) -> None:
        # Events of one transaction go out in seq order; clients reorder or resync across transactions.
        for d in events:
            await self.rooms.ensure_current(d.meeting_id, d.access_seq)
            self.rooms.delivering(d.meeting_id, d.env["seq"])
            if self.cluster and d.access_seq > self.signalled.get(d.meeting_id, 0):
                self.signalled[d.meeting_id] = d.access_seq
                signal = {"meeting_id": d.meeting_id, "access_seq": d.access_seq}
                await self.sio.emit("access", signal, room=ACCESS_SIGNAL)
            # Each local socket's cached grant is checked again as the packet is queued (not the room alone).
            grants = self.rooms.grants.get(d.meeting_id, {})
            if d.audience == VIEWERS:
                await self.send("event", d.env, room(d.meeting_id), lambda sid: sid in grants)
            else:
                aud = d.audience
                await self.send("event", d.env, class_room(d.meeting_id, aud), lambda sid: aud in grants.get(sid, ()))
                await self.send("event", hidden(d.env), class_room(d.meeting_id, f"-{aud}"), lambda sid: sid in grants)

    async def send(self, event: str, data: Any, to: str, allowed: Callable[[str], bool] | None = None) -> None:
        if not (self.fast and self.fanout(event, data, to, allowed)):
            await self.sio.emit(event, data, room=to)

    def fanout(self, event: str, data: Any, to: str, allowed: Callable[[str], bool] | None = None, namespace: str = "/") -> bool:
        """Queue one pre-encoded packet on every local socket in `to` (that `allowed` admits). False when it
        cannot (binary data)."""
        encoded = self.sio.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data]).encode()
        if not isinstance(encoded, str):  # binary attachments: several packets, leave it to emit
            return False
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        pkt.encode()  # fills pkt.encode_cache: every writer reuses the same string
        sockets = self.sio.eio.sockets
        for sid, eio_sid in self.sio.manager.get_participants(namespace, to):
            if allowed is not None and not allowed(sid):
                continue
            sock = sockets.get(eio_sid)
            if sock is not None and not sock.closed:
                sock.queue.put_nowait(pkt)
        return True
