"""What the bench scripts share: a free port, percentiles, CPU seconds of processes, the machine line."""

from __future__ import annotations

import gc
import os
import platform
import socket
import subprocess
import time
from pathlib import Path
from typing import Any


def quiet_gc() -> None:
    """In a process that plays hundreds of tablets, for the time a figure is measured: what exists now is moved
    out of the collector's sight and the collector is off (gc.enable() after). A full collection walks every
    simulated tablet's objects and can stop all of them for 100+ ms at once, which no real tablet (one per
    device) would see; the same holds for the reference's run, so both are measured without it."""
    gc.collect()
    gc.freeze()
    gc.disable()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank, p in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100 * len(values) + 0.5)) - 1))
    return values[k]


def cpu_seconds(procs: list[Any]) -> float:
    """user + system CPU seconds of psutil processes (one that exited counts nothing more)."""
    import psutil

    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def machine() -> str:
    import psutil

    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPU ({model}), {psutil.virtual_memory().total / 2**30:.1f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"one core's Python speed: sum(range(10**6)) in {python_speed_ms():.1f} ms"
    )


def python_speed_ms() -> float:
    """A fixed piece of pure-Python work, best of 5: hosts named alike ("AMD EPYC") differed 2-3× in it, which
    moves every absolute figure (the ratios to the references in the same run move far less)."""
    import timeit

    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000


def wait_line(proc: subprocess.Popen[str], want: str, timeout: float = 180) -> str:
    """The first line of a child's output that starts with `want` (a child announcing it is ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited")
        if line.startswith(want):
            return line
    raise TimeoutError(want)


def cpu_each(procs: list[Any]) -> list[float]:
    """Each process's CPU seconds so far (NaN for one that has exited)."""
    times = []
    for p in procs:
        try:
            t = p.cpu_times()
            times.append(t.user + t.system)
        except Exception:  # a worker that exited counts nothing more
            times.append(float("nan"))
    return times


def parse_at(at: str) -> float:
    """An envelope's `at` (ISO 8601, UTC) as a POSIX timestamp."""
    from datetime import datetime

    return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


def rss(process: Any) -> float:
    """A process's resident memory in MiB (a psutil.Process)."""
    return float(process.memory_info().rss) / 2**20
