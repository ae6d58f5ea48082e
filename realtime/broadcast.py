"""Delivers committed events to their audience: room 'meeting:<id>' (every client that joined it)."""
from __future__ import annotations

from typing import Any

import socketio


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


class Broadcaster:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def publish(self, events: list[dict[str, Any]]) -> None:
        # Events of one transaction go out in seq order; clients reorder or resync across transactions.
        for env in events:
            await self.sio.emit("event", env, room=room(env["meeting_id"]))
