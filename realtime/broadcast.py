"""Delivers committed events to their audience (meetings/events.py): an event for every viewer goes to room
'meeting:<id>'; one for a narrower audience goes to 'meeting:<id>/<audience>', and its placeholder (seq only)
to 'meeting:<id>/-<audience>'. Sockets are in those rooms only while their cached grant says so, and the grants
of a meeting are checked again before any event recorded after a change of access (realtime/audience.py).
Each packet is encoded once per audience, never per socket.

Fast path: the Socket.IO packet is JSON-encoded once per event and audience and wrapped once as an Engine.IO
MESSAGE; realtime/wire.py writes it as one pre-built websocket frame to every idle recipient and queues it
for the others, in one synchronous loop: no asyncio task per recipient, no asyncio.wait over hundreds of
tasks (what python-socketio's AsyncManager.emit does), and per-socket order with everything else sent to
that socket (acks, pings, presence) exactly as with sio.emit. A tablet that stops reading is dropped to a
snapshot resync instead of holding memory (back-pressure, realtime/wire.py).

Several nodes (ECABINET_REDIS_URL): an event is published once through Redis and every node's manager
(realtime/server.py: ClusterManager) hands it to `local_fanout`, the same fast path over its own sockets.
Before the first event of a meeting recorded at a newer access_seq, the other nodes are told to re-check
their sockets of that meeting. Any other client manager goes through sio.emit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from meetings.events import VIEWERS, Delivery, hidden
from realtime.repair import Ledger
from realtime.wire import Sender
from web.sockets import class_room as class_room, room as room  # the rooms' names: shared with the domains' sockets

ACCESS_SIGNAL = "ecabinet:access"  # a room no socket enters (realtime/server.py)

if TYPE_CHECKING:
    from realtime.audience import Rooms


def user_room(user_id: int) -> str:
    """Every socket of one signed-in user (joined at connect): private, per-author events (annotations)."""
    return f"user:{user_id}"


class Broadcaster:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        rooms: "Rooms",
        *,
        fast: bool = True,
        wire: bool = True,
        on_event: list[Callable[[dict[str, Any]], None]] | None = None,
    ) -> None:
        self.sio = sio
        self.rooms = rooms
        # Told of each envelope before it goes out, on every node that delivers it (in a cluster, as each node's
        # share arrives): the domains' per-socket caches are dropped before the sockets hear of the change.
        self.on_event = on_event if on_event is not None else []
        self.cluster = isinstance(sio.manager, AsyncPubSubManager)
        # The default manager, or our Redis manager (which fans out locally through `fanout` on every node);
        # any other manager goes through emit.
        self.fast = fast and (type(sio.manager) is socketio.AsyncManager or hasattr(sio.manager, "ecabinet_fanout"))
        self.sender = Sender(sio, direct=wire)
        self.signalled: dict[int, int] = {}  # meeting -> access_seq the other nodes were told of
        # A cluster's pub/sub can lose an event: what this node delivered is recorded, and what it missed is
        # delivered from the event log (realtime/repair.py), each room once.
        self.ledger: Ledger | None = None
        if self.cluster:
            rooms.delivered = None  # other nodes deliver too: this one cannot know, a join always catches up
            sio.manager.ecabinet_fanout = self.local_fanout
            self.ledger = Ledger(rooms)
            rooms.on_caught_up.append(self.ledger.caught_up)

    async def publish(self, events: list[Delivery]) -> None:
        # Events of one transaction go out in seq order; clients reorder or resync across transactions.
        for d in events:
            if not self.cluster:  # a cluster's nodes are told in local_fanout, this one included
                self.observe(d.env)
            await self.rooms.ensure_current(d.meeting_id, d.access_seq)
            self.rooms.delivering(d.meeting_id, d.env["seq"])
            if self.cluster and d.access_seq > self.signalled.get(d.meeting_id, 0):
                self.signalled[d.meeting_id] = d.access_seq
                signal = {"meeting_id": d.meeting_id, "access_seq": d.access_seq}
                await self.sio.emit("access", signal, room=ACCESS_SIGNAL)
            # an envelope is JSON (its data committed in a JSON column): no search for binary attachments
            if d.audience == VIEWERS:
                await self.send("event", d.env, room(d.meeting_id), json_only=True)
            else:
                await self.send("event", d.env, class_room(d.meeting_id, d.audience), json_only=True)
                await self.send("event", hidden(d.env), class_room(d.meeting_id, f"-{d.audience}"), json_only=True)

    def allowed(self, to: str) -> Callable[[str], bool] | None:
        """Each local socket's cached grant is checked again as the packet is queued (not the room alone)."""
        if not to.startswith("meeting:"):
            return None
        mid, _, aud = to[len("meeting:") :].partition("/")
        grants = self.rooms.grants.get(int(mid), {})
        if not aud or aud.startswith("-"):
            return grants.__contains__
        return lambda sid: aud in grants.get(sid, ())

    async def send(self, event: str, data: Any, to: str, *, json_only: bool = False) -> None:
        """`json_only`: `data` is known to hold no bytes (python-socketio would walk all of it to find out)."""
        if self.cluster and self.fast:
            await self.sio.emit(event, data, room=to)  # one publish; every node's manager calls local_fanout
        elif not (self.fast and self.fanout(event, data, to, self.allowed(to), json_only=json_only)):
            await self.sio.emit(event, data, room=to)

    def observe(self, env: dict[str, Any]) -> None:
        for watcher in self.on_event:
            watcher(env)

    def local_fanout(self, event: str, data: Any, to: str, namespace: str = "/") -> bool:
        """This node's share of a cluster-wide emit (realtime/server.py: ClusterManager), or of an event
        repaired from the log (local_delivery). A meeting event a room already had is not sent again."""
        if event == "event" and isinstance(data, dict):
            if self.ledger is not None and not self.ledger.first(to, data):
                return True
            self.observe(data)
        return self.fanout(event, data, to, self.allowed(to), namespace)

    def local_delivery(self, d: Delivery) -> None:
        """A committed event to this node's sockets only, as its pub/sub message would have (realtime/repair.py)."""
        if d.audience == VIEWERS:
            self.local_fanout("event", d.env, room(d.meeting_id))
        else:
            self.local_fanout("event", d.env, class_room(d.meeting_id, d.audience))
            self.local_fanout("event", hidden(d.env), class_room(d.meeting_id, f"-{d.audience}"))

    def fanout(
        self,
        event: str,
        data: Any,
        to: str,
        allowed: Callable[[str], bool] | None = None,
        namespace: str = "/",
        *,
        json_only: bool = False,
    ) -> bool:
        """Deliver one pre-encoded packet to every local socket in `to` (that `allowed` admits). False when it
        cannot (binary data)."""
        binary = False if json_only else None  # None: python-socketio looks for bytes anywhere in `data`
        packet = self.sio.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data], binary=binary)
        encoded = packet.encode()
        if not isinstance(encoded, str):  # binary attachments: several packets, leave it to emit
            return False
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        pkt.encode()  # fills pkt.encode_cache: every queued writer reuses the same string
        targets = [
            eio_sid
            for sid, eio_sid in self.sio.manager.get_participants(namespace, to)
            if allowed is None or allowed(sid)
        ]
        self.sender.deliver(targets, pkt)
        return True
