"""This node's place in a cluster of `ecabinet serve` processes sharing one database and one Redis.

Each node has an id (ECABINET_NODE_ID, or a fresh random one per process, so a restarted node is a new
node), keeps a liveness key in Redis alive with a heartbeat, and says it is draining once SIGTERM arrived
(/healthz then answers 503 so the load balancer stops sending it new work). Nodes whose liveness key
expired (SIGKILL, power loss) are reaped by whichever live node sees it first: the hooks registered with
`on_node_dead` (shared presence) drop what that node had announced.
Without ECABINET_REDIS_URL there is one node and nothing is shared.
While Redis is unreachable the node keeps serving on its own (`reachable` is False: shared presence answers
this node's list, rtc:* is served only for meetings whose media is known to live here, sign-in limits count
per node, infra/ratelimit.py); one warning says so when the outage starts and one when Redis answers again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from typing import Any, Awaitable, Callable

from infra.settings import Settings

log = logging.getLogger("ecabinet.cluster")
DeadHook = Callable[[str], Awaitable[None]]
RejoinHook = Callable[[], Awaitable[object]]


def redis_options() -> dict[str, Any]:
    """How every Redis client of a node connects (the cluster's, the sign-in limits', socket.io's queue). After a
    Redis restart its pooled connections are dead: one idle for `health_check_interval` is PINGed before use and
    replaced if dead, and a command that meets a dropped or refused connection is sent again on a new one for
    about a second (redis-py's default gives up after ~0.1 s, shorter than a restart), instead of failing the
    request it serves (a 500 at login, an internal_error at meeting:join).
    Only connection errors are retried, never a timeout (the command may be running): a command is at worst
    run twice when the connection dropped after Redis ran it, which the callers bear (a sign-in attempt counted
    twice, a presence list or a socket.io message published twice: both are deduplicated by their receivers)."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    return {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 5,
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 4),  # tried again for 1.2 s: a restart's gap
        "retry_on_error": [RedisConnectionError],
    }


def redis_client(url: str) -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(url, **redis_options())


def node_name(settings: Settings) -> str:
    return settings.node_id or f"{socket.gethostname()}-{settings.port}-{secrets.token_hex(3)}"


