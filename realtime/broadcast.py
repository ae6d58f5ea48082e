"""Delivers committed events to their audience: room 'meeting:<id>' (every client that joined it).

Fast path (the default when this process owns every socket, i.e. the default in-memory client manager):
the Socket.IO packet is JSON-encoded once and wrapped once as an Engine.IO MESSAGE whose encoding is cached,
and that one object is put straight on each recipient socket's outgoing queue — no asyncio task per
recipient, no per-recipient coroutine chain, no asyncio.wait over hundreds of tasks (what python-socketio's
AsyncManager.emit does). Each socket's own Engine.IO writer task drains its queue in order, so per-socket
ordering with everything else sent to that socket (acks, pings, presence) is exactly as with sio.emit, and
events of one meeting leave in seq order. bench/fanout.py measures the difference (docs/performance.md).

With any other client manager (Redis, Kafka, ...) other nodes hold sockets too, so we use sio.emit, which
publishes through the manager.
"""
from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def user_room(user_id: int) -> str:
    """Every socket of one signed-in user (joined at connect): private, per-author events (annotations)."""
    return f"user:{user_id}"


class Broadcaster:
    def __init__(self, sio: socketio.AsyncServer, *, fast: bool = True) -> None:
        self.sio = sio
        # Exactly the default manager: subclasses (AsyncRedisManager, AsyncPubSubManager, ...) fan out across
        # nodes and must go through emit.
        self.fast = fast and type(sio.manager) is socketio.AsyncManager

    async def publish(self, events: list[dict[str, Any]]) -> None:
        # Events of one transaction go out in seq order; clients reorder or resync across transactions.
        for env in events:
            if not (self.fast and self.fanout("event", env, room(env["meeting_id"]))):
                await self.sio.emit("event", env, room=room(env["meeting_id"]))

    def fanout(self, event: str, data: Any, to: str, namespace: str = "/") -> bool:
        """Queue one pre-encoded packet on every local socket in `to`. False when it cannot (binary data)."""
        encoded = self.sio.packet_class(sio_packet.EVENT, namespace=namespace, data=[event, data]).encode()
        if not isinstance(encoded, str):  # binary attachments: several packets, leave it to emit
            return False
        pkt = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        pkt.encode()  # fills pkt.encode_cache: every writer reuses the same string
        sockets = self.sio.eio.sockets
        for _sid, eio_sid in self.sio.manager.get_participants(namespace, to):
            sock = sockets.get(eio_sid)
            if sock is not None and not sock.closed:
                sock.queue.put_nowait(pkt)
        return True
