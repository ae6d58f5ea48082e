"""Page images with pypdfium2, off the event loop, cached on disk.

PDFium is not thread-safe, so every pdfium call (the open check at upload, text extraction, rendering) runs
in a pool of worker *processes*: renders run in parallel on every core, the live room's event loop never
waits for them, and a PDF that crashes PDFium kills one worker, not the server (the pool is then rebuilt).
The pool is made on first use and shared by the process (it holds no per-app state). The upload check
(documents/pdfcheck.py `rebuild`, qpdf) runs in workers of its own, alike (`Renderer.check`), and so do the
whole-file copies of a stored PDF (the watermarked download, the annotated export: documents/exports.py,
`Renderer.export`): whatever qpdf or PDFium does with a hostile file happens in a worker, never in the server process.

Memory: each worker caps its own address space (RLIMIT_AS) at what it takes once the jobs' modules are imported
plus ECABINET_WORKER_MEMORY_MB (`cap_memory`). A decoder that runs away (an LZW object stream qpdf expands while
opening the file, an image PDFium decodes whole, …) then fails its allocation: qpdf's std::bad_alloc is a
MemoryError or, caught by qpdf as it opens a file, a damaged file with a "bad_alloc" warning (pdfcheck.rebuild says
which); PDFium stops the worker, the pool is rebuilt and the job tried once more (`Renderer.run`, `ensure`). An
upload is refused (documents/ingest.py), a page answers `PageTooComplex` (409), and the next job is served. The
server's own memory is then bounded by the workers': up to `workers` × ECABINET_WORKER_MEMORY_MB for renders, and
CHECK_WORKERS × that for upload checks, beside the web process.

Cache: <data_dir>/pages/ab/<sha256>/<size>-<n>.png, the page without any watermark (watermarks are drawn per viewer
and request: documents/watermark.py), 8-bit grey when every pixel is grey, else RGB. Sizes are widths in pixels:
'tablet' (what a tablet shows), 'zoom' (sharper, rendered on demand only) and 'thumb' (downscaled from the tablet
render). After an upload, `render_all` renders tablet+thumb for every page in the background, a few pages per job
and never more jobs than workers, so a page asked for on demand (`ensure`) waits for at most one job before its own."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Callable

import pypdfium2 as pdfium

from core.errors import Conflict
from core.i18n import Msg
from core.text import fold
from documents import pngfast
from documents.workers import (
    CHECK_WORKERS,
    DEFAULT_MEMORY_MB,
    EXPORT_WORKERS,
    VERIFY_WORKERS,
    _pool,
    _reset_pool,
    worker_count,
)

log = logging.getLogger("ecabinet.documents")

SIZES = {"thumb": 256, "tablet": 1280, "zoom": 2560}
# A page is drawn at its size's width, but never taller than this many widths: a page sized 1 × 14400 points (a
# few hundred bytes of PDF) would otherwise be 1280 × 18 million pixels, gigabytes in the render worker.
MAX_ASPECT = 4
BACKGROUND_SIZES = ("tablet", "thumb")
BASE_FORMAT = {"format": "PNG", "compress_level": 1}  # fast to write and, above all, to decode per request
CHUNK = 2  # pages per background job (an on-demand page waits for at most one)


class PageTooComplex(Conflict):
    """Drawing the page passed the worker's memory cap (a file stored before the upload limits, or one that decodes
    far more than it measures): the page is not shown, and the server goes on serving the others."""

    def __init__(self, page: int) -> None:
        super().__init__(
            Msg(
                "Trang {page} của tài liệu này cần quá nhiều bộ nhớ để hiển thị an toàn nên không hiển thị được. Hãy "
                "báo Văn phòng tải lên lại bản PDF thông thường.",
                page=page,
            ),
            details={"reason": "too_complex", "page": page},
        )


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


# --- in the server process (the pools: documents/workers.py) -------------------------------------------


class Renderer:
    """One per app: submits pdfium work to the shared pool and de-duplicates renders in flight."""

    def __init__(self, data_dir: Path, workers: int = 0, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.data_dir = data_dir
        self.workers = worker_count(workers)
        self.memory_mb = memory_mb  # ECABINET_WORKER_MEMORY_MB: each worker's cap (0: none)
        self._inflight: dict[tuple[str, str, int], Future[Any]] = {}
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[Any]] = set()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` in a render worker process; a crashed pool is rebuilt and the call tried once more. What
        `fn` raises comes back as itself (a MemoryError at the worker's cap too); a worker that dies twice (PDFium
        stops its process when an allocation fails) is a BrokenProcessPool."""
        return await self._call("render", self.workers, fn, *args)

    async def check(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`run`, in the upload-check workers (as many as render workers, at most CHECK_WORKERS; the same cap)."""
        return await self._call("check", min(self.workers, CHECK_WORKERS), fn, *args)

    async def export(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`run`, in workers of their own for whole-file copies (documents/exports.py; at most EXPORT_WORKERS, the same
        cap): a copy that takes one down takes no page render or upload check with it."""
        return await self._call("export", min(self.workers, EXPORT_WORKERS), fn, *args)

    async def verify(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`run` in the anonymous uploads' own worker, never twice: its one job at a time (exports.verify) killed it."""
        return await self._call("verify", VERIFY_WORKERS, fn, *args, retry=False)

    async def _call(self, purpose: str, workers: int, fn: Callable[..., Any], *args: Any, retry: bool = True) -> Any:
        for attempt in (1, 2):
            pool = _pool(workers, self.memory_mb, purpose)
            try:
                return await asyncio.wrap_future(pool.submit(fn, *args))
            except BrokenProcessPool:
                _reset_pool(pool)
                if attempt == 2 or not retry:
                    raise
        raise AssertionError("unreachable")

    def _pool(self) -> ProcessPoolExecutor:
        return _pool(self.workers, self.memory_mb)

    def _submit(self, key: tuple[str, str, int], pdf: Path, pages: list[int], sizes: tuple[str, ...]) -> Future[Any]:
        with self._lock:
            fut = self._inflight.get(key)
            if fut is None:
                pool = self._pool()
                try:
                    fut = pool.submit(render_job, str(pdf), str(self.data_dir), key[0], pages, sizes)
                except BrokenProcessPool:
                    _reset_pool(pool)
                    fut = self._pool().submit(render_job, str(pdf), str(self.data_dir), key[0], pages, sizes)
                self._inflight[key] = fut
                fut.add_done_callback(lambda _f: self._forget(key))
            return fut

    def _forget(self, key: tuple[str, str, int]) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    async def ensure(self, pdf: Path, sha256: str, size: str, n: int) -> Path:
        """The cached image of page n at `size`, rendered now if missing (or joining the render in flight).
        PageTooComplex when drawing it passes the worker's memory cap (a dead worker is given one more try: it may
        have been another page's render that took it down)."""
        target = cache_path(self.data_dir, sha256, size, n)
        from documents.page_cache import touch  # used now: evicted last (documents/page_cache.py, the disk budget)

        touch(target)
        if target.exists():
            return target
        sizes = BACKGROUND_SIZES if size in BACKGROUND_SIZES else (size,)
        for key_size in sizes:  # a background job rendering this page at this size already
            with self._lock:
                running = self._inflight.get((sha256, key_size, n))
            if running is not None and size in BACKGROUND_SIZES:
                try:
                    await asyncio.wrap_future(running)
                except Exception:  # the chunk failed (perhaps on another page): this page's own render says why
                    pass
                if target.exists():
                    return target
        for attempt in (1, 2):
            try:
                await asyncio.wrap_future(self._submit((sha256, size, n), pdf, [n], sizes))
                return target
            except MemoryError:
                raise PageTooComplex(n) from None
            except BrokenProcessPool:
                log.warning("a render worker stopped while drawing page %s of %s (attempt %s)", n, sha256, attempt)
                if attempt == 2:
                    raise PageTooComplex(n) from None
        raise AssertionError("unreachable")

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
