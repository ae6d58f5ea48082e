"""A Redis outage never answers 500 (infra/ratelimit.py SharedFailureBudget, infra/cluster.py `reachable`,
realtime/presence.py, realtime/rtc_relay.py):
- sign-in goes on with Redis killed: each node counts failures itself with the same limits (still refused with
  429 rate_limited after them), says so once in its log, and counts in Redis again (shared between the nodes)
  once Redis answers on the same port, without a restart;
- the chair's tap answers at once and reaches this node's tablets (no publish retries held it up);
- a password change, a meeting join and rtc:* events answer as usual, or refuse with a code (media_unavailable)
  for media nobody can reach meanwhile.
Real `ecabinet serve` processes or a real uvicorn, and a Redis of the test's own (killed and started again)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import redis

from infra.settings import Settings
from tests.conftest import running
from tests.factories import PASSWORD, make_cabinet
from tests.live import live_client, login
from tests.redis_server import OwnRedis, node_process
from tests.waiting import eventually

UNREACHABLE = "sign-in limits: Redis unreachable"
ANSWERS = "sign-in limits: Redis answers again"


async def _login(url: str, username: str, password: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:  # a fresh client: no cookie of another try
        return await http.post("/api/auth/login", json={"username": username, "password": password})


async def test_sign_in_during_a_redis_outage_is_limited_per_node_then_shared_again(settings: Settings, db: Any) -> None:
    own = OwnRedis()
    own.start()
    channel = f"ecabinet-test-{uuid.uuid4().hex[:8]}"
    c = make_cabinet(db)
    a, b = (node_process(settings, own, channel, name) for name in ("node-a", "node-b"))
    a.start()
    b.start()
    try:
        await asyncio.gather(asyncio.to_thread(a.wait_healthy), asyncio.to_thread(b.wait_healthy))
        own.stop()

        for node in (a, b):  # ministers sign in, on either node
            r = await _login(node.url, c.members[0].username, PASSWORD)
            assert r.status_code == 200, (r.text, node.tail())
        guessed = c.members[1].username
        for _ in range(5):  # ECABINET_LOGIN_MAX_FAILURES' default
            r = await _login(a.url, guessed, "not-the-password")
            assert r.status_code == 401, r.text
        r = await _login(a.url, guessed, PASSWORD)  # over the limit: refused before the check, as with Redis
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0
        assert (await _login(b.url, guessed, "not-the-password")).status_code == 401  # B counts its own
        for node in (a, b):  # said once per outage, not per request
            assert node.log.read_text().count(UNREACHABLE) == 1, node.tail()

        own.start()  # the same port, empty (no persistence): the nodes are not restarted
        await eventually(
            lambda: all(ANSWERS in node.log.read_text() for node in (a, b)), "both nodes to use Redis again", timeout=15
        )
        # What a node refused meanwhile stays refused (the restarted Redis knows nothing of those guesses).
        assert (await _login(a.url, guessed, PASSWORD)).status_code == 429
        # Shared again: three failures on A and two on B exhaust one budget of five.
        other = c.members[2].username
        for node in (a, a, a, b, b):
            assert (await _login(node.url, other, "not-the-password")).status_code == 401
        r = await _login(b.url, other, PASSWORD)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", r.text
        with redis.Redis.from_url(own.url) as r_:
            assert r_.exists(f"{channel}:budget:login:user:{other.strip().lower()}")
        assert (await _login(a.url, c.members[3].username, PASSWORD)).status_code == 200
        for node in (a, b):
            assert node.log.read_text().count(UNREACHABLE) == 1, node.tail()
    finally:
        a.stop()
        b.stop()
        own.close()


async def test_password_change_join_and_media_during_a_redis_outage_answer_with_a_code(
    settings: Settings, db: Any
) -> None:
    own = OwnRedis()
    own.start()
    c = make_cabinet(db, start=True)
    elsewhere = make_cabinet(db, start=True)  # a meeting whose media node nobody knows during the outage
    node_settings = settings.with_(redis_url=own.url, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    try:
        async with running(node_settings) as node:
            tablet, http = await live_client(node.url, c.members[0].username)
            try:
                # This node becomes the meeting's media node while Redis answers.
                assert (await tablet.call("rtc:leave", {"meeting_id": c.meeting_id}))["ok"]
                own.stop()

                ack = await tablet.join(c.meeting_id)
                assert ack["ok"] and ack["data"]["online"] == [c.members[0].id], ack
                # Media that lives here goes on; media that cannot be reached is refused with a code, not a crash.
                assert (await tablet.call("rtc:leave", {"meeting_id": c.meeting_id})) == {"ok": True, "data": None}
                ack = await tablet.call("rtc:leave", {"meeting_id": elsewhere.meeting_id})
                assert not ack["ok"] and ack["error"]["code"] == "media_unavailable", ack
                assert ack["error"]["message"]

                # The chair's tap is not held up by socket.io's publish retries (2.4-4.8 s a write before), and
                # this node's tablets have the event.
                cluster = node.app.state.ctx.cluster
                await eventually(lambda: not cluster.reachable, "the node to know Redis is unreachable", timeout=15)
                chair = await login(node.url, c.chair.username)
                try:
                    for _ in range(2):
                        seq = tablet.seq
                        started = time.monotonic()
                        r = await chair.post(f"/api/meetings/{c.meeting_id}/next")
                        assert r.status_code == 200, r.text
                        assert time.monotonic() - started < 1.0  # one publish retry alone takes 1.2 s
                        await tablet.wait_for(
                            lambda env, seq=seq: env["seq"] > seq and env["type"] == "agenda.current_changed"
                        )
                finally:
                    await chair.aclose()

                r = await http.post("/api/me/password", json={"current": "not-the-password", "new": PASSWORD + "x"})
                assert r.status_code == 403, r.text  # a wrong current password, counted on this node
                limiter = node.app.state.ctx.login_limiter
                assert limiter.down and limiter.local.hits  # counted on this node, not forgotten

                own.start()
                await eventually(lambda: not limiter.down, "the sign-in limits to use Redis again", timeout=15)
                r = await http.post("/api/me/password", json={"current": "not-the-password", "new": PASSWORD + "x"})
                assert r.status_code == 403, r.text
                with redis.Redis.from_url(own.url) as r_:
                    assert r_.keys(f"{node_settings.redis_channel}:budget:password:*")  # counted in Redis again
            finally:
                await tablet.close()
                await http.aclose()
    finally:
        own.close()
