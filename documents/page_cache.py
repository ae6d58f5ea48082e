"""A disk budget for the rendered pages (<data_dir>/pages, documents/render.py): ECABINET_PAGE_CACHE_MB.

Renders are kept on disk so a page turn does not wait for PDFium; but `zoom` renders (about 1 MB a page) are made
on demand for any page anyone asks for, so without a budget the cache grows with pages × sizes × versions. A
thread sweeps the cache every `interval` seconds (sooner after many renders on demand): while it holds more than the
budget, the least recently used files go first, every `zoom` image before any `tablet` or `thumb` one, down to
LOW_WATER of the budget (not one file per sweep). A file evicted is simply rendered again when next asked for.

Never evicted: a file used or written in the last `grace` seconds (a page being served is opened by the stamping
thread right after `Renderer.ensure` answers its path), and the `.part` files a render worker is writing (only
complete `<size>-<n>.png` files, moved into place atomically, are considered). "Used" is when `Renderer.ensure`
last answered the file (`touch`), or the file's modification time, whichever is later.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from infra.background import Loop

log = logging.getLogger("ecabinet.documents")

LOW_WATER = 0.9  # a sweep that evicts goes down to this share of the budget
DEFAULT_GRACE = 60.0  # seconds a file just used or written is kept whatever the budget
DEFAULT_INTERVAL = 15.0  # seconds between sweeps
WAKE_AFTER = 32  # renders on demand that start a sweep before its time
_EVICT_FIRST = "zoom"  # rendered only on demand, the largest, and the rarest to be asked again


@dataclass
class Sweep:
    files: int = 0
    before: int = 0  # bytes
    after: int = 0
    evicted: int = 0


class PageCache:
    """The budget of one data directory's rendered pages."""

    def __init__(self, data_dir: Path, budget_bytes: int, *, grace: float = DEFAULT_GRACE) -> None:
        self.root = data_dir / "pages"
        self.budget = budget_bytes
        self.grace = grace
        self.used: dict[str, float] = {}  # path -> when ensure last answered it (time.time())
        self.misses = 0  # touches of a file not on disk (a render on demand follows) since the last sweep
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.sweeps = 0

    def touch(self, path: Path) -> None:
        key = str(path)
        self.used[key] = time.time()
        if not os.path.exists(key):
            self.misses += 1
            if self.misses >= WAKE_AFTER:
                self.wake.set()

    def sweep(self) -> Sweep:
        """Evict the least recently used files while the cache holds more than its budget."""
        with self.lock:
            self.misses = 0
            now = time.time()
            files: list[tuple[bool, float, int, str]] = []  # (not zoom, last use, bytes, path)
            for entry in _pngs(self.root):
                try:
                    st = entry.stat()
                except FileNotFoundError:  # deleted with its document meanwhile
                    continue
                last = max(st.st_mtime, self.used.get(entry.path, 0.0))
                files.append((not entry.name.startswith(_EVICT_FIRST + "-"), last, st.st_size, entry.path))
            total = sum(f[2] for f in files)
            done = Sweep(files=len(files), before=total, after=total)
            known = {f[3] for f in files}
            for key in [k for k in self.used if k not in known and now - self.used[k] > self.grace]:
                del self.used[key]  # gone (evicted elsewhere, or its document deleted): forget it
            if total <= self.budget:
                self.sweeps += 1
                return done
            target = int(self.budget * LOW_WATER)
            for _, last, size, path in sorted(files):
                if total <= target:
                    break
                if now - last < self.grace:  # in use or just written
                    continue
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                self.used.pop(path, None)
                total -= size
                done.evicted += 1
            done.after = total
            self.sweeps += 1
        if done.evicted:
            log.info("page cache: evicted %s files, %s -> %s MB", done.evicted, done.before >> 20, total >> 20)
        return done


def _pngs(root: Path) -> list[os.DirEntry[str]]:
    """Every complete rendered image under pages/ab/<sha256>/ (not the .part files being written)."""
    out: list[os.DirEntry[str]] = []
    for top in _dirs(str(root)):
        for doc in _dirs(top.path):
            try:
                with os.scandir(doc.path) as it:
                    out.extend(e for e in it if e.name.endswith(".png") and not e.name.startswith("."))
            except FileNotFoundError:
                continue
    return out


def _dirs(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return [e for e in it if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


# The caches of this process's apps: Renderer.ensure touches the one its file is under (usually the only one).
_CACHES: list[PageCache] = []


def touch(path: Path) -> None:
    """A page's file is being served (or rendered): it is the most recently used."""
    for cache in _CACHES:
        if path.is_relative_to(cache.root):
            cache.touch(path)


class PageCacheLoop(Loop):
    """The sweeping thread, started and stopped with the app (ctx.background)."""

    def __init__(self, cache: PageCache, interval: float = DEFAULT_INTERVAL) -> None:
        self.cache = cache
        self.interval = interval
        self.thread: threading.Thread | None = None
        self.stopping = threading.Event()

    async def start(self) -> None:
        _CACHES.append(self.cache)
        self.stopping.clear()
        self.thread = threading.Thread(target=self._run, name="page-cache", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.cache.sweep()
            except Exception:  # a disk error: said, and tried again at the next sweep
                log.exception("page cache sweep failed")
            self.cache.wake.wait(self.interval)
            self.cache.wake.clear()

    async def stop(self) -> None:
        self.stopping.set()
        self.cache.wake.set()
        if self.cache in _CACHES:
            _CACHES.remove(self.cache)
        # The thread ends after its current sweep (a daemon: it never holds the process at exit).
        self.thread = None
