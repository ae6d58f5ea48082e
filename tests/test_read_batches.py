"""Reads that many users make at the same moment are answered together (web/auth.py: read_as_user_together):
the requests that arrive while one such read runs share the next read, and each is still answered as the user
its own cookie names: its own result, its own refusal, 401 for a cookie whose session ended. Over the live
server's real database and sessions, with the handler in a tiny Starlette app in process."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts.models import User
from core.actor import Actor
from core.errors import DomainError, Forbidden
from infra.db import Database, each_answered, memo
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login
from tests.pg import fresh_database
from tests.waiting import eventually
from web.auth import COOKIE, read_as_user_together
from web.http import on_domain_error, ok

held = threading.Event()  # the first read waits for it: the other requests arrive meanwhile
first_running = threading.Event()
reads_of_user: list[int] = []  # the User rows actually read from the database, per read


def whoami(*, session: Session, actor: Actor, n: int, refuse: int | None = None) -> dict[str, Any]:
    if n == 0:
        first_running.set()
        held.wait(10)
    if actor.id == refuse:
        raise Forbidden("Không được xem.")

    def read_user() -> User | None:
        reads_of_user.append(1)
        return session.get(User, actor.id)

    assert memo(session, ("shared", 1), read_user) is not None
    return {"user_id": actor.id, "n": n}


async def handler(request: Request) -> Response:
    refuse = request.query_params.get("refuse")
    n = request.path_params["n"]
    actor, answer = await read_as_user_together(request, whoami, n=n, refuse=int(refuse) if refuse else None)
    assert answer["user_id"] == actor.id
    return ok(answer)


def tiny_app(live: LiveServer) -> Starlette:
    app = Starlette(routes=[Route("/who/{n:int}", handler)], exception_handlers={DomainError: on_domain_error})
    app.state.ctx = live.app.state.ctx  # the live server's settings, database and sessions
    return app


async def test_requests_arriving_while_a_read_runs_share_the_next_each_answered_as_its_own_user(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, n_members=4)
    https = [await login(live_server.url, u.username) for u in (c.chair, *c.members)]
    ended = await login(live_server.url, c.secretary.username)
    barred = await login(live_server.url, c.guest.username)
    cookies = [h.cookies[COOKIE] for h in https]
    gone = ended.cookies[COOKIE]
    assert (await ended.post("/api/auth/logout")).status_code == 200
    with live_server.db.engine.begin() as conn:  # the account deactivated: its live cookie no longer counts
        conn.execute(text('UPDATE "user" SET is_active = :a WHERE id = :u'), {"a": False, "u": c.guest.id})
    transport = httpx.ASGITransport(app=tiny_app(live_server))

    def client(cookie: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport, base_url="http://t", cookies={COOKIE: cookie})

    clients = [client(k) for k in cookies]
    logged_out = client(gone)
    deactivated = client(barred.cookies[COOKIE])
    held.clear()
    first_running.clear()
    reads_of_user.clear()
    try:
        first = asyncio.create_task(clients[0].get("/who/0"))
        await eventually(first_running.is_set, "the first read to be running")
        batch = live_server.app.state.ctx.read_batches[whoami]
        later = [
            asyncio.create_task(h.get(f"/who/{i}", params={"refuse": c.members[1].id}))
            for i, h in enumerate(clients[1:], 1)
        ]
        later.append(asyncio.create_task(logged_out.get("/who/9")))
        later.append(asyncio.create_task(deactivated.get("/who/10")))
        await eventually(lambda: len(batch.waiting) == len(later), "every later request to wait for the next read")
        held.set()
        answers = [await first, *(await asyncio.gather(*later))]
        assert batch.reads == 2  # the first request's read, then one for all the others
        assert reads_of_user == [1, 1]  # what they all ask for: read once per read
        assert answers[0].status_code == 200 and answers[0].json() == {"user_id": c.chair.id, "n": 0}
        assert answers[1].json() == {"user_id": c.members[0].id, "n": 1}
        assert answers[2].status_code == 403  # this caller's refusal; the others' answers are theirs
        assert [a.json() for a in answers[3:5]] == [
            {"user_id": c.members[2].id, "n": 3},
            {"user_id": c.members[3].id, "n": 4},
        ]
        assert answers[5].status_code == 401  # its session ended: nobody's answer
        assert answers[6].status_code == 401  # its account was deactivated
    finally:
        held.set()
        for h in (*https, ended, barred, *clients, logged_out, deactivated):
            await h.aclose()


def test_a_write_transaction_reads_again_what_it_asks_twice(live_server: LiveServer) -> None:
    """memo() shares answers only inside a read transaction: a write may have changed what it reads."""
    made: list[str] = []

    def twice(*, session: Session) -> None:
        for _ in range(2):
            memo(session, ("k",), lambda: made.append("x"))

    live_server.db.run_write(twice)
    assert made == ["x", "x"]
    made.clear()
    live_server.db.run_read(twice)
    assert made == ["x"]


def test_one_callers_failed_statement_does_not_fail_the_others_of_its_batch_on_postgresql() -> None:
    """PostgreSQL ends a transaction at its first error: the callers after it in the same batched read get a
    fresh one (infra/db.py: each_answered), and a refusal is only that caller's answer."""
    with fresh_database() as url:
        db = Database(url)
        try:

            def answer(item: str, session: Session) -> int:
                if item == "refused":
                    raise Forbidden("Không được xem.")
                sql = "SELECT no_such_column FROM meeting" if item == "broken" else "SELECT 1"
                return int(session.execute(text(sql)).scalar_one())

            got = db.run_read(
                lambda session: each_answered(session, ["ok", "broken", "refused", "ok"], lambda i: answer(i, session))
            )
        finally:
            db.dispose()
    assert [ok for ok, _ in got] == [True, False, False, True]
    assert got[0][1] == got[3][1] == 1
    assert isinstance(got[1][1], ProgrammingError) and isinstance(got[2][1], Forbidden)
