"""The worker processes behind documents/render.py, documents/exports.py and the upload check: how each starts
(what it imports before its memory cap, RLIMIT_AS over that baseline: documents/render.py says why), and the pools
by purpose, made on first use and shared by the process."""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger("ecabinet.documents")
MIB = 1 << 20
DEFAULT_MEMORY_MB = 1536  # ECABINET_WORKER_MEMORY_MB's default: per worker, over what its imports take

# --- in the worker processes ---------------------------------------------------------------------------

# Modules a pool's jobs need (e.g. minutes.verify_job in "verify", named by its domain at import time): imported by
# each of that pool's workers before its cap, like ours.
WORKER_MODULES: dict[str, list[str]] = {"export": ["documents.watermark_pdf", "reportlab.pdfgen.canvas"]}


def preload_for_exports(module: str, purpose: str = "export") -> None:
    if module not in (modules := WORKER_MODULES.setdefault(purpose, [])):
        modules.append(module)


def start_worker(memory_mb: int, purpose: str = "render", modules: tuple[str, ...] = ()) -> None:
    """The pool's initializer: import what the jobs use (their code and libraries count in the baseline, not in the
    budget), then cap the process's memory. A job's log lines go to the server's standard error, as its own do."""
    import importlib

    import pikepdf  # noqa: F401
    from PIL import Image, PngImagePlugin  # noqa: F401

    from documents import pdfcheck  # noqa: F401  # with cdr, pdfbudget, pdfdecode: the upload check
    from documents import render  # noqa: F401  # the page jobs, with pypdfium2

    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s (worker %(process)d): %(message)s")
    for module in modules:
        importlib.import_module(module)
    cap_memory(memory_mb)


def vm_size(field: str = "VmSize") -> int | None:
    """The process's address-space size in bytes (/proc/self/status VmSize; VmPeak: its highest), None where there
    is no /proc."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cap_memory(memory_mb: int) -> int | None:
    """Limit this process's address space (RLIMIT_AS) to its present size plus `memory_mb` MB (0: no cap); never
    raises a limit already lower. Answers the limit set, None when none was."""
    size = vm_size()
    if memory_mb <= 0 or size is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = size + memory_mb * MIB
    for existing in (soft, hard):
        if existing != resource.RLIM_INFINITY:
            limit = min(limit, existing)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        log.warning("could not cap this worker's memory at %s bytes", limit, exc_info=True)
        return None
    return limit


def memory_limit() -> dict[str, int | None]:
    """The worker's address-space limit (soft, hard; -1: none), present and highest size: what `cap_memory` did."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return {"soft": soft, "hard": hard, "vm_size": vm_size(), "vm_peak": vm_size("VmPeak"), "pid": os.getpid()}


# --- in the server process -----------------------------------------------------------------------------

# Pools by (purpose, workers, memory cap): "render" for PDFium, "check" for the upload check (qpdf), "export" for
# whole-file copies (qpdf, reportlab), "verify" for anonymous signature checks (pyHanko), so that a hostile file that
# takes a worker down or its time takes nothing else with it. Apps in one process with the same settings share them.
_POOLS: dict[tuple[str, int, int], ProcessPoolExecutor] = {}
_POOL_LOCK = threading.Lock()
CHECK_WORKERS = 2  # at most: uploads are few, and a check is seconds at most
EXPORT_WORKERS = 2  # at most, alike: downloads of a whole file are few beside page turns
VERIFY_WORKERS = 1  # anonymous uploads wait for this one (documents/admission.py), never for a member's work


def worker_count(configured: int) -> int:
    return configured if configured > 0 else max(1, min(4, os.cpu_count() or 1))


def _pool(workers: int, memory_mb: int = DEFAULT_MEMORY_MB, purpose: str = "render") -> ProcessPoolExecutor:
    with _POOL_LOCK:
        pool = _POOLS.get((purpose, workers, memory_mb))
        if pool is None:
            pool = _POOLS[(purpose, workers, memory_mb)] = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(memory_mb, purpose, tuple(WORKER_MODULES.get(purpose, ()))),
            )
        return pool


def _reset_pool(broken: ProcessPoolExecutor) -> None:
    with _POOL_LOCK:
        for key in [key for key, pool in _POOLS.items() if pool is broken]:
            del _POOLS[key]
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown_pool() -> None:
    """Stop the render and upload-check workers (server shutdown); the next job after this starts a new pool."""
    with _POOL_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
