"""Budgets of cost, not of requests: at most `limit` units (CPU-seconds of a worker) per key in a sliding window.

A request limit suits work whose cost is about the same each time; the public signature check's cost differs by
orders of magnitude between files (minutes/routes.py verify), so each caller is charged what its jobs actually cost
once they end, and refused (429 with Retry-After) while what it spent in the window is at or above the limit. A
caller may thus overshoot by the job it has running when it crosses the limit (one: documents/admission.py holds
one verify job per address), never more.

Kept in Redis when ECABINET_REDIS_URL is set (every node charges and checks the same sums, on Redis's clock), as
infra/ratelimit.py's budgets; while Redis is unreachable this node's own sums are used (logged once per outage), so
the budget is never lifted."""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections import deque
from typing import Any

from core.errors import RateLimited

log = logging.getLogger("ecabinet.ratelimit")
_SWEEP_EVERY = 1024  # charges between sweeps of keys whose charges have all expired

# Drop what left the window, then answer the milliseconds until the key's sum falls below the limit (0: admitted).
# Members are "<random>:<cost in milli-units>".
_CHECK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local rows = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local total = 0
for i = 1, #rows, 2 do
  total = total + tonumber(string.match(rows[i], ':(%d+)$'))
end
for i = 1, #rows, 2 do
  if total < limit then break end
  total = total - tonumber(string.match(rows[i], ':(%d+)$'))
  if total < limit then return math.max(tonumber(rows[i + 1]) + window - now, 1) end
end
return 0
"""
_CHARGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 0
"""


class CostBudget:
    """`limit` units per key in `window_seconds`, in this process."""

    def __init__(self, limit: float, window_seconds: float) -> None:
        self.limit, self.window = limit, window_seconds
        self.spent: dict[str, deque[tuple[float, float]]] = {}
        self._since_sweep = 0

    def _wait(self, key: str, now: float) -> float:
        rows = self.spent.get(key)
        if not rows:
            return 0.0
        while rows and rows[0][0] <= now - self.window:
            rows.popleft()
        total = sum(cost for _, cost in rows)
        for at, cost in rows:
            if total < self.limit:
                break
            total -= cost
            if total < self.limit:
                return at + self.window - now
        return 0.0

    async def check(self, key: str, message: str) -> None:
        """RateLimited (Retry-After: until enough of what `key` spent leaves the window) while `key` has spent its
        limit; counts nothing. `message` may use {seconds}."""
        _refuse(self._wait(key, time.monotonic()), message)

    async def charge(self, key: str, cost: float) -> None:
        """`key` spent `cost` units now."""
        now = time.monotonic()
        self._sweep(now)
        self.spent.setdefault(key, deque()).append((now, max(0.0, cost)))

    async def spent_by(self, key: str) -> float:
        """What `key` spent in the window (tests, and a look at it)."""
        now = time.monotonic()
        return sum(cost for at, cost in self.spent.get(key, ()) if at > now - self.window)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _sweep(self, now: float) -> None:
        """Many addresses must not grow memory without bound."""
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        for key in [k for k, rows in self.spent.items() if not rows or rows[-1][0] <= now - self.window]:
            del self.spent[key]


def _refuse(wait: float, message: str) -> None:
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(message, seconds=seconds, retry_after=seconds, details={"reason": "cost_budget"})


class SharedCostBudget(CostBudget):
    """The same budget kept in Redis, shared by every node; this node's own sums while Redis is unreachable."""

    def __init__(self, limit: float, window_seconds: float, redis_url: str, prefix: str) -> None:
        super().__init__(limit, window_seconds)
        from redis.exceptions import RedisError

        from infra.cluster import redis_client

        self._redis = redis_client(redis_url)
        self._check = self._redis.register_script(_CHECK)
        self._charge = self._redis.register_script(_CHARGE)
        self._prefix = f"{prefix}:cost:"
        self._unreachable = (RedisError, OSError, TimeoutError)
        self.down = False

    async def check(self, key: str, message: str) -> None:
        await super().check(key, message)  # what this node charged while Redis was away still counts
        try:
            wait_ms = await self._check(
                keys=[self._prefix + key], args=[int(self.window * 1000), self._milli(self.limit)]
            )
        except self._unreachable as exc:
            self._lost(exc)
            return
        self._back()
        _refuse(int(wait_ms) / 1000, message)

    async def charge(self, key: str, cost: float) -> None:
        member = f"{secrets.token_hex(8)}:{self._milli(cost)}"
        try:
            await self._charge(keys=[self._prefix + key], args=[int(self.window * 1000), member])
        except self._unreachable as exc:
            self._lost(exc)
            await super().charge(key, cost)  # still counted, on this node
            return
        self._back()

    async def spent_by(self, key: str) -> float:
        seconds, micros = await self._redis.time()
        since = int(seconds) * 1000 + int(micros) // 1000 - int(self.window * 1000)
        rows: list[Any] = await self._redis.zrangebyscore(self._prefix + key, f"({since}", "+inf")
        total = sum(int((r.decode() if isinstance(r, bytes) else r).rsplit(":", 1)[1]) for r in rows) / 1000
        return total + await super().spent_by(key)

    async def stop(self) -> None:
        await self._redis.aclose()

    def _milli(self, cost: float) -> int:
        return max(0, round(cost * 1000))

    def _lost(self, exc: BaseException) -> None:
        if not self.down:
            self.down = True
            log.warning("cost budget: Redis unreachable (%s: %s); counting on this node alone", type(exc).__name__, exc)

    def _back(self) -> None:
        if self.down:
            self.down = False
            log.warning("cost budget: Redis answers again; costs are counted in Redis (shared) again")


def cost_budget(limit: float, window_seconds: float, redis_url: str = "", prefix: str = "ecabinet") -> CostBudget:
    if redis_url:
        return SharedCostBudget(limit, window_seconds, redis_url, prefix)
    return CostBudget(limit, window_seconds)
