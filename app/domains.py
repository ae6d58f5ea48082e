"""Wires the domain packages into the app: their HTTP routes, socket events and snapshot slices.

Each domain beyond meetings adds one entry here; nothing else in app/ needs to know about it.
"""
from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from accounts.routes import routes as account_routes
from app.context import AppContext
from meetings.routes import routes as meeting_routes


def http_routes() -> list[BaseRoute]:
    return [*account_routes, *meeting_routes]


def install(ctx: AppContext) -> None:
    """Register snapshot slices and socket event modules of the other domains (called by create_app)."""
    extensions: list[Any] = []
    ctx.socket_extensions.extend(extensions)
