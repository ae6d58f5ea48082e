"""Guessing limits against the real uvicorn: failures are counted before the slow secret check, so a burst of
parallel guesses is not all evaluated; forwarded headers are believed only from configured proxies."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, free_port, running
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.minutes_helpers import scripted_meeting, signer_keys

BURST = 40


async def _burst(
    base_url: str,
    path: str,
    bodies: list[dict],
    headers: list[dict] | None = None,
    cookies: httpx.Cookies | None = None,
    csrf: str = "",
) -> list[httpx.Response]:
    """Every request on its own connection, all released at the same moment."""
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=len(bodies))
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits, cookies=cookies) as client:
        if csrf:
            client.headers["X-CSRF-Token"] = csrf
        go = asyncio.Event()

        async def one(i: int) -> httpx.Response:
            await go.wait()
            return await client.post(path, json=bodies[i], headers=(headers or [{}] * len(bodies))[i])

        tasks = [asyncio.create_task(one(i)) for i in range(len(bodies))]
        await asyncio.sleep(0)  # every task is waiting on the event
        go.set()
        return await asyncio.gather(*tasks)


def _tally(answers: list[httpx.Response]) -> dict[int, int]:
    out: dict[int, int] = {}
    for r in answers:
        out[r.status_code] = out.get(r.status_code, 0) + 1
    return out


def _assert_limited(answers: list[httpx.Response], judged_status: int, limit: int) -> None:
    tally = _tally(answers)
    assert tally.get(judged_status, 0) <= limit and set(tally) <= {judged_status, 429}, tally
    refused = [r for r in answers if r.status_code == 429]
    assert len(refused) >= len(answers) - limit
    for r in refused:
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


async def test_forty_parallel_wrong_passwords_only_five_are_evaluated(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    bodies = [{"username": user.username, "password": f"sai-mat-khau-{i}"} for i in range(BURST)]
    answers = await _burst(live_server.url, "/api/auth/login", bodies)
    _assert_limited(answers, 401, live_server.settings.login_max_failures)
    # The owner with the right password waits too (the budget is counted per address and account).
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


async def test_a_burst_of_guesses_at_many_accounts_from_one_address_is_not_all_evaluated(
    live_server: LiveServer,
) -> None:
    """One guess at each of forty accounts, all at once: the address-wide budget (4x the limit) holds within the
    few checks the address runs at a time (infra/ratelimit.py KeyedGate), not forty."""
    users = [make_user(live_server.db) for _ in range(BURST // 2)]
    names = [u.username for u in users] + [f"khong-co-{i}" for i in range(BURST - len(users))]
    answers = await _burst(live_server.url, "/api/auth/login", [{"username": n, "password": "sai"} for n in names])
    width = live_server.app.state.ctx.login_gates.width
    _assert_limited(answers, 401, 4 * live_server.settings.login_max_failures + width - 1)


async def test_a_success_does_not_count_and_forgives_the_owners_typos(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        for _ in range(2):
            for _ in range(live_server.settings.login_max_failures - 1):
                assert (
                    await client.post("/api/auth/login", json={"username": user.username, "password": "sai-1"})
                ).status_code == 401
            assert (
                await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
            ).status_code == 200


async def test_spoofed_forwarded_for_neither_resets_nor_splits_the_limit(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    n = live_server.settings.login_max_failures
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        answers = []
        for i in range(2 * n):  # a fresh forged address on every guess
            answers.append(
                await client.post(
                    "/api/auth/login",
                    json={"username": user.username, "password": "sai-1"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"198.51.100.{i}"},
                )
            )
        assert [r.status_code for r in answers] == [401] * n + [429] * n


@pytest.fixture
def proxied(settings):
    return settings.with_(trusted_proxies=("127.0.0.1",))


async def test_a_configured_proxy_is_believed(proxied, db) -> None:
    """Behind a trusted proxy each real client has its own budget (ECABINET_TRUSTED_PROXIES)."""
    async with running(proxied) as live:
        user = make_user(live.db)
        async with httpx.AsyncClient(base_url=live.url) as client:
            for who in ("203.0.113.7", "203.0.113.8"):
                codes = [
                    (
                        await client.post(
                            "/api/auth/login",
                            json={"username": user.username, "password": "sai-1"},
                            headers={"X-Forwarded-For": who},
                        )
                    ).status_code
                    for _ in range(6)
                ]
                assert codes == [401] * 5 + [429]


async def test_several_web_processes_share_one_budget_through_redis(settings, db) -> None:
    """Behind a load balancer, guesses spread over two processes still get five evaluations in all."""
    from tests.test_multinode import REDIS_URL, _redis_up

    if not _redis_up():
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    shared = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(shared) as a, running(shared.with_(port=free_port())) as b:
        user = make_user(a.db)
        bodies = [{"username": user.username, "password": f"sai-mat-khau-{i}"} for i in range(BURST // 2)]
        answers = await asyncio.gather(
            _burst(a.url, "/api/auth/login", bodies), _burst(b.url, "/api/auth/login", bodies)
        )
        _assert_limited(answers[0] + answers[1], 401, settings.login_max_failures)
        async with httpx.AsyncClient(base_url=b.url) as client:  # a success on either node releases its own try only
            r = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
            assert r.status_code == 429


async def test_forty_parallel_wrong_signing_passwords_only_five_are_evaluated(live_server: LiveServer) -> None:
    s = scripted_meeting(live_server.db)
    c, mid = s.cabinet, s.meeting_id
    signer_keys(Path(live_server.settings.data_dir), c)
    staff = await login(live_server.url, c.staff.username)
    secretary = await login(live_server.url, c.secretary.username)
    base = f"/api/meetings/{mid}/minutes"
    try:
        assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
        bodies = [{"password": f"không đúng {i}", "version": 1} for i in range(BURST)]
        answers = await _burst(
            live_server.url, f"{base}/sign", bodies, cookies=secretary.cookies, csrf=secretary.headers["X-CSRF-Token"]
        )
        _assert_limited(answers, 403, live_server.settings.login_max_failures)
        assert (await secretary.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})).status_code == 429
    finally:
        await staff.aclose()
        await secretary.aclose()


async def _hall_then_spray(base_url: str, users: list, limit: int) -> None:
    """Forty tablets behind one address sign in at the same moment: all get in. Then one guess at each of
    many accounts from that address: after 4x the limit of failures the address is refused for everyone."""
    hall = await _burst(base_url, "/api/auth/login", [{"username": u.username, "password": PASSWORD} for u in users])
    assert _tally(hall) == {200: len(users)}
    spray = [{"username": f"khong-co-{i}", "password": "sai-mat-khau"} for i in range(4 * limit)]
    for body in spray:  # one after another: each failure is counted before the next
        async with httpx.AsyncClient(base_url=base_url) as client:
            assert (await client.post("/api/auth/login", json=body)).status_code == 401
    async with httpx.AsyncClient(base_url=base_url) as client:
        r = await client.post("/api/auth/login", json={"username": users[0].username, "password": PASSWORD})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"


async def test_a_hall_of_tablets_behind_one_address_signs_in_at_once(live_server: LiveServer) -> None:
    users = [make_user(live_server.db) for _ in range(BURST)]
    await _hall_then_spray(live_server.url, users, live_server.settings.login_max_failures)


async def test_a_hall_behind_one_address_signs_in_at_once_through_redis(settings, db) -> None:
    from tests.test_multinode import REDIS_URL, _redis_up

    if not _redis_up():
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    shared = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(shared) as a:
        users = [make_user(a.db) for _ in range(BURST)]
        await _hall_then_spray(a.url, users, settings.login_max_failures)
