"""Watermarked page images, kept in memory per viewer and page, and made once when many ask at once.

A page turn sends every tablet in the room to the same page: 25 viewers, each needing the cached render with
their own watermark (documents/watermark.py), paid as decode + compose + PNG encode per request. Here:
- the decoded render of a page is kept, with its PNG scanlines ready (a few pages: the ones being shown now;
  bounded in bytes), decoded once however many viewers ask at the same moment, so only the viewer's
  watermark pixels and one deflate remain per viewer (documents/watermark.py, documents/pngfast.py);
- the encoded answer is kept per (viewer, render, watermark line): the key holds everything the bytes depend
  on (the render is content-addressed by the version's SHA-256 and the size and page; the line holds the
  viewer's name, unit, the minute and the restricted mark, the diagonal derives from them), so an entry can
  never be stale, only unused; it falls out by size (LRU), or at once when its file is deleted. The
  permission is checked on every request before the cache is asked (documents/routes.py), so a revoked
  viewer gets nothing from it;
- concurrent requests for the same key share one stamping;
- stampings run on as many threads as there are cores (STAMPERS), not on the event loop and not on anyio's
  40 shared worker threads: 25 viewers' stampings at once on 40 threads only fight for the GIL, and the event
  loop (every other request, /healthz among them) waits behind them for it; the deflate and most of the numpy
  work release the GIL, so a thread a core keeps every core busy and the first tablets are answered first.
  A stamping a tablet waits for goes before any stamped ahead (documents/prewarm.py), even one queued ahead
  for the same image;
- documents/prewarm.py fills it for the page the presenter is likely to show next.
Restricted pages are cached here in the server's memory only; the browser is still told `no-store`.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable

from documents import watermark

BUDGET_BYTES = 96 * 2**20  # encoded pages kept (a 1280 px text page is ~250 KiB: ~400 viewer-pages)
DECODED_BYTES = 64 * 2**20  # decoded renders kept (4.6 MB a grey page at 1280 px, 7 MB a colour one)
STAMPERS = max(2, os.cpu_count() or 2)  # threads that stamp pages


@dataclass(eq=False)
class _Job:
    work: Callable[[], bytes]
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[bytes]
    started: bool = field(default=False)


def _settle(fut: asyncio.Future[bytes], body: bytes | None, error: BaseException | None) -> None:
    if fut.done():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(body or b"")


class StampedPages:
    def __init__(self, budget: int = BUDGET_BYTES, decoded: int = DECODED_BYTES) -> None:
        self.budget, self.decoded = budget, decoded
        self.entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self.size = 0
        self.inflight: dict[Hashable, tuple[asyncio.Future[bytes], _Job]] = {}
        self.bases: OrderedDict[Path, watermark.Page] = OrderedDict()
        self.decoding: dict[Path, threading.Lock] = {}
        self.lock = threading.Lock()  # bases are read from worker threads
        self.hits = self.made = self.decoded_count = self.decoded_size = 0
        self.waiting = 0  # requests waiting for a stamping now (work ahead yields to them: documents/prewarm.py)
        self.queue: queue.PriorityQueue[tuple[int, int, _Job]] = queue.PriorityQueue()  # (0 urgent | 1 ahead, n, job)
        self.order = itertools.count()
        self.stampers: list[threading.Thread] = []

    async def get(self, base: Path, key: Hashable, viewer: watermark.Viewer, ahead: bool = False) -> bytes:
        body = self.entries.get(key)
        if body is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            return body
        made = self.inflight.get(key)
        if made is None:
            loop = asyncio.get_running_loop()
            job = _Job(lambda: self._stamp(base, viewer), loop, loop.create_future())
            made = self.inflight[key] = (asyncio.ensure_future(self._make(key, job)), job)
            self._queue(job, urgent=not ahead)
        elif not ahead:
            self._queue(made[1], urgent=True)  # stamped ahead, and a tablet waits for it now: it goes first
        fut = made[0]
        if ahead:
            return await asyncio.shield(fut)
        self.waiting += 1
        try:
            return await asyncio.shield(fut)
        finally:
            self.waiting -= 1

    async def later(self, work: Callable[[], object]) -> None:
        """Work ahead that is no page (a follower's marks, documents/prewarm.py) on the stamping threads, behind
        every tablet's page."""
        loop = asyncio.get_running_loop()
        job = _Job(lambda: (work(), b"")[1], loop, loop.create_future())
        self._queue(job, urgent=False)
        await job.done

    def _queue(self, job: _Job, urgent: bool) -> None:
        if job.started:
            return
        self.queue.put((0 if urgent else 1, next(self.order), job))
        with self.lock:
            if len(self.stampers) < STAMPERS:
                thread = threading.Thread(target=self._stamper, name=f"stamp-{len(self.stampers)}", daemon=True)
                self.stampers.append(thread)
                thread.start()

    def _stamper(self) -> None:
        """A stamping thread: the most urgent job first; a job queued twice (ahead, then urgent) runs once."""
        while True:
            job = self.queue.get()[2]
            with self.lock:
                if job.started:
                    continue
                job.started = True
            body: bytes | None = None
            error: BaseException | None = None
            try:
                body = job.work()
            except BaseException as e:  # handed to the request that waits for it
                error = e
            try:
                job.loop.call_soon_threadsafe(_settle, job.done, body, error)
            except RuntimeError:  # that event loop is closed: nobody waits any more
                pass

    async def _make(self, key: Hashable, job: _Job) -> bytes:
        try:
            body = await job.done
            self.made += 1
            self.entries[key] = body
            self.size += len(body)
            while self.size > self.budget and self.entries:
                _, old = self.entries.popitem(last=False)
                self.size -= len(old)
            return body
        finally:
            self.inflight.pop(key, None)

    def _stamp(self, base: Path, viewer: watermark.Viewer) -> bytes:
        return watermark.stamp_page(self._decoded(base), viewer)

    def _decoded(self, base: Path) -> watermark.Page:
        """The decoded render, decoded once however many viewers ask for it at the same moment."""
        with self.lock:
            page = self.bases.get(base)
            if page is not None:
                self.bases.move_to_end(base)
                return page
            gate = self.decoding.setdefault(base, threading.Lock())
        with gate:
            with self.lock:
                page = self.bases.get(base)
            if page is None:
                page = watermark.Page.open(base)
                self.decoded_count += 1
                with self.lock:
                    self.bases[base] = page
                    self.decoded_size += page.nbytes
                    while self.decoded_size > self.decoded and len(self.bases) > 1:
                        self.decoded_size -= self.bases.popitem(last=False)[1].nbytes
        with self.lock:
            self.decoding.pop(base, None)
        return page

    def forget(self, sha256: str) -> None:
        """A file nobody references any more: drop its stamped pages and decoded renders now."""
        for key in [k for k in self.entries if isinstance(k, tuple) and sha256 in k]:
            self.size -= len(self.entries.pop(key))
        with self.lock:
            for path in [p for p in self.bases if sha256 in p.parts]:
                self.decoded_size -= self.bases.pop(path).nbytes


PAGES = StampedPages()  # its content is a pure function of its keys: one per process serves every app
