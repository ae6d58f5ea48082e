"""Whole-file copies of a stored PDF (the watermarked download, documents/watermark_pdf.py; the annotated export,
annotations/pdf.py) are made in the export workers (documents/render.py `Renderer.export`), never in the server
process: qpdf reads the whole stored file to copy it, and a file stored before the upload limits (an LZW object
stream qpdf expands whole as it opens the file, …) would otherwise cost the server gigabytes. An anonymous upload to
be verified (minutes/routes.py verify) is read in a worker of its own (`verify`): nothing a member waits for is
behind it.

Each job runs under the worker's memory cap (ECABINET_WORKER_MEMORY_MB) and a CPU-time limit (EXPORT_CPU_SECONDS,
VERIFY_CPU_SECONDS); a job that passes either, or kills its worker, answers CopyTooComplex (409 `too_complex`), the
pool is rebuilt if it broke and the next request is served. A job over its CPU time is not tried again. Jobs wait for
a free worker in documents/admission.py (bounded line, per-user share, the least served caller first, a client gone
before its job started costs nothing; the anonymous check: one job per address, each charged its CPU time to the
address's budget, minutes/routes.py verify). The copy is written to <data_dir>/tmp by the worker and streamed from
there: the server never holds it whole either."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import quote

from anyio import to_thread
from starlette.responses import Response, StreamingResponse

from core.errors import Conflict
from core.i18n import N_, Msg
from documents import pdfbudget, pdfcheck, storage
from documents.admission import Caller, gate_for
from documents.render import Renderer
from documents.workers import EXPORT_WORKERS, VERIFY_WORKERS

# CPU seconds a copy may take (measured: a 1000-page text document is watermarked in 0.6 s, 16 scanned pages holding
# 280 MB of Flate images in 1.1 s); a job still running then is stopped (TooMuchCpu), and not tried again.
EXPORT_CPU_SECONDS = 60
# An anonymous signature check: signed minutes verify in well under a second (a file past minutes/verify_job.py's
# structure bounds is refused before pyHanko reads it).
VERIFY_CPU_SECONDS = 10
# A job still in C code (qpdf) when its time is up cannot be stopped by an exception: the kernel stops its worker this
# many CPU seconds later (SIGXCPU); the pool is rebuilt.
KILL_GRACE_SECONDS = 5
CHUNK = 1 << 20  # bytes read at a time while the copy is sent
log = logging.getLogger("ecabinet.documents")


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


class TooMuchCpu(Exception):
    """The job used up its CPU time (raised in the worker, which goes on serving)."""


class _OverTime(BaseException):
    """Raised into the job by SIGPROF; a BaseException, so that the job's own `except Exception` lets it through."""


def _over_time(signum: int, frame: Any) -> None:
    raise _OverTime()


@contextlib.contextmanager
def _cpu_limit(seconds: int, error: Callable[[], Exception] = TooMuchCpu) -> Iterator[None]:
    """This job may use `seconds` more CPU time: past that `error()` is raised in it (SIGPROF, again every 0.2 s if
    something swallows it) and the worker serves on; a job stuck in C code then is stopped by the kernel
    KILL_GRACE_SECONDS later (SIGXCPU, no core file). The worker's limits are put back afterwards for the next job."""
    if seconds <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    limit = int(usage.ru_utime + usage.ru_stime) + seconds + 1 + KILL_GRACE_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    previous = signal.signal(signal.SIGPROF, _over_time)
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.2)
    try:
        yield
    except _OverTime:
        raise error() from None
    finally:
        for _ in range(10):  # the timer may fire once more while it is being stopped
            try:
                signal.signal(signal.SIGPROF, signal.SIG_IGN)
                signal.setitimer(signal.ITIMER_PROF, 0)
                resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
                signal.signal(signal.SIGPROF, previous)
                break
            except _OverTime:
                continue


