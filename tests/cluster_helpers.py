"""A real cluster for tests: `ecabinet serve` processes on free ports sharing one fresh PostgreSQL database,
the real Redis under a random key prefix, one data directory, and Debian's HAProxy in front of them with
deploy/haproxy.cfg (the file a deployment uses; only its addresses come from the environment)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
import redis
import socketio

from app.db import Database
from meetings.reducer import apply_event
from tests.conftest import free_port
from tests.live import LiveClient
from tests.pg import fresh_database
from tests.waiting import eventually_sync

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/0"
ECABINET = str(Path(sys.executable).with_name("ecabinet"))


def need_services() -> None:
    if shutil.which("haproxy") is None:
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")


def _wait(url: str, status: int = 200, timeout: float = 60) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == status
        except httpx.HTTPError:
            return False

    eventually_sync(answers, f"{url} to answer {status}", timeout=timeout, interval=0.1)


@dataclass
class Node:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [ECABINET, "serve", "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self) -> None:
        _wait(self.url + "/healthz")

    def tail(self, size: int = 4000) -> str:
        """The end of the node's log, for a failure message."""
        return self.log.read_bytes()[-size:].decode(errors="replace")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """SIGKILL: the web process dies at once (its media workers, if any, with its process group)."""
        assert self.proc is not None
        if sig == signal.SIGKILL:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # no drain: the test is over
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@dataclass
class Cluster:
    database_url: str
    data_dir: Path
    prefix: str = field(default_factory=lambda: f"ecabinet-test-{uuid.uuid4().hex[:10]}")
    nodes: list[Node] = field(default_factory=list)
    lb_port: int = 0
    haproxy: subprocess.Popen[bytes] | None = None
    grace_seconds: float = 20.0
    # More ECABINET_* variables: for every node ("*") and per node name ("node-a": they win)
    node_env: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def env(self, name: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("ECABINET_")}
        keep["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), keep.get("PYTHONPATH")])
        )  # this checkout's packages
        return {
            **keep,
            "ECABINET_DATABASE_URL": self.database_url,
            "ECABINET_REDIS_URL": REDIS_URL,
            "ECABINET_REDIS_CHANNEL": self.prefix,
            "ECABINET_DATA_DIR": str(self.data_dir),
            "ECABINET_NODE_ID": name,
            "ECABINET_CLUSTER_HEARTBEAT": "0.5",
            "ECABINET_DRAIN_SECONDS": "2.5",
            "ECABINET_MEDIA_PREWARM": "0",
            "ECABINET_SOCKET_RATE": "200",
            "ECABINET_LOGIN_MAX_FAILURES": "5",
            "ECABINET_RTC_HOST_ADDRESSES": "127.0.0.1",
            "ECABINET_RTC_GRACE_SECONDS": str(self.grace_seconds),
            **self.node_env.get("*", {}),
            **self.node_env.get(name, {}),
        }

    def start(self, n: int = 3) -> None:
        for i in range(n):
            name = f"node-{'abcdefgh'[i]}"
            node = Node(name, free_port(), self.env(name), self.data_dir / f"{name}.log")
            node.start()
            self.nodes.append(node)
        for node in self.nodes:
            node.wait_healthy()
        self.lb_port = free_port()
        lb_env = {**os.environ, "ECABINET_LB_BIND": f"127.0.0.1:{self.lb_port}"}
        for i, node in enumerate(self.nodes, 1):
            lb_env[f"ECABINET_NODE{i}"] = f"127.0.0.1:{node.port}"
        with (self.data_dir / "haproxy.log").open("ab") as out:
            self.haproxy = subprocess.Popen(
                ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                env=lb_env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        _wait(self.url + "/healthz")

    def restart(self, node: Node) -> None:
        node.start()
        node.wait_healthy()

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
        for node in self.nodes:
            node.stop()
        r = redis.Redis.from_url(REDIS_URL)
        keys = list(r.scan_iter(f"{self.prefix}:*", count=1000))
        if keys:
            r.delete(*keys)


@contextlib.contextmanager
def running_cluster(seed: Callable[[Database], Any], n: int = 3, **options: Any) -> Iterator[tuple[Cluster, Any]]:
    """A fresh PostgreSQL database seeded by `seed`, then n nodes and HAProxy; everything removed afterwards.
    The data directory is our own (pytest's basetemp rotation by other runs must not remove it meanwhile)."""
    need_services()
    with fresh_database() as url:
        db = Database(url)
        seeded = seed(db)
        db.dispose()
        data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-cluster-"))
        cluster = Cluster(url, data_dir, **options)
        try:
            cluster.start(n)
            yield cluster, seeded
        finally:
            cluster.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


class Tablet(LiveClient):
    """A tablet as the page behaves: reconnects by itself (through the load balancer), joins again (a new socket
    is replayed nothing from before its own snapshot: it takes the join's snapshot when that is ahead, recorded in
    `jumps`) and fills any later gap with meeting:sync, applying each seq at most once and in order."""

    def __init__(self, base_url: str, cookie: str, meeting_id: int) -> None:
        super().__init__(base_url, cookie)
        self.meeting_id = meeting_id
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("event", self._on_event)
        self.sio.on("presence", self._on_presence)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.applied: list[int] = []
        self.online: list[int] | None = None
        self.got_presence = asyncio.Event()
        self.drops = 0
        self.errors: list[str] = []
        self.jumps: list[tuple[int, int]] = []  # (seq held, seq of the snapshot taken instead of the events between)
        self.rejoined = asyncio.Event()
        self._buffer: list[dict[str, Any]] = []
        self._resyncing = False
        self._joined = False

    async def connect(self) -> None:
        # A callable: the client library removes the Cookie header from the dict it is given, and a reconnect
        # would then go without it (and be refused).
        cookie = {"Cookie": f"ecabinet_session={self.cookie}"}
        await self.sio.connect(self.base_url, transports=["websocket"], headers=lambda: dict(cookie), wait_timeout=10)

    def _apply(self, env: dict[str, Any]) -> None:
        assert self.state is not None
        self.state = apply_event(self.state, env)
        self.seq = env["seq"]
        self.applied.append(env["seq"])

    async def _on_event(self, env: dict[str, Any]) -> None:
        self.events.append(env)
        if self.state is None or self._resyncing:
            self._buffer.append(env)
        elif env["seq"] == self.seq + 1:
            self._apply(env)
        elif env["seq"] > self.seq + 1:  # a gap: fetch what is missing
            self._buffer.append(env)
            self._spawn(self._resync(rejoin=False))
        self.got_event.set()

    async def _on_presence(self, msg: dict[str, Any]) -> None:
        if msg.get("meeting_id") == self.meeting_id:
            self.online = msg["online"]
            self.got_presence.set()

    async def _on_disconnect(self, *args: Any) -> None:
        self.drops += 1
        self.rejoined.clear()

    async def _on_connect(self) -> None:
        if self._joined:  # a reconnect: the new socket is in no room yet
            self._spawn(self._resync(rejoin=True))

    def in_order(self) -> bool:
        """Each seq applied at most once, in order, and every seq skipped covered by a snapshot taken at a rejoin."""
        jumps = dict(self.jumps)
        return all(b == a + 1 or b == jumps.get(a, -1) + 1 for a, b in zip(self.applied, self.applied[1:]))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)

        def failed(t: asyncio.Future[Any]) -> None:
            if not t.cancelled() and t.exception() is not None:
                self.errors.append(repr(t.exception()))

        task.add_done_callback(failed)

    async def join(self, meeting_id: int) -> dict[str, Any]:
        ack = await super().join(meeting_id)
        self._joined = ack["ok"]
        if ack["ok"]:
            self.online = ack["data"]["online"]
        return ack

    async def _resync(self, *, rejoin: bool) -> None:
        if self._resyncing:
            return
        self._resyncing = True
        try:
            if rejoin:
                ack = await self.call("meeting:join", {"meeting_id": self.meeting_id})
                assert ack["ok"], ack
                self.online = ack["data"]["online"]
                if ack["data"]["seq"] > self.seq:
                    self.jumps.append((self.seq, ack["data"]["seq"]))
                    self.state, self.seq = ack["data"]["snapshot"], ack["data"]["seq"]
            missed = await self.call("meeting:sync", {"meeting_id": self.meeting_id, "since": self.seq})
            assert missed["ok"] and "events" in missed["data"], missed
            for env in missed["data"]["events"]:
                if env["seq"] == self.seq + 1:
                    self._apply(env)
            for env in sorted(self._buffer, key=lambda e: e["seq"]):
                if env["seq"] == self.seq + 1:
                    self._apply(env)
            self._buffer.clear()
        finally:
            self._resyncing = False
        if rejoin:
            self.rejoined.set()
