"""The rendered pages' disk budget (ECABINET_PAGE_CACHE_MB, documents/page_cache.py), with the real app, its
sweeping thread and real renders: zoom pages asked for past the budget are evicted least recently used first
(zoom before any tablet image), never one just used, and an evicted page is drawn again when asked for."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from documents import render
from documents.models import DocumentVersion
from documents.page_cache import PageCache, PageCacheLoop
from infra.settings import Settings
from tests.conftest import LiveServer, free_port
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login
from tests.waiting import eventually

PAGES = 4  # tablet + thumb ≈ 230 KB a page, zoom ≈ 540 KB: 4 pages and their zooms pass 2 MB


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", port=free_port(), socket_rate_per_second=200, page_cache_mb=2)


def _cache(live: LiveServer) -> PageCache:
    (loop,) = [b for b in live.app.state.ctx.background if isinstance(b, PageCacheLoop)]
    return loop.cache


def _sizes(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in root.rglob("*.png")}


async def _swept(cache: PageCache) -> None:
    """Wake the app's sweeping thread and wait for its sweep to finish."""
    done = cache.sweeps
    cache.wake.set()
    await eventually(lambda: cache.sweeps > done, "a sweep")


async def test_zoom_pages_past_the_budget_are_evicted_least_recently_used_first(live_server: LiveServer) -> None:
    cache = _cache(live_server)
    assert cache.budget == 2 << 20  # ECABINET_PAGE_CACHE_MB
    c = make_cabinet(live_server.db)
    member = await login(live_server.url, c.members[0].username)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(PAGES))
        assert r.status_code == 201, r.text
        doc = r.json()["id"]
        sha = live_server.db.run_read(lambda session: session.exec(select(DocumentVersion.sha256)).one())
        data = live_server.settings.data_dir
        await eventually(lambda: render.pages_ready(data, sha, PAGES) and len(_sizes(cache.root)) == 2 * PAGES)

        async def zoom(n: int) -> None:
            got = await member.get(f"/api/documents/{doc}/pages/{n}", params={"size": "zoom"})
            assert got.status_code == 200, got.text

        for n in range(1, PAGES + 1):  # more than the budget holds
            await zoom(n)
        await zoom(1)  # used again: now the most recently used
        held = _sizes(cache.root)
        assert sum(held.values()) > cache.budget and len(held) == 3 * PAGES

        # Every file was used within the grace period (a page being served): none goes yet.
        await _swept(cache)
        assert _sizes(cache.root) == held

        cache.grace = 0  # now they are all old enough
        await _swept(cache)
        kept = _sizes(cache.root)
        assert sum(kept.values()) <= cache.budget
        assert all(f"{size}-{n}.png" in kept for size in ("tablet", "thumb") for n in range(1, PAGES + 1))
        zooms = [n for n in (2, 3, 4, 1) if f"zoom-{n}.png" in kept]  # least recently used first
        assert zooms and zooms == [2, 3, 4, 1][-len(zooms) :] and "zoom-2.png" not in kept

        await zoom(2)  # evicted: drawn again on demand
        assert render.cache_path(data, sha, "zoom", 2).exists()
    finally:
        await member.aclose()
        await staff.aclose()
