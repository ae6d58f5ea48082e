"""Rate limits: failure budgets for slow secret checks (login, signing password; in process, or in Redis when
several web processes share the work, with this process's own count while Redis is unreachable) and token
buckets for noisy sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections import deque
from typing import Any, AsyncIterator, Mapping

from core.errors import RateLimited

_SWEEP_EVERY = 1024  # reservations between sweeps of keys whose attempts have all expired
PROBE_EVERY = 1.0  # seconds between two PINGs of an unreachable Redis (the shared budget's way back)
log = logging.getLogger("ecabinet.ratelimit")


class Reservation:
    """One attempt counted in advance. It stays counted (a failure) unless the caller releases it. Keys
    checked `after` are counted only when the caller says the attempt failed."""

    def __init__(self, budget: "FailureBudget", stamps: dict[str, Any], after: tuple[str, ...] = ()) -> None:
        self._budget, self._stamps, self._after = budget, stamps, after

    async def release(self) -> None:
        """The attempt succeeded (or never reached the secret check): it is not a failure."""
        stamps, self._stamps = self._stamps, {}
        await self._budget.forget(stamps)

    async def failed(self) -> None:
        """The secret was wrong: count it against the `after` keys too."""
        after, self._after = self._after, ()
        await self._budget.count(after)


class FailureBudget:
    """Attempts at a slow secret check are counted BEFORE the check runs, so that parallel guesses cannot all
    be evaluated while the first ones are still hashing. `reserve` checks every key and counts the attempt
    against all of them with no await in between: atomic within the event loop (one web process)."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self.hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    def _wait(self, key: str, limit: int, now: float) -> float:
        hits = self.hits.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return 0.0 if len(hits) < limit else hits[0] + self.window - now

    async def reserve(
        self, limits: Mapping[str, int], message: str, *, after: Mapping[str, int] | None = None
    ) -> Reservation:
        """Counts one attempt against every key (key -> its limit), or raises RateLimited with Retry-After;
        `message` may use {seconds}. Keys in `after` are checked now but counted only by Reservation.failed():
        wide keys (one address over all accounts: a hall of tablets behind one NAT logs in at once) must not
        count the logins still in flight."""
        after = after or {}
        now = time.monotonic()
        _refuse(max(self._wait(key, limit, now) for key, limit in {**limits, **after}.items()), message)
        self._sweep(now)
        for key in limits:
            self.hits.setdefault(key, deque()).append(now)
        return Reservation(self, dict.fromkeys(limits, now), tuple(after))

    def check(self, limits: Mapping[str, int], message: str) -> None:
        """Refuses (RateLimited) when any key is over its limit; counts nothing."""
        now = time.monotonic()
        _refuse(
            max((self._wait(key, limit, now) for key, limit in limits.items() if key in self.hits), default=0), message
        )

    async def count(self, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        for key in keys:
            self.hits.setdefault(key, deque()).append(now)

    async def forget(self, stamps: Mapping[str, Any]) -> None:
        for key, stamp in stamps.items():
            hits = self.hits.get(key)
            if hits is not None and stamp in hits:
                hits.remove(stamp)

    async def clear(self, key: str) -> None:
        self.hits.pop(key, None)

    async def close(self) -> None:
        pass

    def _sweep(self, now: float) -> None:
        """Guessing many user names must not grow memory without bound."""
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        for key in [k for k, hits in self.hits.items() if not hits or hits[-1] <= now - self.window]:
            del self.hits[key]


def _refuse(wait: float, message: str) -> None:
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(message, seconds=seconds, retry_after=seconds)


# Check every key, then count the attempt against all of them, in one step on the Redis server (its clock):
# several web processes share one budget. Answers the milliseconds to wait, 0 when counted.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[2 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now, 1)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  if i <= tonumber(ARGV[3 + #KEYS]) then
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, window)
  end
end
return 0
"""
# Count a failure against keys that were only checked at reservation (Reservation.failed), on Redis's clock.
_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return 0
"""


