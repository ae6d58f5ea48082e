"""The socket.io server: websocket only, same origin, authenticated by the session cookie at connect."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import socketio

from infra.cluster import redis_options
from infra.context import AppContext
from realtime import direct, packet_json
from realtime.broadcast import ACCESS_SIGNAL
from realtime.guarded import MAX_FRAME_BYTES, GuardedServer

log = logging.getLogger("ecabinet.realtime")


def origin_checker(extra: tuple[str, ...]):
    """Same origin (whatever scheme) plus configured extras; a client that sends no Origin is not a browser."""

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        if origin in extra:
            return True
        try:
            return urlsplit(origin).netloc == environ.get("HTTP_HOST", "")
        except ValueError:  # not a URL at all ("http://[::1"): not this site
            return False

    return allowed


class ClusterManager(socketio.AsyncRedisManager):
    """The Redis client manager, plus one server-to-server message: a meeting's access changed (realtime/
    audience.py). Redis keeps a publisher's order, so every node re-checks its own sockets of that meeting
    before it delivers the events that follow the signal. A meeting event is published once per node and
    each node fans it out to its own sockets on the fast path."""

    ecabinet_rooms: Any = None  # realtime.audience.Rooms (the manager's own `rooms` is its room registry)
    # realtime.broadcast.Broadcaster.local_fanout: a meeting event published once reaches this node's sockets
    # through the fast path (one encode, direct frames), not one task per socket.
    ecabinet_fanout: Any = None
    ecabinet_cluster: Any = None  # infra.cluster.Cluster: knows when Redis is unreachable (build_server sets it)

    async def _publish(self, data: Any) -> None:
        """One attempt, and none while this node knows Redis is unreachable: python-socketio's own tries twice with
        a connection timeout each, which held every write's answer 2.4-4.8 s during an outage. This node's sockets
        had the emit already (emit handles it here first); the other nodes' get what they missed from the event
        log once Redis is back (realtime/repair.py)."""
        cluster = self.ecabinet_cluster
        if cluster is None:
            await super()._publish(data)
            return
        if not cluster.reachable:
            return
        try:
            if not getattr(self, "connected", False):  # set by python-socketio's _redis_connect
                self._redis_connect()
            await self.redis.publish(self.channel, self.json.dumps(data))
        except Exception as exc:  # Redis gone: said once per outage; the heartbeat notices when it answers
            self.connected = False
            cluster.lost(exc)

    async def _redis_listen_with_retries(self) -> Any:
        """As python-socketio's, but after a lost connection it subscribes again every second instead of backing
        off up to a minute: a node that is not subscribed misses every other node's events (they are repaired
        from the event log, realtime/repair.py, but later)."""
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:  # Redis gone or restarting: try again shortly (said once per outage)
                if self.ecabinet_cluster is not None:
                    self.ecabinet_cluster.lost(exc)
                else:
                    log.warning("socket.io channel lost (%s); subscribing again in 1 s", type(exc).__name__)
                await asyncio.sleep(1)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if (
            self.ecabinet_fanout is not None
            and isinstance(room, str)
            and room.startswith("meeting:")
            and message.get("callback") is None
            and not message.get("binary")
            and not message.get("skip_sid")
            and len(message.get("data") or ()) == 1
        ):
            if self.ecabinet_fanout(message["event"], message["data"][0], room, message.get("namespace") or "/"):
                return
        if room != ACCESS_SIGNAL:
            await super()._handle_emit(message)
        elif self.ecabinet_rooms is not None and message.get("host_id") != self.host_id:
            signal = message["data"][0]
            await self.ecabinet_rooms.ensure_current(int(signal["meeting_id"]), int(signal["access_seq"]))


def build_server(ctx: AppContext) -> tuple[socketio.AsyncServer, Any]:
    """The server and its SocketActions (whose `rooms` the broadcaster delivers through)."""
    s = ctx.settings
    # Several web processes share rooms through Redis; seq lives in the database, so order survives too.
    manager = None
    if s.redis_url:
        manager = ClusterManager(s.redis_url, channel=s.redis_channel, redis_options=redis_options())
        manager.ecabinet_cluster = ctx.cluster
    kwargs: dict[str, Any] = {"client_manager": manager} if manager else {}
    sio = GuardedServer(
        async_mode="asgi",
        transports=["websocket"],
        cors_allowed_origins=origin_checker(ctx.settings.allowed_origins),
        max_http_buffer_size=MAX_FRAME_BYTES,  # and uvicorn's ws_max_size (app/cli.py): the largest event, no more
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
        json=packet_json,
        connect_timeout=s.socket_connect_timeout_seconds,  # not signed in by then: closed (realtime/guarded.py)
        **kwargs,
    )
    direct.install(sio)  # websockets on uvicorn's sans-io protocol: no writer task or queue per socket
    from realtime.handlers import register  # handlers need the server they register on

    actions = register(sio, ctx)
    if manager is not None:
        manager.ecabinet_rooms = actions.rooms
    for extension in ctx.socket_extensions:
        extension(actions)
    return sio, actions
