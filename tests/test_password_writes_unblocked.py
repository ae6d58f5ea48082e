"""No argon2id inside a write transaction: an administrator's reset, a new account and a password change (with the
re-seal of a legacy trustee key sealed with the password) hash and seal in a worker thread with no transaction
open, then write. Each slow step is held open here (paused in its worker thread, on our own hash or seal) while
another connection takes SQLite's write lock and another user's request writes: both complete before the step is
let go (they used to wait behind the hash, ~100 ms each, or here forever). Refusals come before any hash; a seal
that moves between the re-seal and the write is refused (409) and nothing changes. Real uvicorn, real SQLite."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable
from typing import Any, Callable

import httpx
import pytest

from accounts import passwords
from accounts.models import GlobalRole
from tests.conftest import LiveServer
from tests.factories import PASSWORD, make_user
from tests.live import login
from tests.test_trustee_passphrase import body as tablet_key
from tests.vote_helpers import enrol_legacy
from votes.ballot import trustee_keys

NEW = "Mật-khẩu-mới-sau-khi-đặt-lại-2027"


class Pause:
    """Holds a slow step in its worker thread until the test lets it go; the test acts meanwhile."""

    def __init__(self) -> None:
        self.started, self.go = threading.Event(), threading.Event()
        self.calls = 0

    def hold(self) -> None:
        self.calls += 1
        self.started.set()
        assert self.go.wait(60), "the test never let the paused step go"

    async def reached(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 30), "the slow step never started"


class PausingHasher:
    """The suite's argon2id hasher, pausing when it hashes `password` (every other call goes straight through)."""

    def __init__(self, inner: Any, password: str, pause: Pause) -> None:
        self.inner, self.password, self.pause = inner, password, pause

    def hash(self, password: str, **kw: Any) -> str:
        if password == self.password:
            self.pause.hold()
        return str(self.inner.hash(password, **kw))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _pause_hashing(monkeypatch: pytest.MonkeyPatch, password: str) -> Pause:
    pause = Pause()
    monkeypatch.setattr(passwords, "_hasher", PausingHasher(passwords._hasher, password, pause))
    return pause


