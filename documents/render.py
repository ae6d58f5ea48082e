"""Page images with pypdfium2, off the event loop, cached on disk.

PDFium is not thread-safe, so every pdfium call (the open check at upload, text extraction, rendering) runs
in a pool of worker *processes*: renders run in parallel on every core, the live room's event loop never
waits for them, and a PDF that crashes PDFium kills one worker, not the server (the pool is then rebuilt).
The pool is made on first use and shared by the process (it holds no per-app state).

Cache: <data_dir>/pages/ab/<sha256>/<size>-<n>.png, the page without any watermark (watermarks are drawn per viewer
and request: documents/watermark.py), 8-bit grey when every pixel is grey, else RGB. Sizes are widths in pixels:
'tablet' (what a tablet shows), 'zoom' (sharper, rendered on demand only) and 'thumb' (downscaled from the tablet
render). After an upload, `render_all` renders tablet+thumb for every page in the background, a few pages per job
and never more jobs than workers, so a page asked for on demand (`ensure`) waits for at most one job before its own."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

import pypdfium2 as pdfium

from core.text import fold
from documents import pngfast

log = logging.getLogger("ecabinet.documents")

SIZES = {"thumb": 256, "tablet": 1280, "zoom": 2560}
# A page is drawn at its size's width, but never taller than this many widths: a page sized 1 × 14400 points (a
# few hundred bytes of PDF) would otherwise be 1280 × 18 million pixels, gigabytes in the render worker.
MAX_ASPECT = 4
BACKGROUND_SIZES = ("tablet", "thumb")
BASE_FORMAT = {"format": "PNG", "compress_level": 1}  # fast to write and, above all, to decode per request
CHUNK = 2  # pages per background job (an on-demand page waits for at most one)


def cache_path(data_dir: Path, sha256: str, size: str, n: int) -> Path:
    return data_dir / "pages" / sha256[:2] / sha256 / f"{size}-{n}.png"


def pages_ready(data_dir: Path, sha256: str, page_count: int) -> bool:
    """Every page has its tablet image in the cache (checked last page first: background renders go in order)."""
    return all(cache_path(data_dir, sha256, "tablet", n).exists() for n in range(page_count, 0, -1))


# --- in the worker processes ---------------------------------------------------------------------------


def inspect_pdf(path: str) -> dict[str, Any]:
    """Open with PDFium and load every page; answer the page count (raises on a file PDFium cannot use)."""
    doc = pdfium.PdfDocument(path)
    try:
        count = len(doc)
        for i in range(count):
            doc[i].close()
        return {"page_count": count}
    finally:
        doc.close()


def extract_texts(path: str, pages: list[int]) -> list[tuple[int, str, str]]:
    """(page, text, folded) for 1-based `pages`; whitespace collapsed so words split by line breaks match."""
    doc = pdfium.PdfDocument(path)
    out = []
    try:
        for n in pages:
            page = doc[n - 1]
            textpage = page.get_textpage()
            text = " ".join(textpage.get_text_range().split())
            textpage.close()
            page.close()
            out.append((n, text, fold(text)))
        return out
    finally:
        doc.close()


def render_job(path: str, data_dir: str, sha256: str, pages: list[int], sizes: tuple[str, ...]) -> int:
    """Render `pages` at `sizes` into the cache; answer how many images were written."""
    doc = pdfium.PdfDocument(path)
    written = 0
    try:
        for n in pages:
            page = doc[n - 1]
            width, height = page.get_size()
            rendered: dict[str, Any] = {}
            for size in sizes:
                target = cache_path(Path(data_dir), sha256, size, n)
                if target.exists():
                    continue
                if size == "thumb" and "tablet" in rendered:
                    image = rendered["tablet"].copy()
                    image.thumbnail((SIZES["thumb"], SIZES["thumb"] * 4))
                else:
                    image = page.render(scale=scale(size, width, height), may_draw_forms=True).to_pil().convert("RGB")
                    rendered[size] = image
                _save(image, target)
                written += 1
            page.close()
        return written
    finally:
        doc.close()


def scale(size: str, width: float, height: float) -> float:
    """Pixels per point for a page of `width` × `height` points: its size's width, within MAX_ASPECT widths tall."""
    return min(SIZES[size] / width, SIZES[size] * MAX_ASPECT / height)


def _save(image: Any, target: Path) -> None:
    if pngfast.is_grey(
        image
    ):  # a text page: 1 byte a pixel, a third to decode when it is stamped (documents/watermark.py)
        image = image.convert("L")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{uuid.uuid4().hex}.part"
    image.save(staging, **BASE_FORMAT)
    os.replace(staging, target)


