"""/healthz tells a load balancer whether to send this node work: 200 while it can serve, 503 when it is
draining or cannot reach its database (deploy/haproxy.cfg takes it out). Redis alone does not take a node out
(every node would go at once): 200 "degraded", saying so."""

from __future__ import annotations

import httpx

from infra.settings import Settings
from tests.conftest import free_port, running


async def test_a_node_whose_redis_is_unreachable_stays_in_service_and_says_redis_is_down(
    settings: Settings, db: object
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with running(settings.with_(redis_url=dead, redis_channel="ecabinet-test-noredis")) as node:
        async with httpx.AsyncClient(base_url=node.url) as client:
            r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "degraded" and r.json()["redis"] and r.json()["node"]


async def test_a_draining_node_answers_503_and_a_healthy_one_200(settings: Settings, db: object) -> None:
    async with running(settings) as node:
        async with httpx.AsyncClient(base_url=node.url) as client:
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            node.app.state.ctx.cluster.draining = True  # what SIGTERM does first (infra/draining.py)
            r = await client.get("/healthz")
            assert r.status_code == 503 and r.json()["status"] == "draining"
            assert (await client.get("/api/openapi.json")).status_code == 200  # it still serves meanwhile


async def test_a_node_whose_database_is_gone_answers_503_and_says_so(settings: Settings) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.pg import PG_SERVER, fresh_database

    with fresh_database() as url:
        async with running(settings.with_(database_url=url)) as node:
            async with httpx.AsyncClient(base_url=node.url) as client:
                assert (await client.get("/healthz")).status_code == 200
                admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:  # the database server loses it (and every connection to it)
                    conn.execute(text(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
                admin.dispose()
                r = await client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable" and r.json()["database"] and "redis" not in r.json()
