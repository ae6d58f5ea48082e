"""When a search answer leaves: never earlier than a fixed floor after the request arrived.

The full-text match runs over the one shared index, so its cost grows with the matches in pages the caller may
not read, which are filtered out afterwards (search/rank.py): a word found only in a restricted paper cost ~0.5 ms
more than a word found nowhere, for the same "0 hits" answer, and the last word's prefix could be read letter by
letter that way. That cost is inherent in one index; what the caller sees of it is not. Every answer after the
caller is known (hits, none, a refused query, the budget's 429) is sent at `release_at`: ECABINET_SEARCH_FLOOR_MS
after the route started (monotonic clock), or, past the floor, at the next QUANTUM step; the wait is an asyncio
sleep, so neither the event loop nor a worker thread is held. Sized above bench/search.py's p99, nearly every
answer leaves at exactly the floor, whatever it found; one that takes longer tells at most which step it ended in.
"""

from __future__ import annotations

import asyncio
import math
import time

QUANTUM = 0.050  # seconds: answers slower than the floor leave at floor + k·QUANTUM


def release_at(elapsed: float, floor: float, quantum: float = QUANTUM) -> float:
    """Seconds after the start at which an answer ready after `elapsed` seconds is sent."""
    if elapsed <= floor:
        return floor
    return floor + math.ceil(round((elapsed - floor) / quantum, 9)) * quantum  # 0.05 / 0.05 is one step, not two


async def hold_until_release(started: float, floor: float) -> None:
    """Waits (without blocking the loop) until the release time of an answer whose route started at `started`
    (time.monotonic())."""
    elapsed = time.monotonic() - started
    await asyncio.sleep(release_at(elapsed, floor, QUANTUM) - elapsed)
