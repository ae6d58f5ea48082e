"""Wires the domain packages into the app: their HTTP routes, socket events and snapshot slices.

Each domain beyond meetings adds one entry here; nothing else in app/ needs to know about it.
"""
from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from accounts.routes import routes as account_routes
from app.context import AppContext
from meetings import present as meeting_present
from meetings.routes import routes as meeting_routes
from votes import present as vote_present
from votes import socket as vote_socket
from votes.routes import routes as vote_routes


def http_routes() -> list[BaseRoute]:
    return [*account_routes, *meeting_routes, *vote_routes]


def install(ctx: AppContext) -> None:
    """Register snapshot slices and socket event modules of the other domains (called by create_app)."""
    meeting_present.register_slice("votes", vote_present.votes_slice)
    extensions: list[Any] = [vote_socket.register]
    ctx.socket_extensions.extend(extensions)
