"""Media tests run inside a loopback-only network namespace (tests/media/netns.py); ICE is limited to
127.0.0.1 on both ends (the server's setting and these test peers), with no STUN/TURN."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media import netns
from tests.waiting import eventually

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    netns.apply(items, lambda item: HERE in Path(str(item.fspath)).parents)


@pytest.fixture
def media_settings(settings):
    from realtime.media import hooks

    hooks.limit_host_addresses(["127.0.0.1"])  # this process's aiortc test peers
    return settings.with_(rtc_host_addresses=("127.0.0.1",), rtc_grace_seconds=2.0, media_fps=15)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "media: WebRTC media tests, run in a loopback-only network namespace")


@pytest.fixture
async def media_server(media_settings, db):
    """The real app (with its media worker process) under uvicorn, ICE limited to 127.0.0.1."""
    import asyncio

    import uvicorn

    from app.cli import server_options
    from tests.conftest import LiveServer

    live = LiveServer(media_settings)
    config = uvicorn.Config(live.app, log_level="warning", **server_options(media_settings))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "uvicorn to start")
    yield live
    server.should_exit = True
    await asyncio.wait_for(task, 20)
