"""A Redis server of the test's own on a free port (never the shared one at 6379), so a test may stop, kill and
restart it without disturbing anything else."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import redis

from infra.settings import Settings
from tests.cluster_helpers import Node
from tests.conftest import free_port
from tests.waiting import eventually_sync


class OwnRedis:
    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ecabinet-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", *args, "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        eventually_sync(self.answers, f"redis-server on {self.port} to answer", timeout=10, interval=0.05)

    def save(self) -> None:
        """Written to disk: the next start() loads it (a Redis with persistence, restarted)."""
        with redis.Redis.from_url(self.url) as r:
            r.save()

    def stop(self) -> None:
        """As a crash: every connection to it is cut; what it held since the last save() is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def node_process(settings: Settings, own: OwnRedis, channel: str, name: str) -> Node:
    """An `ecabinet serve` process (uvloop, as deployed) on the tests' SQLite database (migrated by the db
    fixture) and `own` Redis; start() it."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("ECABINET_")}
    env = {
        **keep,
        "ECABINET_DATA_DIR": str(settings.data_dir),
        "ECABINET_REDIS_URL": own.url,
        "ECABINET_REDIS_CHANNEL": channel,
        "ECABINET_NODE_ID": name,
        "ECABINET_CLUSTER_HEARTBEAT": "0.5",
        "ECABINET_MEDIA_PREWARM": "0",
        "ECABINET_SOCKET_RATE": "200",
    }
    return Node(name, free_port(), env, settings.data_dir / f"{name}.log")
