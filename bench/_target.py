"""The server a bench talks to: the real app in a subprocess (the product CLI, or bench/_server.py with one
option changed), its demo data (SQLite, or a fresh PostgreSQL database), and the HTTP calls the benches make
as users."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import aiohttp
import psutil

from _common import free_port

ROOT = Path(__file__).resolve().parent.parent
MEETING_ID = 1
PASSWORD = "demo"

# name -> _server.py options; None = the product CLI (`python -m app.cli demo --port P`).
# The original product configuration was uvicorn loop=auto (uvloop when installed), http=auto (httptools when
# installed), ws=websockets-sansio, permessage-deflate on (uvicorn's default).
BASE = {"loop": "auto", "http": "auto", "ws": "websockets-sansio", "deflate": True}
VARIANTS: dict[str, dict[str, Any] | None] = {
    "stock": {**BASE, "broadcast": "stock"},
    "stock-asyncio": {**BASE, "broadcast": "stock", "loop": "asyncio", "http": "h11"},
    "fast": {**BASE, "broadcast": "fast", "deflate": False},
    "queue": {**BASE, "broadcast": "queue", "deflate": False},  # fast, without the direct frames (realtime/wire.py)
    "fast-deflate": {**BASE, "broadcast": "fast"},
    "fast-asyncio": {**BASE, "broadcast": "fast", "deflate": False, "loop": "asyncio", "http": "h11"},
    "fast-wsproto": {**BASE, "broadcast": "fast", "deflate": False, "ws": "wsproto"},
    "fast-websockets": {**BASE, "broadcast": "fast", "deflate": False, "ws": "websockets"},
    "product": None,
    "product-pg": None,  # the product CLI on PostgreSQL (a fresh database: bench/fanout.py)
    "node": None,  # the reference: bench/node_ref/server.js (Node Socket.IO), emits on POST /emit
}
NODE_REF = ROOT / "bench" / "node_ref" / "server.js"


class Server:
    def __init__(self, variant: str, data_dir: Path, log_dir: Path, database_url: str = "") -> None:
        self.variant, self.data_dir = variant, data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The fan-out bench opens its N sockets with the demo's 26 member logins: no per-user socket cap, and a
        # user's shared event budget as large as N tablets' own would be (each joins and syncs at once).
        env = {
            **os.environ,
            "ECABINET_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            "ECABINET_SOCKETS_PER_USER": "0",
            "ECABINET_SOCKET_RATE": "10000",
        }
        if database_url:
            env["ECABINET_DATABASE_URL"] = database_url
        opts = VARIANTS[variant]
        if variant == "node":
            if not (NODE_REF.parent / "node_modules" / "socket.io").is_dir():
                raise RuntimeError("the Node reference is not installed: cd bench/node_ref && npm ci")
            cmd = ["node", str(NODE_REF), str(self.port)]
        elif opts is None:
            cmd = [sys.executable, "-m", "app.cli", "demo", "--port", str(self.port)]
        else:
            cmd = [
                sys.executable,
                str(ROOT / "bench" / "_server.py"),
                "--port",
                str(self.port),
                "--broadcast",
                opts["broadcast"],
                "--loop",
                opts["loop"],
                "--http",
                opts["http"],
                "--ws",
                opts["ws"],
            ]
            cmd += ["--deflate"] if opts["deflate"] else []
        self.log = open(log_dir / f"server-{variant}-{self.port}.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)

    async def wait_ready(self, http: aiohttp.ClientSession, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                async with http.get(self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError("server did not become healthy in time")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


async def login(http: aiohttp.ClientSession, url: str, username: str) -> tuple[str, str]:
    async with http.post(url + "/api/auth/login", json={"username": username, "password": PASSWORD}) as r:
        body = await r.json()
        if r.status != 200:
            raise RuntimeError(f"login {username}: {r.status} {body}")
        return r.cookies["ecabinet_session"].value, body["csrf_token"]


async def chair_post(
    http: aiohttp.ClientSession, url: str, chair: tuple[str, str], path: str, body: dict | None = None
) -> int:
    headers = {"Cookie": f"ecabinet_session={chair[0]}", "X-CSRF-Token": chair[1]}
    async with http.post(f"{url}/api/meetings/{MEETING_ID}/{path}", headers=headers, json=body) as r:
        await r.read()
        return r.status


def seed(data_dir: Path, database_url: str = "") -> None:
    """The demo's data, as `python -m app.cli demo` seeds it (in SQLite under `data_dir`, or in `database_url`)."""
    env = {**os.environ, "ECABINET_DATA_DIR": str(data_dir)}
    if database_url:
        env["ECABINET_DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--no-serve"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
    )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database's URL (dropped afterwards), or "" with the reason printed when this machine
    has no PostgreSQL at 127.0.0.1:5432."""
    from tests.pg import fresh_database

    try:
        with fresh_database() as url:
            yield url
    except BaseException as exc:  # pytest.skip's exception: no PostgreSQL on this machine
        if type(exc).__name__ != "Skipped":
            raise
        print(f"PostgreSQL skipped: {exc}", flush=True)
        yield ""
