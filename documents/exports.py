"""Whole-file copies of a stored PDF (the watermarked download, documents/watermark_pdf.py; the annotated export,
annotations/pdf.py) are made in the export workers (documents/render.py `Renderer.export`), never in the server
process: qpdf reads the whole stored file to copy it, and a file stored before the upload limits (an LZW object
stream qpdf expands whole as it opens the file, …) would otherwise cost the server gigabytes.

Each job runs under the worker's memory cap (ECABINET_WORKER_MEMORY_MB) and a CPU-time limit (EXPORT_CPU_SECONDS);
a job that passes either, or kills its worker, answers CopyTooComplex (409 `too_complex`), the pool is rebuilt and
the next request is served. The copy is written to <data_dir>/tmp by the worker and streamed from there: the
server never holds it whole either."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator
from urllib.parse import quote

from anyio import to_thread
from starlette.responses import Response, StreamingResponse

from core.errors import Conflict
from core.i18n import Msg
from documents import pdfbudget, pdfcheck, storage
from documents.render import Renderer

# CPU seconds a copy may take (measured: a 1000-page text document is watermarked in 0.6 s, 16 scanned pages holding
# 280 MB of Flate images in 1.1 s); a job still running then is stopped, and tried once more as every job whose
# worker died (documents/render.py `Renderer._call`).
EXPORT_CPU_SECONDS = 60
CHUNK = 1 << 20  # bytes read at a time while the copy is sent


class CopyTooComplex(Conflict):
    """The stored file needs more memory or time than an export worker may take to be copied: no copy is made, and
    the server goes on serving (the page images may still show; documents/render.py PageTooComplex for those)."""

    def __init__(self) -> None:
        super().__init__(
            Msg(
                "Không tạo được bản sao PDF của tài liệu này: tệp lưu trên máy chủ cần quá nhiều bộ nhớ hoặc thời gian "
                "để xử lý an toàn. Hãy báo Văn phòng tải lên lại bản PDF thông thường."
            ),
            details={"reason": "too_complex"},
        )


# --- in the export workers ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _cpu_limit(seconds: int) -> Iterator[None]:
    """This job may use `seconds` more CPU time: past that the kernel stops the worker (SIGXCPU), without a core
    file. The worker's limit is put back afterwards for the next job."""
    if seconds <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime) + seconds + 1
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def limited(seconds: int, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` within `seconds` of CPU time (`run`)."""
    with _cpu_limit(seconds):
        return fn(*args)


def copy_job(seconds: int, max_upload_mb: int, fn: Callable[..., bytes], source: str, target: str, *args: Any) -> int:
    """`fn(source, *args)` (a copy of the PDF at `source`, as bytes) written to `target`; answers its size. qpdf
    decodes what an upload may (pdfbudget.guard_qpdf), and its failed allocations are CopyTooComplex whatever qpdf
    made of them (pdfcheck.watch_memory)."""
    pdfbudget.guard_qpdf(pdfbudget.Limits.for_upload(max_upload_mb))
    with _cpu_limit(seconds), pdfcheck.watch_memory(CopyTooComplex):
        body = fn(Path(source), *args)
    staging = Path(target).with_suffix(".part")
    staging.write_bytes(body)
    os.replace(staging, target)
    return len(body)


# --- in the server process ------------------------------------------------------------------------------------------


async def make(renderer: Renderer, max_upload_mb: int, source: Path, fn: Callable[..., bytes], *args: Any) -> Path:
    """The copy `fn(source, *args)` made in an export worker, as a file in <data_dir>/tmp (the caller sends it with
    `pdf_response`, which removes it); `max_upload_mb` (ECABINET_MAX_UPLOAD_MB) bounds qpdf's decoders as at upload.
    CopyTooComplex when the job passes the worker's memory cap or CPU time, or kills its worker twice."""
    target = storage.new_tmp_path(renderer.data_dir, ".pdf")
    args = (EXPORT_CPU_SECONDS, max_upload_mb, fn, str(source), str(target), *args)
    job = asyncio.ensure_future(renderer.export(copy_job, *args))
    try:
        await asyncio.shield(job)  # a request given up does not stop the worker: its file is removed once written
    except asyncio.CancelledError:
        job.add_done_callback(lambda done: _abandoned(done, target))
        raise
    except (MemoryError, BrokenProcessPool):
        _discard(target)
        raise CopyTooComplex() from None
    except BaseException:
        _discard(target)
        raise
    return target


async def run(renderer: Renderer, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` in an export worker, under its memory cap and EXPORT_CPU_SECONDS: other work on a whole PDF that
    nothing has checked (a signed file sent to be verified). MemoryError or BrokenProcessPool when it passes either:
    the caller names the refusal."""
    return await renderer.export(limited, EXPORT_CPU_SECONDS, fn, *args)


def _abandoned(job: asyncio.Future[Any], target: Path) -> None:
    if not job.cancelled():
        job.exception()  # retrieved: nobody waits for it any more
    _discard(target)


def _discard(target: Path) -> None:
    target.unlink(missing_ok=True)
    target.with_suffix(".part").unlink(missing_ok=True)  # a worker stopped while writing it


def pdf_response(path: Path, name: str) -> Response:
    """The copy at `path` as a download named `name`, read from disk as it is sent. The file is unlinked at once
    (the open file is read on), so nothing stays behind however the request ends."""
    f = path.open("rb")
    path.unlink()
    size = os.fstat(f.fileno()).st_size

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := await to_thread.run_sync(f.read, CHUNK):
                yield chunk
        finally:
            f.close()

    return StreamingResponse(
        chunks(),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
