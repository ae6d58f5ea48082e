"""The socket.io server: websocket only, same origin, authenticated by the session cookie at connect."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import socketio

from app.context import AppContext

log = logging.getLogger("ecabinet.realtime")


def origin_checker(extra: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Same origin (whatever scheme) plus configured extras; a client that sends no Origin is not a browser."""

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        if origin in extra:
            return True
        return urlsplit(origin).netloc == environ.get("HTTP_HOST", "")

    return allowed


def build_server(ctx: AppContext) -> tuple[socketio.AsyncServer, Any]:
    """The server and its SocketActions (whose `rooms` the broadcaster delivers through)."""
    s = ctx.settings
    # Several web processes share rooms through Redis; seq lives in the database, so order survives too.
    manager = socketio.AsyncRedisManager(s.redis_url, channel=s.redis_channel) if s.redis_url else None
    kwargs: dict[str, Any] = {"client_manager": manager} if manager else {}
    sio = socketio.AsyncServer(
        async_mode="asgi",
        transports=["websocket"],
        cors_allowed_origins=origin_checker(ctx.settings.allowed_origins),
        max_http_buffer_size=1_000_000,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
        **kwargs,
    )
    from realtime.handlers import register  # handlers need the server they register on

    actions = register(sio, ctx)
    for extension in ctx.socket_extensions:
        extension(actions)
    return sio, actions
