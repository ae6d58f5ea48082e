"""In-process rate limits: failure budgets for slow secret checks (login, signing password) and token
buckets for noisy sockets."""
from __future__ import annotations

import math
import time
from collections import deque
from typing import Mapping

from core.errors import RateLimited

_SWEEP_EVERY = 1024  # reservations between sweeps of keys whose attempts have all expired


class Reservation:
    """One attempt counted in advance. It stays counted (a failure) unless the caller releases it."""

    def __init__(self, budget: "FailureBudget", stamps: dict[str, float]) -> None:
        self._budget, self._stamps = budget, stamps

    def release(self) -> None:
        """The attempt succeeded (or never reached the secret check): it is not a failure."""
        for key, stamp in self._stamps.items():
            hits = self._budget.hits.get(key)
            if hits is not None and stamp in hits:
                hits.remove(stamp)
        self._stamps = {}


class FailureBudget:
    """Attempts at a slow secret check are counted BEFORE the check runs, so that parallel guesses cannot all
    be evaluated while the first ones are still hashing. `reserve` checks every key and counts the attempt
    against all of them with no await in between: atomic within the event loop."""

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

    def reserve(self, limits: Mapping[str, int], message: str) -> Reservation:
        """Counts one attempt against every key (key -> its limit), or raises RateLimited with Retry-After;
        `message` may use {seconds}."""
        now = time.monotonic()
        wait = max(self._wait(key, limit, now) for key, limit in limits.items())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(message.format(seconds=seconds), retry_after=seconds)
        self._sweep(now)
        for key in limits:
            self.hits.setdefault(key, deque()).append(now)
        return Reservation(self, dict.fromkeys(limits, now))

    def clear(self, key: str) -> None:
        self.hits.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Guessing many user names must not grow memory without bound."""
        self._since_sweep += 1
        if self._since_sweep < _SWEEP_EVERY:
            return
        self._since_sweep = 0
        for key in [k for k, hits in self.hits.items() if not hits or hits[-1] <= now - self.window]:
            del self.hits[key]


class SlidingWindow:
    """At most `limit` events per key in the window, counted as they happen (uploads to a public checker)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self._budget = FailureBudget(window_seconds)

    def take(self, key: str, message: str) -> None:
        """Counts one event for `key`, or raises RateLimited (with Retry-After) when the window is full."""
        self._budget.reserve({key: self.limit}, message)


class TokenBucket:
    """Allows `rate` events per second with bursts of `burst`; used per socket for event floods."""

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
