"""Delivery of private annotation changes to their author's own sockets (edge code, after COMMIT).

Server -> client event `annotation` with {type: annotation.created | annotation.updated | annotation.deleted,
annotation: {...}} goes to room user:<author id> only: the author's other tablets. No seq (these are not
meeting events); a client that reconnects refetches GET /api/documents/{id}/annotations.
"""
from __future__ import annotations

from typing import Any

import socketio

from realtime.broadcast import user_room


async def to_author(sio: socketio.AsyncServer, user_id: int, type_: str, annotation: dict[str, Any],
                    skip_sid: str | None = None) -> None:  # fmt: skip
    await sio.emit("annotation", {"type": type_, "annotation": annotation}, room=user_room(user_id), skip_sid=skip_sid)
