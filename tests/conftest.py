from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import socket
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
import uvicorn

from accounts import passwords
from app.cli import server_options
from app.db import Database
from app.factory import create_app
from app.migrate import upgrade
from infra.settings import Settings
from tests.waiting import eventually


# Real argon2id, cheaper parameters: the suite creates hundreds of accounts.
passwords.configure(time_cost=1, memory_cost=1024)
_TEMPLATE: dict[str, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pdf_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """A test server's settings for the tests of PDF work: no LibreOffice, a free port, a socket budget tests do not
    meet, then the test's own limits (upload size, worker memory, …)."""
    return Settings(
        data_dir=tmp_path / "data",
        port=free_port(),
        socket_rate_per_second=200,
        soffice="/nonexistent/soffice",
        **overrides,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=free_port(), login_max_failures=5, socket_rate_per_second=200)


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A real SQLite file, migrated with alembic exactly as production is."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    target = settings.data_dir / "ecabinet.db"
    if "db" not in _TEMPLATE:  # migrate once per run, then copy the migrated file for each test
        template = Path(tempfile.mkdtemp(prefix="ecabinet-template-")) / "ecabinet.db"
        upgrade(f"sqlite:///{template}")
        _TEMPLATE["db"] = template
    shutil.copyfile(_TEMPLATE["db"], target)
    database = Database(settings.effective_database_url)
    yield database
    database.dispose()


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        self.app = create_app(settings)
        self.db: Database = self.app.state.ctx.db


@contextlib.asynccontextmanager
async def serving(live: LiveServer) -> AsyncIterator[LiveServer]:
    """Serve `live.app` under a real uvicorn on its port, in the running event loop, as `ecabinet serve` runs it."""
    server = uvicorn.Server(uvicorn.Config(live.app, log_level="warning", **server_options(live.settings)))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "uvicorn to start")
    try:
        yield live
    finally:
        server.should_exit = True
        if not (await asyncio.wait({task}, timeout=10))[0]:
            stuck = _where_tasks_wait()  # before cancelling: the failure says what the shutdown was waiting for
            task.cancel()
            raise AssertionError(f"uvicorn did not stop within 10 s; tasks waiting at: {stuck}")
        task.result()


def _where_tasks_wait() -> str:
    """Each pending task's innermost frame in our code or a library (file:line function), for a hang's report."""
    places = []
    for t in asyncio.all_tasks():
        if t is asyncio.current_task() or not (stack := t.get_stack()):
            continue
        frame = stack[-1]
        places.append(f"{t.get_name()} {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
    return "; ".join(sorted(places))


def running(settings: Settings) -> contextlib.AbstractAsyncContextManager[LiveServer]:
    """The real app built from `settings`, served as `ecabinet serve` serves it."""
    return serving(LiveServer(settings))


@pytest.fixture
async def live_server(settings: Settings, db: Database) -> AsyncIterator[LiveServer]:
    async with serving(LiveServer(settings)) as live:
        yield live


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of each dialect (PostgreSQL: a fresh database, dropped afterwards)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("db")
        return
    from tests.pg import fresh_database

    with fresh_database() as url:
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()