class SharedFailureBudget(FailureBudget):
    """The same budget kept in Redis (ECABINET_REDIS_URL), for several web processes behind one proxy.

    Redis unreachable (down, restarting, refusing): sign-in goes on, never a 500, and is never unlimited. The
    attempts are counted in this process (`local`, the same limits: each node then allows its own budget,
    which is what one web process does without Redis), a warning is logged once per outage, and Redis is
    PINGed every PROBE_EVERY until it answers; the shared budget is used again from then on. What was refused
    locally meanwhile stays refused until its window ends (a restarted Redis has forgotten its own counts)."""

    def __init__(self, window_seconds: float, redis_url: str, prefix: str) -> None:
        super().__init__(window_seconds)
        from redis.exceptions import RedisError

        from infra.cluster import redis_client

        # As the cluster's connection (infra/cluster.py): a sign-in never waits on Redis for ever, and a pooled
        # connection a Redis restart closed is replaced instead of failing the sign-in.
        self._redis = redis_client(redis_url)
        self._script = self._redis.register_script(_RESERVE)
        self._count = self._redis.register_script(_COUNT)
        self._prefix = f"{prefix}:budget:"
        self._unreachable = (RedisError, OSError, TimeoutError)
        self.local = FailureBudget(window_seconds)
        self.down = False  # Redis failed a command and has not answered a PING since
        self._probe: asyncio.Task[None] | None = None

    async def reserve(
        self, limits: Mapping[str, int], message: str, *, after: Mapping[str, int] | None = None
    ) -> Reservation:
        after = after or {}
        if not self.down:
            self.local.check({**limits, **after}, message)  # refusals made during an outage outlive it
            try:
                return await self._reserve_shared(limits, message, after)
            except self._unreachable as exc:
                self._lost(exc)
        return await self.local.reserve(limits, message, after=after)  # its Reservation releases locally

    async def _reserve_shared(self, limits: Mapping[str, int], message: str, after: Mapping[str, int]) -> Reservation:
        keys = [self._prefix + key for key in limits]
        checked = [self._prefix + key for key in after]
        member = secrets.token_hex(8)
        args: list[int | str] = [int(self.window * 1000), member, *limits.values(), *after.values(), len(keys)]
        wait_ms = await self._script(keys=keys + checked, args=args)
        _refuse(int(wait_ms) / 1000, message)
        return Reservation(self, dict.fromkeys(keys, member), tuple(checked))

    async def count(self, keys: tuple[str, ...]) -> None:
        if not keys:
            return
        if not self.down:
            try:
                await self._count(keys=list(keys), args=[int(self.window * 1000), secrets.token_hex(8)])
                return
            except self._unreachable as exc:
                self._lost(exc)
        await self.local.count(tuple(key.removeprefix(self._prefix) for key in keys))  # a failure still counts

    async def forget(self, stamps: Mapping[str, Any]) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, member in stamps.items():
                    pipe.zrem(key, member)
                await pipe.execute()
        except self._unreachable as exc:  # the attempt stays counted until its window ends: the safe side
            self._lost(exc)

    async def clear(self, key: str) -> None:
        await self.local.clear(key)
        if self.down:
            return
        try:
            await self._redis.delete(self._prefix + key)
        except self._unreachable as exc:
            self._lost(exc)

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        await self._redis.aclose()

    def _lost(self, exc: BaseException) -> None:
        if self.down:
            return
        self.down = True
        log.warning(
            "sign-in limits: Redis unreachable (%s: %s); counting failures on this node alone until it answers",
            type(exc).__name__,
            exc,
        )
        self._probe = asyncio.ensure_future(self._until_redis_answers())

    async def _until_redis_answers(self) -> None:
        while True:
            await asyncio.sleep(PROBE_EVERY)
            try:
                await asyncio.wait_for(self._redis.ping(), 2)
                break
            except Exception:  # still unreachable: the next PING in PROBE_EVERY
                continue
        self.down = False
        log.warning("sign-in limits: Redis answers again; failures are counted in Redis (shared) again")


def failure_budget(window_seconds: float, redis_url: str = "", prefix: str = "ecabinet") -> FailureBudget:
    return SharedFailureBudget(window_seconds, redis_url, prefix) if redis_url else FailureBudget(window_seconds)


class SlidingWindow:
    """At most `limit` events per key in the window, counted as they happen (uploads to a public checker)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self._budget = FailureBudget(window_seconds)

    async def take(self, key: str, message: str) -> None:
        """Counts one event for `key`, or raises RateLimited (with Retry-After) when the window is full."""
        await self._budget.reserve({key: self.limit}, message)


class TokenBucket:
    """Allows `rate` events per second with bursts of `burst`; used per socket for event floods."""

    __slots__ = ("rate", "burst", "tokens", "stamp")  # one per live socket: no __dict__ each

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class KeyedGate:
    """At most `width` holders per key at once; more wait their turn, up to `queue` waiting (beyond: refused). The
    password checks of one address: an address-wide failure count is taken only once a guess has failed (so a hall
    of tablets behind one address signs in at once), so without the gate a burst of guesses would all be checked
    before the first failure is counted. Through it, at most `width` - 1 guesses beyond the budget are evaluated (per
    web process); the hall's logins wait a moment in turn instead."""

    def __init__(self, width: int = 4, queue: int = 256) -> None:
        self.width, self.queue = width, queue
        self._gates: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str, message: str) -> AsyncIterator[None]:
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = (asyncio.Semaphore(self.width), [0])
        semaphore, users = gate
        if users[0] >= self.width + self.queue:
            _refuse(1, message)
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                self._gates.pop(key, None)  # no key outlives its last caller: memory stays bounded
