"""Login benchmark: POST /api/auth/login latency p50/p95/p99, one at a time and N at once, beside GET /healthz
in the same run, against the product as `ecabinet demo` starts it (real uvicorn, real argon2id parameters).

    .venv/bin/python bench/login.py [--rounds 60] [--concurrent 10] [--keep]

The clients (httpx, one connection each, opened before timing) run here; traffic only to 127.0.0.1. Figures
are printed, not asserted. 'hash' is one argon2id check with the product's parameters in this process, the
floor under a login. Results and method: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import httpx
import psutil

from _common import cpu_seconds, free_port, machine, pct

ROOT = Path(__file__).resolve().parent.parent
USERS = [f"thanhvien{i:02d}" for i in range(1, 27)]


async def wait_healthy(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("server did not become healthy in time")


async def timed(client: httpx.AsyncClient, method: str, path: str, **kw: object) -> float:
    start = time.perf_counter()
    r = await client.request(method, path, **kw)  # type: ignore[arg-type]
    elapsed = (time.perf_counter() - start) * 1000
    assert r.status_code in (200, 401), (path, r.status_code, r.text[:200])
    return elapsed


def login_body(i: int, wrong: bool = False) -> dict[str, object]:
    return {"json": {"username": USERS[i % len(USERS)], "password": "demo-wrong" if wrong else "demo"}}


async def sequential(client: httpx.AsyncClient, rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"login": [], "login (wrong password)": [], "healthz": []}
    for i in range(rounds):
        out["login"].append(await timed(client, "POST", "/api/auth/login", **login_body(i)))
        if i % 4 == 0:  # a few failures only: the address's failure budget is finite
            out["login (wrong password)"].append(await timed(client, "POST", "/api/auth/login", **login_body(i, True)))
        out["healthz"].append(await timed(client, "GET", "/healthz"))
    return out


async def concurrent(clients: list[httpx.AsyncClient], rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"login": [], "healthz": []}
    for r in range(rounds):
        logins = [
            timed(c, "POST", "/api/auth/login", **login_body(r * len(clients) + i)) for i, c in enumerate(clients)
        ]
        probe = timed(clients[0], "GET", "/healthz")  # while the logins hash: does the rest of the app still answer?
        *times, health = await asyncio.gather(*logins, probe)
        out["login"] += times
        out["healthz"].append(health)
    return out


def hash_floor(n: int = 15) -> list[float]:
    from accounts import passwords

    stored = passwords.hash_password("demo")
    times = []
    for _ in range(n):
        start = time.perf_counter()
        passwords.check(stored, "demo")
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(label: str, values: list[float]) -> str:
    return (
        f"  {label:<34} n={len(values):<4} p50 {pct(values, 50):7.1f}  p95 {pct(values, 95):7.1f}  p99 "
        f"{pct(values, 99):7.1f} ms"
    )


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    from accounts import passwords

    port = free_port()
    # One address makes every request here; a bigger failure budget keeps the wrong-password rounds from
    # turning the concurrent ones into 429s (the limiter's cost does not depend on its limit).
    env = {
        **os.environ,
        "ECABINET_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        "ECABINET_LOGIN_MAX_FAILURES": "100",
    }
    log = open(data_dir / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(args.concurrent)]
    try:
        await wait_healthy(clients[0], proc)
        for c in clients:  # connections open before anything is timed
            await c.get("/healthz")
        await sequential(clients[0], 3)  # warm-up
        print(machine())
        print(f"load1 {os.getloadavg()[0]:.2f}; argon2id {passwords.parameters()}")
        print(row("hash (in process)", hash_floor()))
        server = [psutil.Process(proc.pid)]
        for title, phase in (
            ("sequential:", sequential(clients[0], args.rounds)),
            (f"{args.concurrent} at once:", concurrent(clients, max(1, args.rounds // 2))),
        ):
            cpu = cpu_seconds(server)
            results = await phase
            cpu = cpu_seconds(server) - cpu
            logins = sum(len(v) for k, v in results.items() if k.startswith("login"))
            print(f"{title:<24} server CPU {1000 * cpu / logins:.1f} ms per login")
            for label, values in results.items():
                print(row(label, values))
        print(f"load1 {os.getloadavg()[0]:.2f}")
    finally:
        for c in clients:
            await c.aclose()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=60)
    p.add_argument("--concurrent", type=int, default=10)
    p.add_argument("--keep", action="store_true", help="keep the data dir (server.log)")
    args = p.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-bench-login-"))
    try:
        asyncio.run(run(args, data_dir))
    finally:
        if args.keep:
            print(f"data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