def _other_connection_writes(live: LiveServer) -> None:
    """A write on a connection of its own (not the app's): BEGIN IMMEDIATE takes SQLite's write lock, refused with
    'database is locked' within 5 s while a write transaction holds it."""
    conn = sqlite3.connect(live.settings.data_dir / "ecabinet.db", timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute('UPDATE "user" SET title = title WHERE id = 1')
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _writes_while_paused(live: LiveServer, pause: Pause, slow: asyncio.Task[httpx.Response], write: Any) -> None:
    """While `slow` is held at its paused step: another connection writes, and another user's request writes."""
    await pause.reached()
    await asyncio.to_thread(_other_connection_writes, live)  # "database is locked" if the step held the lock
    answered = await asyncio.wait_for(write(), 30)
    assert answered.status_code == 200, answered.text
    assert not slow.done()  # both wrote while the slow step was still under way


async def _run_paused(
    live: LiveServer, pause: Pause, request: Awaitable[httpx.Response], write: Callable[[], Awaitable[httpx.Response]]
) -> httpx.Response:
    slow = asyncio.ensure_future(request)
    try:
        await _writes_while_paused(live, pause, slow, write)
    finally:
        pause.go.set()
    return await slow


async def test_a_reset_hashes_the_new_password_with_no_write_lock_held(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = live_server.db
    target, bystander = make_user(db), make_user(db)
    admins = [make_user(db, GlobalRole.admin, f"Quản Trị Viên {n}") for n in (1, 2)]
    admin, other_admin = [await login(live_server.url, a.username) for a in admins]
    pause = _pause_hashing(monkeypatch, NEW)
    try:
        reset = await _run_paused(
            live_server,
            pause,
            admin.patch(f"/api/users/{target.id}", json={"password": NEW}),
            lambda: other_admin.patch(f"/api/users/{bystander.id}", json={"role": "secretariat"}),
        )
        assert reset.status_code == 200, reset.text
    finally:
        for client in (admin, other_admin):
            await client.aclose()
    assert pause.calls == 1
    fresh = await login(live_server.url, target.username, NEW)  # the reset password signs in
    await fresh.aclose()


@pytest.mark.service_pair("accounts.services.may_update_user")
async def test_a_refused_reset_makes_no_hash(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusals are read first, cheaply: a caller who may not reset, a null, no such account, an administrator
    locking themself get their answer and no argon2id hash is made for them."""
    db = live_server.db
    staff_user, target = make_user(db, GlobalRole.secretariat), make_user(db)
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    staff, admin = await login(live_server.url, staff_user.username), await login(live_server.url, admin_user.username)
    hashed = _pause_hashing(monkeypatch, NEW)
    hashed.go.set()  # counts the hashes of NEW, holds none
    try:
        url = f"/api/users/{target.id}"
        assert (await staff.patch(url, json={"password": NEW})).status_code == 403  # denied
        assert (await admin.patch(url, json={"password": NEW, "role": None})).status_code == 422
        assert (await admin.patch("/api/users/999999", json={"password": NEW})).status_code == 404
        assert (
            await admin.patch(f"/api/users/{admin_user.id}", json={"password": NEW, "is_active": False})
        ).status_code == 409
        assert hashed.calls == 0
        assert (await admin.patch(url, json={"password": NEW})).status_code == 200  # allowed
        assert hashed.calls == 1
    finally:
        for client in (staff, admin):
            await client.aclose()


@pytest.mark.service_pair("accounts.services.may_create_user")
async def test_a_new_account_is_hashed_with_no_write_lock_held_and_only_when_allowed(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = live_server.db
    member_user, bystander = make_user(db), make_user(db)
    admins = [make_user(db, GlobalRole.admin, f"Quản Trị Viên {n}") for n in (1, 2)]
    member = await login(live_server.url, member_user.username)
    admin, other_admin = [await login(live_server.url, a.username) for a in admins]
    pause = _pause_hashing(monkeypatch, NEW)
    account = {"username": "bo-truong-moi", "full_name": "Bộ trưởng Mới", "password": NEW}
    try:
        assert (await member.post("/api/users", json=account)).status_code == 403  # denied: no hash made
        taken = {**account, "username": bystander.username}
        assert (await admin.post("/api/users", json=taken)).status_code == 409  # a name taken: no hash either
        assert pause.calls == 0
        made = await _run_paused(  # allowed
            live_server,
            pause,
            admin.post("/api/users", json=account),
            lambda: other_admin.patch(f"/api/users/{bystander.id}", json={"role": "secretariat"}),
        )
        assert made.status_code == 201, made.text
    finally:
        for client in (member, admin, other_admin):
            await client.aclose()
    fresh = await login(live_server.url, "bo-truong-moi", NEW)
    await fresh.aclose()


def _pause_sealing(monkeypatch: pytest.MonkeyPatch, password: str) -> Pause:
    """Pauses the re-seal of a trustee key with `password` (the new password of a change)."""
    pause, real = Pause(), trustee_keys.seal_secret

    def sealing(secret: bytes, user_id: int, with_password: str) -> str:
        if with_password == password:
            pause.hold()
        return real(secret, user_id, with_password)

    monkeypatch.setattr(trustee_keys, "seal_secret", sealing)
    return pause


async def test_a_password_change_reseals_the_legacy_key_with_no_write_lock_held(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = live_server.db
    holder_user, bystander = make_user(db), make_user(db)
    enrol_legacy(db, holder_user, PASSWORD)  # a legacy trustee key, sealed with the account password
    admin_user = make_user(db, GlobalRole.admin, "Quản Trị Hệ Thống")
    holder, admin = (
        await login(live_server.url, holder_user.username),
        await login(live_server.url, admin_user.username),
    )
    pause = _pause_sealing(monkeypatch, NEW)
    try:
        changed = await _run_paused(
            live_server,
            pause,
            holder.post("/api/me/password", json={"current": PASSWORD, "new": NEW}),
            lambda: admin.patch(f"/api/users/{bystander.id}", json={"role": "secretariat"}),
        )
        assert changed.status_code == 200, changed.text
        assert pause.calls == 1
        sealed = await holder.post("/api/me/trustee-key/sealed", json={"password": NEW})  # re-sealed: opens with NEW
        assert sealed.status_code == 200, sealed.text
        assert len(trustee_keys.unseal_secret(sealed.json()["sealed"], holder_user.id, NEW)) == 32
    finally:
        for client in (holder, admin):
            await client.aclose()


async def test_a_seal_that_moves_during_a_password_change_is_refused_and_nothing_changes(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the legacy key is re-sealed (outside the write), the holder replaces it on another tablet with a key
    sealed with a passphrase: the password change's write finds another key than the one it re-sealed and refuses
    (409); the password and the new key stay as they are. Tried again, the change goes through."""
    db = live_server.db
    holder_user = make_user(db)
    enrol_legacy(db, holder_user, PASSWORD)
    here, there = [await login(live_server.url, holder_user.username) for _ in range(2)]
    pause = _pause_sealing(monkeypatch, NEW)
    tablet = tablet_key(holder_user.id)
    try:
        changed = await _run_paused(
            live_server,
            pause,
            here.post("/api/me/password", json={"current": PASSWORD, "new": NEW}),
            lambda: there.post("/api/me/trustee-key", json=tablet),  # the other tablet's key, meanwhile
        )
        assert changed.status_code == 409 and changed.json()["error"]["code"] == "password_seal_moved", changed.text
        mine = (await there.get("/api/me/trustee-key")).json()
        assert mine["sealing"] == "passphrase" and mine["sealed"] == tablet["sealed_key"]  # left as it was
        assert (await there.get("/api/me")).status_code == 200  # no session ended
        again = await login(live_server.url, holder_user.username, PASSWORD)  # the password is unchanged
        await again.aclose()
        retried = await here.post("/api/me/password", json={"current": PASSWORD, "new": NEW})
        assert retried.status_code == 200, retried.text
        assert pause.calls == 1  # nothing left to re-seal: the passphrase key does not follow the password
    finally:
        for client in (here, there):
            await client.aclose()
