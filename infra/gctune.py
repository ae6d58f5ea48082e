"""Garbage-collector settings for the long-running server.

A full (generation 2) collection walks every container object of the process. After start-up that is a few
hundred thousand objects (modules, the ORM's metadata, templates, the demo's data), and at 10 meeting events
a second a full pass every few seconds stalled the event loop for 100–250 ms: the p99 of a chair's tap
reaching 500 tablets (bench/fanout.py). What exists at the end of start-up lives as long as the process, so
it is moved out of the collector's sight (gc.freeze); what comes later (sockets, sessions, requests) is
collected as usual, and a bigger first-generation threshold makes the young passes rarer (each event makes
many short-lived dicts that reference counting frees anyway).

The same moment shortens the interpreter's switch interval (SWITCH_INTERVAL). A chair's tap runs its write
transaction on a worker thread while the event loop may still be writing the previous event to a thousand
sockets; the two share the GIL, and with CPython's default (5 ms) each hand-over can make the other wait up to
5 ms, several times per transaction. At 1 ms the tap's p99 to 1000 tablets was 64-73 ms against 83-98 ms
at 5 ms (bench/fanout.py, two runs of each, alternating, same machine; docs/performance.md).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import sys
from typing import Callable

YOUNG_THRESHOLD = 20_000  # CPython's default is 700 (3.11)
SWITCH_INTERVAL = 0.001  # seconds; CPython's default is 0.005


def settle_after_startup() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    sys.setswitchinterval(SWITCH_INTERVAL)


# --- Memory given back after a burst of connections ---------------------------------------------------------
# When hundreds of tablets join at once, each join builds its snapshot, its ack and the ORM's objects; freed
# afterwards, most of that stays in the C allocator's heap (glibc keeps freed pages) and counts in the process'
# RSS as if it were still used (about 10 KB per tablet joined, bench/fanout.py). Once the connections of a
# burst have settled, malloc_trim hands the free pages back to the system. Nothing is trimmed where the C
# library has no malloc_trim (not glibc).
TRIM_AFTER = 0.5  # seconds without a new connection before trimming


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


class Trimmer:
    def __init__(self) -> None:
        self.trim = _malloc_trim()
        self.timer: asyncio.TimerHandle | None = None
        self.trimmed = 0

    def connected(self) -> None:
        """A connection was opened (or other burst work was done, e.g. the followers' watermarks drawn ahead:
        documents/prewarm.py): trim once nothing else has come for TRIM_AFTER seconds."""
        if self.trim is None:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = asyncio.get_running_loop().call_later(TRIM_AFTER, self._run)

    def _run(self) -> None:
        self.timer = None
        if self.trim is not None:
            self.trim(0)
            self.trimmed += 1


trimmer = Trimmer()