class Cluster:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.node_id = node_name(settings)
        self.prefix = settings.redis_channel
        self.draining = False
        self.redis: Any = None
        if settings.redis_url:
            self.redis = redis_client(settings.redis_url)
        self._dead_hooks: list[DeadHook] = []
        self._rejoin_hooks: list[RejoinHook] = []
        self._beat_hooks: list[RejoinHook] = []
        self._task: asyncio.Task[None] | None = None
        # False from a failed command (heartbeat or request) until the next heartbeat that Redis answers: callers
        # then skip Redis instead of waiting on its retries at every request.
        self.reachable = True
        self.services: list[Any] = []  # started after the first heartbeat, stopped before this node leaves

    @property
    def shared(self) -> bool:
        return self.redis is not None

    @property
    def ttl_ms(self) -> int:
        """A node is dead when it missed three heartbeats."""
        return int(self.settings.cluster_heartbeat_seconds * 3000)

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def on_node_dead(self, hook: DeadHook) -> None:
        self._dead_hooks.append(hook)

    def on_rejoin(self, hook: RejoinHook) -> None:
        """Called when this node finds its own liveness key gone (it was stalled and reaped): re-announce."""
        self._rejoin_hooks.append(hook)

    def on_beat(self, hook: RejoinHook) -> None:
        """Called after each heartbeat (e.g. to notice that a node one depends on has died)."""
        self._beat_hooks.append(hook)

    async def start(self) -> None:
        if self.shared:
            try:
                # A previous process of this node id (killed, then restarted with the same ECABINET_NODE_ID
                # before it was reaped) left entries nobody would ever remove: this process holds none yet.
                await self._reap(self.node_id)
                await self._beat()
            except Exception as exc:  # Redis down at start: /healthz says so, and the heartbeat keeps trying
                self.lost(exc)
            self._task = asyncio.ensure_future(self._loop())
        for service in self.services:
            await service.start()

    async def stop(self) -> None:
        """Leaving on purpose: this node's entries go now, not when its key expires."""
        for service in self.services:
            with contextlib.suppress(Exception):
                await service.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.shared:
            with contextlib.suppress(Exception):
                await self.redis.delete(self.key("node", self.node_id))
                await self._reap(self.node_id)
            await self.redis.aclose()

    async def ping(self) -> str | None:
        """None when Redis answers (or none is configured), else what went wrong."""
        if not self.shared:
            return None
        try:
            await asyncio.wait_for(self.redis.ping(), 2)
            return None
        except Exception as exc:  # any failure means this node cannot share state
            return type(exc).__name__

    def lost(self, exc: BaseException) -> None:
        """A Redis command failed: logged once per outage, not at every heartbeat or request."""
        if self.reachable:
            self.reachable = False
            log.warning(
                "Redis unreachable (%s: %s); this node serves on its own until it answers", type(exc).__name__, exc
            )

    def answered(self) -> None:
        if not self.reachable:
            self.reachable = True
            log.warning("Redis answers again; this node shares its state again")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.cluster_heartbeat_seconds)
            try:
                await self._beat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.lost(exc)
                continue
            self.answered()
            try:
                await self._reap_dead()
                for hook in self._beat_hooks:
                    await hook()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("cluster heartbeat's follow-up failed", exc_info=True)

    async def _beat(self) -> None:
        alive = self.key("node", self.node_id)
        was = await self.redis.set(alive, "1", px=self.ttl_ms, get=True)
        await self.redis.sadd(self.key("nodes"), self.node_id)
        if was is None and self._task is not None:  # we were presumed dead in between
            log.warning("node %s: liveness key had expired; announcing this node's state again", self.node_id)
            for hook in self._rejoin_hooks:
                await hook()

    async def _reap_dead(self) -> None:
        for raw in await self.redis.smembers(self.key("nodes")):
            node = raw.decode()
            if node == self.node_id or await self.redis.exists(self.key("node", node)):
                continue
            # One live node reaps a dead one (the lock expires by itself should this one die meanwhile).
            if await self.redis.set(self.key("reaping", node), self.node_id, nx=True, px=self.ttl_ms):
                log.info("node %s is gone (no heartbeat): dropping its shared state", node)
                await self._reap(node)

    async def _reap(self, node: str) -> None:
        for hook in self._dead_hooks:
            await hook(node)
        await self.redis.srem(self.key("nodes"), node)


class Subscription:
    """One Redis channel read for as long as the node runs (subscribing again after a lost connection);
    each message's JSON goes to `handle`. A cluster service: start() returns once subscribed (or after 2 s
    if Redis is unreachable: /healthz says so meanwhile)."""

    def __init__(
        self, redis: Any, channel: str, handle: Callable[[Any], Awaitable[None]], *, concurrent: bool = False
    ) -> None:
        self.redis, self.channel, self.handle = redis, channel, handle
        self.concurrent = concurrent  # each message in its own task (requests that may wait), else in order
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.ensure_future(self._listen())
        try:
            await asyncio.wait_for(self._ready.wait(), 2)
        except TimeoutError:
            log.warning("channel %s not subscribed yet (Redis unreachable?); going on", self.channel)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _listen(self) -> None:
        import json

        failing = False  # one warning per outage, not one a second
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._ready.set()
                    if failing:
                        failing = False
                        log.info("channel %s subscribed again", self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = json.loads(message["data"])
                        if self.concurrent:
                            asyncio.ensure_future(self.handle(data))
                        else:
                            await self.handle(data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    log.warning("channel %s lost (%s); subscribing again every second", self.channel, exc)
                failing = True
                await asyncio.sleep(1)
