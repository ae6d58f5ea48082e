"""Rate-limit windows belong to the application (infra/context.py: AppContext.window), not to a module: the public
minutes checker refuses the upload one past VERIFY_LIMIT in a minute from one address, and another app in the
process is not counted with it."""

from __future__ import annotations

import shutil

import httpx

from infra.settings import Settings
from minutes import routes as minutes_routes
from tests.conftest import LiveServer, free_port, running


async def _verify(client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/api/minutes/verify", files={"file": ("x.pdf", b"not a pdf", "application/pdf")})


async def test_the_verify_window_is_the_apps_own(live_server: LiveServer, settings: Settings) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
        limit = minutes_routes.VERIFY_LIMIT[0]
        answers = [(await _verify(anonymous)).status_code for _ in range(limit + 1)]
    assert 429 not in answers[:limit] and answers[limit] == 429
    other = settings.with_(data_dir=settings.data_dir.parent / "other", port=free_port())
    other.data_dir.mkdir()
    shutil.copyfile(settings.data_dir / "ecabinet.db", other.data_dir / "ecabinet.db")  # migrated, like the first
    async with running(other) as second, httpx.AsyncClient(base_url=second.url) as anonymous:
        assert (await _verify(anonymous)).status_code != 429  # the same address, counted afresh by this app
    assert live_server.app.state.ctx.windows.keys() == {"minutes.verify"}
