"""GET /api/search answers at a fixed time, whatever it found (search/pace.py), and each user has a budget of
searches (search/budget.py): a probe told a word found only in a restricted paper from a word found nowhere by
~0.5 ms, both answered "0 hits", and read a hidden word letter by letter with prefixes. Over the real server:
the floor holds for a hit, a miss, a match only in hidden pages and a refused query, in the same release step;
the budget answers 429 with Retry-After beyond its limit and lets the user search again once the window has passed,
per node or shared by two nodes through Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from search import budget, pace
from tests.cluster_helpers import REDIS_URL, need_services
from tests.conftest import free_port, running
from tests.factories import make_cabinet
from tests.live import login
from tests.search_helpers import add_doc

FLOOR_MS = 80
SECRET = "Quyetmatvuong là người được nêu tên trong kết luận thanh tra."
OPEN = "Báo cáo tình hình kinh tế - xã hội về cảng biển Vân Phong."


def test_release_at_is_the_floor_then_the_next_step() -> None:
    assert pace.release_at(0.001, 0.15) == 0.15
    assert pace.release_at(0.15, 0.15) == 0.15
    assert pace.release_at(0.151, 0.15) == pytest.approx(0.20)
    assert pace.release_at(0.20, 0.15) == pytest.approx(0.20)
    assert pace.release_at(0.201, 0.15) == pytest.approx(0.25)
    assert pace.release_at(1.0, 0.15) == pytest.approx(1.0)


async def _timed(client: httpx.AsyncClient, q: str) -> tuple[float, httpx.Response]:
    t0 = time.monotonic()
    r = await client.get("/api/search", params={"q": q})
    return time.monotonic() - t0, r


async def test_a_hit_a_miss_and_a_hidden_match_leave_at_the_same_step(settings: Settings, db: Any) -> None:
    c = make_cabinet(db)
    add_doc(db, c, [OPEN], title="Đề án cảng biển")
    add_doc(db, c, [SECRET] * 50, title="Kết luận (mật)", restricted=True, allowed_user_ids=[c.members[1].id])
    async with running(settings.with_(search_floor_ms=FLOOR_MS)) as live:
        member = await login(live.url, c.members[0].username)
        reader = await login(live.url, c.members[1].username)
        try:
            assert (await reader.get("/api/search", params={"q": "Quyetmatvuong "})).json()["total"] == 50
            queries = {"hit": "cảng biển ", "miss": "Khongcotudieu ", "hidden only": "Quyetmatvuong ", "refused": "**"}
            answers: dict[str, list[Any]] = {k: [] for k in queries}
            for _ in range(5):  # interleaved; the least of five drops a moment the machine was busy elsewhere
                for what, q in queries.items():
                    answers[what].append(await _timed(member, q))
            statuses = {what: {r.status_code for _, r in got} for what, got in answers.items()}
            assert statuses == {"hit": {200}, "miss": {200}, "hidden only": {200}, "refused": {422}}
            assert answers["hit"][0][1].json()["total"] == 2  # the title and the page
            assert (
                answers["hidden only"][0][1].json()
                == answers["miss"][0][1].json()
                == {
                    "items": [],
                    "total": 0,
                    "more": False,
                }
            )
            least = {what: min(t for t, _ in got) for what, got in answers.items()}
            floor = FLOOR_MS / 1000
            assert all(t >= floor for t in least.values()), least
            steps = {what: int((t - floor) // pace.QUANTUM) for what, t in least.items()}
            assert set(steps.values()) == {0}, (least, steps)
        finally:
            await member.aclose()
            await reader.aclose()


async def test_the_wait_holds_neither_the_loop_nor_a_worker(settings: Settings, db: Any) -> None:
    """Eight searches at once all leave at about the floor (they wait side by side, not one after another), and
    the server answers other requests meanwhile."""
    c = make_cabinet(db)
    add_doc(db, c, [OPEN])
    floor_ms = 400
    async with running(settings.with_(search_floor_ms=floor_ms)) as live:
        member = await login(live.url, c.members[0].username)
        try:
            t0 = time.monotonic()
            searches = [asyncio.create_task(_timed(member, "cảng biển ")) for _ in range(8)]
            await asyncio.sleep(0)  # every request is on its way
            assert (await member.get("/healthz")).status_code == 200
            assert not any(t.done() for t in searches)  # answered while all eight were still held
            done = await asyncio.gather(*searches)
            assert all(r.status_code == 200 and t >= floor_ms / 1000 for t, r in done)
            assert time.monotonic() - t0 < 4 * floor_ms / 1000  # not 8 × the floor
        finally:
            await member.aclose()


async def test_the_budget_refuses_with_retry_after_then_lets_the_user_search_again(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "PER_MINUTE", 3)
    monkeypatch.setattr(budget, "MINUTE", 1.0)  # the window, made at the server's first search
    c = make_cabinet(db)
    add_doc(db, c, [OPEN])
    async with running(settings.with_(search_floor_ms=20)) as live:
        member = await login(live.url, c.members[0].username)
        other = await login(live.url, c.members[1].username)
        try:
            for _ in range(3):
                assert (await member.get("/api/search", params={"q": "cảng"})).status_code == 200
            t0 = time.monotonic()
            r = await member.get("/api/search", params={"q": "cảng"}, headers={"Accept-Language": "en"})
            assert time.monotonic() - t0 >= 0.020  # a refusal leaves at the floor too
            assert r.status_code == 429, r.text
            assert r.json()["error"]["code"] == "rate_limited"
            assert r.json()["error"]["details"] == {"reason": "per_minute", "limit": 3}
            assert r.headers["Retry-After"] == "1"
            vi = await member.get("/api/search", params={"q": "cảng"})
            assert vi.json()["error"]["message"] == (
                "Bạn đã tìm kiếm quá nhiều lần trong một phút; hãy thử lại sau 1 giây."
            )
            assert (await other.get("/api/search", params={"q": "cảng"})).status_code == 200  # per user
            await asyncio.sleep(int(r.headers["Retry-After"]))  # what a client is told to do
            assert (await member.get("/api/search", params={"q": "cảng"})).status_code == 200
        finally:
            await member.aclose()
            await other.aclose()


async def test_the_day_budget_says_minutes_and_does_not_spend_the_minute(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(budget, "PER_DAY", 2)
    c = make_cabinet(db)
    async with running(settings.with_(search_floor_ms=20)) as live:
        member = await login(live.url, c.members[0].username)
        try:
            assert [(await member.get("/api/search", params={"q": "cảng"})).status_code for _ in range(2)] == [200] * 2
            r = await member.get("/api/search", params={"q": "cảng"})
            assert r.status_code == 429 and r.json()["error"]["details"] == {"reason": "per_day", "limit": 2}
            assert 86_000 <= int(r.headers["Retry-After"]) <= 86_400
            assert r.json()["error"]["message"].startswith("Bạn đã tìm kiếm quá nhiều lần trong 24 giờ qua")
            assert r.json()["error"]["message"].endswith("1440 phút.")
            minute = live.app.state.search_budget.minute
            assert len(minute.hits[f"search:minute:{c.members[0].id}"]) == 2  # the refused one was given back
        finally:
            await member.aclose()


async def test_two_nodes_share_one_budget_through_redis(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_services()
    monkeypatch.setattr(budget, "PER_MINUTE", 4)
    c = make_cabinet(db)
    shared = settings.with_(
        redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}", search_floor_ms=20
    )
    async with running(shared) as a, running(shared.with_(port=free_port())) as b:
        on_a, on_b = await login(a.url, c.members[0].username), await login(b.url, c.members[0].username)
        try:
            statuses = [
                (await (on_a, on_b)[i % 2].get("/api/search", params={"q": "cảng"})).status_code for i in range(5)
            ]
            assert statuses == [200] * 4 + [429], statuses
            assert (await on_a.get("/api/search", params={"q": "cảng"})).status_code == 429
        finally:
            await on_a.aclose()
            await on_b.aclose()


async def test_engine_timing_answers_without_floor_or_budget(
    settings: Settings, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/search.py's setting (never a deployment's): the engine's own time, no budget."""
    monkeypatch.setattr(budget, "PER_MINUTE", 2)
    c = make_cabinet(db)
    async with running(settings.with_(search_floor_ms=2000, search_engine_timing=True)) as live:
        member = await login(live.url, c.members[0].username)
        try:
            t0 = time.monotonic()
            assert [(await member.get("/api/search", params={"q": "cảng"})).status_code for _ in range(3)] == [200] * 3
            assert time.monotonic() - t0 < 3 * 2.0  # no 2 s floor on any of them
        finally:
            await member.aclose()


def test_the_product_default_is_paced() -> None:
    assert Settings().search_floor_ms == 150 and Settings().search_engine_timing is False
    assert Settings.from_env({"ECABINET_SEARCH_FLOOR_MS": "200"}).search_floor_ms == 200
