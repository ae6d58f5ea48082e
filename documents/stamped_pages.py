"""Watermarked page images, kept in memory per viewer and page, and made once when many ask at once.

A page turn sends every tablet in the room to the same page: 25 viewers, each needing the cached render with
their own watermark (documents/watermark.py), paid as decode + compose + PNG encode per request. Here:
- the decoded render of a page is kept (a few pages: the ones being shown now), so only compose + encode
  remain per viewer;
- the encoded answer is kept per (viewer, render, watermark line): the key holds everything the bytes depend
  on (the render is content-addressed by the version's SHA-256 and the size and page; the line holds the
  viewer's name, unit, the minute and the restricted mark, the diagonal derives from them), so an entry can
  never be stale, only unused; it falls out by size (LRU). The permission is checked on every request
  before the cache is asked (documents/routes.py), so a revoked viewer gets nothing from it;
- concurrent requests for the same key share one stamping;
- documents/prewarm.py fills it for the page the presenter is likely to show next.
Restricted pages are cached here in the server's memory only; the browser is still told `no-store`.
"""
from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Hashable

from anyio import to_thread
from PIL import Image

from documents import watermark

BUDGET_BYTES = 96 * 2**20  # encoded pages kept (a 1280 px page is 300-500 KiB: ~200 viewer-pages)
DECODED_PAGES = 6  # decoded renders kept (~7 MB each at 1280 px)


class StampedPages:
    def __init__(self, budget: int = BUDGET_BYTES, decoded: int = DECODED_PAGES) -> None:
        self.budget, self.decoded = budget, decoded
        self.entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self.size = 0
        self.inflight: dict[Hashable, asyncio.Future[bytes]] = {}
        self.bases: OrderedDict[Path, Image.Image] = OrderedDict()
        self.lock = threading.Lock()  # bases are read from worker threads
        self.hits = self.made = 0

    async def get(self, base: Path, key: Hashable, viewer: watermark.Viewer) -> bytes:
        body = self.entries.get(key)
        if body is not None:
            self.entries.move_to_end(key)
            self.hits += 1
            return body
        fut = self.inflight.get(key)
        if fut is None:
            fut = self.inflight[key] = asyncio.ensure_future(self._make(base, key, viewer))
        return await asyncio.shield(fut)

    async def _make(self, base: Path, key: Hashable, viewer: watermark.Viewer) -> bytes:
        try:
            body = await to_thread.run_sync(self._stamp, base, viewer)
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

    def _decoded(self, base: Path) -> Image.Image:
        with self.lock:
            page = self.bases.get(base)
            if page is not None:
                self.bases.move_to_end(base)
                return page
        with Image.open(base) as img:
            page = img.convert("RGB")
        with self.lock:
            self.bases[base] = page
            while len(self.bases) > self.decoded:
                self.bases.popitem(last=False)
        return page


PAGES = StampedPages()  # its content is a pure function of its keys: one per process serves every app