# --- in the server process -----------------------------------------------------------------------------

_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def worker_count(configured: int) -> int:
    return configured if configured > 0 else max(1, min(4, os.cpu_count() or 1))


def _pool(workers: int) -> ProcessPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        return _POOL


def _reset_pool(broken: ProcessPoolExecutor) -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is broken:
            _POOL = None
    broken.shutdown(wait=False, cancel_futures=True)


class Renderer:
    """One per app: submits pdfium work to the shared pool and de-duplicates renders in flight."""

    def __init__(self, data_dir: Path, workers: int = 0) -> None:
        self.data_dir = data_dir
        self.workers = worker_count(workers)
        self._inflight: dict[tuple[str, str, int], Future[Any]] = {}
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` in a worker process; a crashed pool is rebuilt and the call tried once more."""
        for attempt in (1, 2):
            pool = _pool(self.workers)
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args))
            except BrokenProcessPool:
                _reset_pool(pool)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _submit(self, key: tuple[str, str, int], pdf: Path, pages: list[int], sizes: tuple[str, ...]) -> Future[Any]:
        with self._lock:
            fut = self._inflight.get(key)
            if fut is None:
                pool = _pool(self.workers)
                try:
                    fut = pool.submit(render_job, str(pdf), str(self.data_dir), key[0], pages, sizes)
                except BrokenProcessPool:
                    _reset_pool(pool)
                    fut = _pool(self.workers).submit(render_job, str(pdf), str(self.data_dir), key[0], pages, sizes)
                self._inflight[key] = fut
                fut.add_done_callback(lambda _f: self._forget(key))
            return fut

    def _forget(self, key: tuple[str, str, int]) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    async def ensure(self, pdf: Path, sha256: str, size: str, n: int) -> Path:
        """The cached image of page n at `size`, rendered now if missing (or joining the render in flight)."""
        target = cache_path(self.data_dir, sha256, size, n)
        if target.exists():
            return target
        sizes = BACKGROUND_SIZES if size in BACKGROUND_SIZES else (size,)
        for key_size in sizes:  # a background job rendering this page at this size already
            with self._lock:
                running = self._inflight.get((sha256, key_size, n))
            if running is not None and size in BACKGROUND_SIZES:
                await asyncio.wrap_future(running)
                if target.exists():
                    return target
        await asyncio.wrap_future(self._submit((sha256, size, n), pdf, [n], sizes))
        return target

    def ready(self, sha256: str, page_count: int) -> bool:
        return pages_ready(self.data_dir, sha256, page_count)

    def start_background(self, pdf: Path, sha256: str, page_count: int) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(self.render_all(pdf, sha256, page_count), name=f"render:{sha256}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def stop_background(self, sha256: str) -> None:
        """The file was deleted: render no more of its pages (the chunks already in a worker finish)."""
        for task in list(self._background):
            if task.get_name() == f"render:{sha256}":
                task.cancel()

    async def render_all(self, pdf: Path, sha256: str, page_count: int) -> None:
        """Tablet and thumbnail images of every page, in page order, `workers` jobs at a time."""
        missing = [
            n
            for n in range(1, page_count + 1)
            if not cache_path(self.data_dir, sha256, "tablet", n).exists()
            or not cache_path(self.data_dir, sha256, "thumb", n).exists()
        ]
        chunks = [missing[i : i + CHUNK] for i in range(0, len(missing), CHUNK)]
        gate = asyncio.Semaphore(self.workers)

        async def one(pages: list[int]) -> None:
            async with gate:
                futures = [self._submit((sha256, size, pages[0]), pdf, pages, BACKGROUND_SIZES) for size in ("tablet",)]
                with self._lock:  # later pages of the chunk are in flight too (for `ensure`)
                    for n in pages[1:]:
                        self._inflight.setdefault((sha256, "tablet", n), futures[0])
                try:
                    await asyncio.wrap_future(futures[0])
                except Exception:
                    if not pdf.exists():  # deleted while rendering (stop_background): nothing is wrong
                        return
                    log.exception("rendering pages %s of %s failed", pages, sha256)
                finally:
                    for n in pages[1:]:
                        self._forget((sha256, "tablet", n))

        await asyncio.gather(*(one(c) for c in chunks))

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()


def shutdown_pool() -> None:
    """Stop the render workers (server shutdown); the next render after this starts a new pool."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