def limited(seconds: int, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` within `seconds` of CPU time (`run`)."""
    with _cpu_limit(seconds):
        return fn(*args)


def measured(seconds: int, fn: Callable[..., Any], *args: Any) -> tuple[float, bool, Any]:
    """(CPU-seconds the job took in this worker, whether it succeeded, its answer or what it raised): `limited`, with
    its cost, which the caller charges to whoever asked for it (exports.verify) even when it failed."""
    before = _cpu_seconds()
    try:
        value, ok = limited(seconds, fn, *args), True
    except Exception as exc:  # MemoryError and TooMuchCpu too: charged, then raised again in the server
        value, ok = exc, False
    return _cpu_seconds() - before, ok, value


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of the worker
    return usage.ru_utime + usage.ru_stime


def copy_job(seconds: int, max_upload_mb: int, fn: Callable[..., bytes], source: str, target: str, *args: Any) -> int:
    """`fn(source, *args)` (a copy of the PDF at `source`, as bytes) written to `target`; answers its size. qpdf
    decodes what an upload may (pdfbudget.guard_qpdf), and its failed allocations are CopyTooComplex whatever qpdf
    made of them (pdfcheck.watch_memory)."""
    pdfbudget.guard_qpdf(pdfbudget.Limits.for_upload(max_upload_mb))
    with _cpu_limit(seconds, CopyTooComplex), pdfcheck.watch_memory(CopyTooComplex):
        body = fn(Path(source), *args)
    staging = Path(target).with_suffix(".part")
    staging.write_bytes(body)
    os.replace(staging, target)
    return len(body)


# --- in the server process ------------------------------------------------------------------------------------------


async def _admitted(
    renderer: Renderer, purpose: str, slots: int, caller: Caller | None, call: Callable[[], Any]
) -> Any:
    """`call()` (a pool's job) started once `caller` has a worker of `purpose` (documents/admission.py); its worker is
    held until the job ends, even when the request that asked for it has gone."""
    gate = gate_for(renderer, purpose, slots)
    caller = caller or Caller()
    ticket = gate.enter(caller)
    await gate.wait(ticket, caller.request)
    job = asyncio.ensure_future(call())
    job.add_done_callback(lambda _done: gate.leave(ticket))
    return job


def member(request: Any, user_id: int, settings: Any) -> Caller:
    """A signed-in user asking for a copy: ECABINET_EXPORTS_PER_USER at a time, behind ECABINET_EXPORT_QUEUE others."""
    return Caller(f"user:{user_id}", request, settings.exports_per_user, settings.export_queue)


async def make(
    renderer: Renderer,
    max_upload_mb: int,
    source: Path,
    fn: Callable[..., bytes],
    *args: Any,
    caller: Caller | None = None,
) -> Path:
    """The copy `fn(source, *args)` made in an export worker, as a file in <data_dir>/tmp (the caller sends it with
    `pdf_response`, which removes it); `max_upload_mb` (ECABINET_MAX_UPLOAD_MB) bounds qpdf's decoders as at upload.
    CopyTooComplex when the job passes the worker's memory cap or CPU time, or kills its worker twice; Busy (503) or
    RateLimited (429) when `caller` may not wait for a worker now."""
    target = storage.new_tmp_path(renderer.data_dir, ".pdf")
    args = (EXPORT_CPU_SECONDS, max_upload_mb, fn, str(source), str(target), *args)
    slots = min(renderer.workers, EXPORT_WORKERS)
    job = await _admitted(renderer, "export", slots, caller, lambda: renderer.export(copy_job, *args))
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


# What a job answers when it needed more than its worker may give (the caller names the refusal).
TOO_COMPLEX = (MemoryError, BrokenProcessPool, TooMuchCpu)


async def run(renderer: Renderer, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` in an export worker, under its memory cap and EXPORT_CPU_SECONDS: other work on a whole PDF that
    nothing has checked. One of TOO_COMPLEX when it passes either: the caller names the refusal."""
    slots = min(renderer.workers, EXPORT_WORKERS)
    call = lambda: renderer.export(limited, EXPORT_CPU_SECONDS, fn, *args)
    return await _held(await _admitted(renderer, "export", slots, None, call))


async def verify(
    renderer: Renderer,
    request: Any,
    queue: int,
    fn: Callable[..., Any],
    *args: Any,
    address: str | None = None,
    charge: Callable[[float], Awaitable[None]] | None = None,
) -> Any:
    """`fn(*args)` for an anonymous client, in the verify worker (documents/render.py `Renderer.verify`: nothing a
    member waits for shares it) under its memory cap and VERIFY_CPU_SECONDS, never tried twice. At most `queue`
    (ECABINET_VERIFY_QUEUE) wait behind the one running: beyond, Busy (503). One `address` holds one job, running or
    waiting (429 `in_flight` for a second): one client cannot fill the line, so another always finds a place in it.
    `charge(cpu_seconds)` is told what the job cost once it ends, whether it succeeded, failed or its client left
    (a worker killed: the most a job may take). One of TOO_COMPLEX when it passes a limit."""
    key = None if address is None else f"address:{address}"
    caller = Caller(key, request, 1 if key else 0, queue, retry_after=VERIFY_CPU_SECONDS, in_flight=VERIFY_IN_FLIGHT)
    call = lambda: renderer.verify(measured, VERIFY_CPU_SECONDS, fn, *args)
    job = await _admitted(renderer, "verify", VERIFY_WORKERS, caller, call)
    if charge is not None:
        job.add_done_callback(lambda done: _charge(done, charge))
    _cpu, ok, value = await _held(job)
    if not ok:
        raise value
    return value


VERIFY_IN_FLIGHT = N_("Tệp bạn gửi trước vẫn đang được kiểm tra chữ ký; hãy chờ kết quả rồi gửi tệp khác.")
_CHARGES: set[asyncio.Task[None]] = set()  # charges being written (Redis): kept until done


def _charge(job: asyncio.Future[Any], charge: Callable[[float], Awaitable[None]]) -> None:
    if job.cancelled():
        return
    failed = job.exception()
    cost = float(VERIFY_CPU_SECONDS + KILL_GRACE_SECONDS) if failed is not None else float(job.result()[0])
    task = asyncio.ensure_future(charge(cost))
    _CHARGES.add(task)
    task.add_done_callback(_charged)


def _charged(task: asyncio.Task[None]) -> None:
    _CHARGES.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("a verify job's cost was not charged: %r", exc)


async def _held(job: asyncio.Future[Any]) -> Any:
    """The job's answer; a request given up does not stop the worker (nor free it before the job ends)."""
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        job.add_done_callback(_abandoned)
        raise


def _abandoned(job: asyncio.Future[Any], target: Path | None = None) -> None:
    if not job.cancelled():
        job.exception()  # retrieved: nobody waits for it any more
    if target is not None:
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
