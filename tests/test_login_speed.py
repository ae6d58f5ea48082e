"""Login: argon2id parameters within OWASP's guidance and the tablet's patience, hashes made with older
parameters upgraded at the next login, and no login holding the database's write lock while it hashes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from argon2 import PasswordHasher, Type, extract_parameters
from sqlalchemy import func, update
from sqlmodel import select

from accounts import passwords
from accounts.models import AuthSession, User
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent
# OWASP Password Storage Cheat Sheet, argon2id: any one of these (memory KiB, iterations), parallelism 1.
OWASP = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))
# The tablet's patience: at most 3x the work of the cheapest OWASP setting (m x t), one core per login.
PATIENCE = 3 * 19456 * 2


def _production_hash() -> str:
    """A hash made with the product's own parameters (this suite configures cheaper ones at import)."""
    code = "from accounts.passwords import hash_password; print(hash_password('x'))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_new_hashes_meet_owasp_and_stay_within_a_login_budget() -> None:
    params = extract_parameters(_production_hash())
    assert params.type is Type.ID
    assert any(params.memory_cost >= m and params.time_cost >= t for m, t in OWASP), params
    assert params.parallelism == 1, "one core per login: parallel lanes only share the same two cores"
    assert params.memory_cost * params.time_cost <= PATIENCE, params


async def _stored_hash(live: LiveServer, username: str) -> str:
    def read(session):
        return session.exec(select(User.password_hash).where(User.username == username)).one()

    return await asyncio.to_thread(live.db.run_read, read)


async def test_a_hash_with_older_parameters_is_upgraded_at_the_next_login(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    old = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=2).hash(PASSWORD)

    def plant(session):
        session.execute(update(User).where(User.id == user.id).values(password_hash=old))

    live_server.db.run_write(plant)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=20) as client:
        wrong = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD + "x"})
        assert wrong.status_code == 401
        assert await _stored_hash(live_server, user.username) == old  # only the right password is rehashed

        assert (
            await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        ).status_code == 200
        upgraded = await _stored_hash(live_server, user.username)
        assert upgraded != old and extract_parameters(upgraded) != extract_parameters(old)
        current = passwords.parameters()
        got = extract_parameters(upgraded)
        assert (got.time_cost, got.memory_cost, got.parallelism) == (
            current["time_cost"],
            current["memory_cost"],
            current["parallelism"],
        )

        again = await client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
        assert again.status_code == 200
        assert await _stored_hash(live_server, user.username) == upgraded  # once upgraded, left alone


async def test_a_login_does_not_hold_the_write_lock_while_it_hashes(live_server: LiveServer) -> None:
    """Another write (a vote, say) goes through while a login is still hashing: it finds no session yet
    written for that login. Before, the hash ran inside the write transaction, under SQLite's write lock."""
    passwords.configure(time_cost=40, memory_cost=8192)  # a hash far slower than a write
    try:
        user = make_user(live_server.db)
        limiter = live_server.app.state.ctx.login_limiter
        async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
            attempt = asyncio.create_task(
                client.post("/api/auth/login", json={"username": user.username, "password": PASSWORD})
            )
            await eventually(
                lambda: any(user.username in key for key in limiter.hits), "the login to start", interval=0.01
            )

            def other_write(session):
                return session.exec(
                    select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user.id)
                ).one()

            sessions_seen = (await asyncio.to_thread(live_server.db.run_write, other_write)).result
            assert sessions_seen == 0 and not attempt.done()
            assert (await attempt).status_code == 200
    finally:
        passwords.configure(time_cost=1, memory_cost=1024)
