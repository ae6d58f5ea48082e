"""The signing password's failure budget is the cluster's, not one node's: wrong signing passwords sent to
two web processes sharing Redis (and the data directory that holds the sealed keys) are refused after five
in all, on both. (Login: tests/test_signin_limits.py and tests/test_cluster.py.)"""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.cluster_helpers import REDIS_URL, need_services
from tests.conftest import free_port, running
from tests.factories import PASSWORD
from tests.live import login
from tests.minutes_helpers import scripted_meeting, signer_keys


async def test_wrong_signing_passwords_spread_over_two_nodes_hit_one_limit(settings, db) -> None:
    need_services()
    shared = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(shared) as a, running(shared.with_(port=free_port())) as b:
        s = scripted_meeting(a.db)
        c, mid = s.cabinet, s.meeting_id
        signer_keys(Path(shared.data_dir), c)
        staff = await login(a.url, c.staff.username)
        on_a, on_b = await login(a.url, c.secretary.username), await login(b.url, c.secretary.username)
        base = f"/api/meetings/{mid}/minutes"
        try:
            assert (await staff.post(f"{base}/finalise")).json()["state"] == "final"
            answers = [
                (
                    await (on_a, on_b)[i % 2].post(f"{base}/sign", json={"password": f"không đúng {i}", "version": 1})
                ).status_code
                for i in range(6)
            ]
            assert answers == [403] * 5 + [429], answers
            for client in (on_a, on_b):  # refused on every node, the right password too, until the window passes
                r = await client.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
                assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        finally:
            for client in (staff, on_a, on_b):
                await client.aclose()
