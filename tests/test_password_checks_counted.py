"""Every route where a signed-in user types their account password (or a secret sealed with it) checks it through
one counted helper (accounts/passwords.py `counted`): wrong attempts are counted BEFORE the check in the login's
failure budget (one per user: password:{id}, whatever the route), beyond it the right password is refused too
(429 with Retry-After), and the slow hash runs in a worker thread between a read and a write transaction, never
holding the database's write lock. A legacy trustee key's seal (an offline test of the login password) is released
only through such a check, never by a GET."""

from __future__ import annotations

import asyncio
import typing
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import httpx
import pytest

from accounts.models import User
from app.db import Database
from app.domains import openapi_operations
from core.types import Secret
from tests.conftest import LiveServer
from tests.factories import PASSWORD, Cabinet, call, make_user
from tests.live import login
from tests.test_trustee_passphrase import body as tablet_key
from tests.vote_helpers import deal_legacy_key, enrol_legacy, new_vote, present_cabinet
from tests.waiting import eventually
from votes import services
from votes.ballot import election, trustee_keys
from votes.ballot.ceremony import NotTrustee
from votes.models import VoteKind

NEW = "Một-mật-khẩu-mới-đủ-dài-2026!"


@dataclass
class Case:
    """A route that checks the account password: who gets locked out, who gets in, and what the body is."""

    path: str
    body: Callable[[str], dict[str, str]]
    locked: Any  # the actor who makes N wrong attempts
    allowed: Any  # the actor who makes N - 1, then the right one
    done: Callable[[httpx.Response], bool]  # the right password's answer did what the route does


def _legacy_vote(db: Database) -> tuple[Cabinet, int]:
    """A closed secret vote whose key was dealt by the server (before the key ceremony): decrypted on the
    server with the trustees' passwords."""
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    deal_legacy_key(db, vote)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    return c, vote["id"]


def _case(db: Database, name: str) -> Case:
    if name == "legacy vote decrypt":
        c, vid = _legacy_vote(db)
        return Case(
            f"/api/votes/{vid}/decrypt",
            lambda p: {"password": p},
            c.secretary,
            c.chair,
            lambda r: r.json()["trustees"]["trustees"][0]["decrypted"] is True,
        )
    a, b = make_user(db), make_user(db)
    if name == "trustee key, legacy enrolment":
        return Case(
            "/api/me/trustee-key", lambda p: {"password": p}, a, b, lambda r: r.json()["sealing"] == "account_password"
        )
    if name == "legacy key's seal":
        for u in (a, b):
            enrol_legacy(db, u, PASSWORD)
        return Case(
            "/api/me/trustee-key/sealed",
            lambda p: {"password": p},
            a,
            b,
            lambda r: bool(trustee_keys.unseal_secret(r.json()["sealed"], b.id, PASSWORD)),
        )
    assert name == "password change"
    return Case("/api/me/password", lambda p: {"current": p, "new": NEW}, a, b, lambda r: r.status_code == 200)


CASES = ["trustee key, legacy enrolment", "legacy key's seal", "legacy vote decrypt", "password change"]


@pytest.mark.parametrize("name", CASES)
async def test_wrong_passwords_are_counted_then_even_the_right_one_is_refused(
    live_server: LiveServer, name: str
) -> None:
    db, n = live_server.db, live_server.settings.login_max_failures
    case = _case(db, name)
    locked = await login(live_server.url, case.locked.username)
    allowed = await login(live_server.url, case.allowed.username)
    try:
        for i in range(n):
            r = await locked.post(case.path, json=case.body(f"sai-mật-khẩu-{i}"))
            assert r.status_code == 403, (i, r.text)
        # denied: beyond the budget the right password is not even checked
        r = await locked.post(case.path, json=case.body(PASSWORD))
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited", r.text
        assert int(r.headers["Retry-After"]) > 0
        # allowed: the owner's typos below the limit, then the right one
        for i in range(n - 1):
            r = await allowed.post(case.path, json=case.body(f"sai-mật-khẩu-{i}"))
            assert r.status_code == 403, (i, r.text)
        r = await allowed.post(case.path, json=case.body(PASSWORD))
        assert r.status_code == 200 and case.done(r), r.text
    finally:
        await locked.aclose()
        await allowed.aclose()
    with db.read_session() as s:  # the locked-out user's password is unchanged (the refused change did nothing)
        user = s.get(User, case.locked.id)
        assert user is not None
        before = user.password_hash
    again = await login(live_server.url, case.locked.username)  # the old password still signs in
    await again.aclose()
    with db.read_session() as s:
        assert (u := s.get(User, case.locked.id)) is not None and u.password_hash == before


async def test_one_budget_per_user_whatever_the_route(live_server: LiveServer) -> None:
    """Spreading guesses over the routes that check the password gains nothing."""
    db = live_server.db
    user = make_user(db)
    enrol_legacy(db, user, PASSWORD)
    client = await login(live_server.url, user.username)
    try:
        guesses = [
            ("/api/me/trustee-key/sealed", {"password": "sai-1"}),
            ("/api/me/trustee-key/sealed", {"password": "sai-2"}),
            ("/api/me/trustee-key", {"password": "sai-3"}),
            ("/api/me/trustee-key", {"password": "sai-4"}),
            ("/api/me/password", {"current": "sai-5", "new": NEW}),
        ]
        assert len(guesses) == live_server.settings.login_max_failures
        for path, body in guesses:
            assert (await client.post(path, json=body)).status_code == 403, path
        for path, body in (
            ("/api/me/trustee-key/sealed", {"password": PASSWORD}),
            ("/api/me/trustee-key", {"password": PASSWORD}),
            ("/api/me/password", {"current": PASSWORD, "new": NEW}),
        ):
            r = await client.post(path, json=body)
            assert r.status_code == 429 and "Retry-After" in r.headers, (path, r.text)
    finally:
        await client.aclose()


async def test_a_legacy_seal_is_never_handed_out_by_a_get(live_server: LiveServer) -> None:
    """GET /api/me/trustee-key and the decryption material keep a legacy key's seal (sealed with the login
    password) back; a passphrase key's seal (sealed on the tablet) stays there, and is not released by the
    password route (its passphrase is never sent)."""
    db = live_server.db
    c = present_cabinet(db)  # chair, secretary, first member: legacy keys; a ceremony; a secret vote
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    secretary = await login(live_server.url, c.secretary.username)
    try:
        mine = (await secretary.get("/api/me/trustee-key")).json()
        assert mine["sealing"] == "account_password" and mine["enrolled"] is True and mine["sealed"] is None
        material = (await secretary.get(f"/api/votes/{vote['id']}/trustee-material")).json()
        assert material["sealing"] == "account_password" and material["sealed_key"] is None
        released = await secretary.post("/api/me/trustee-key/sealed", json={"password": PASSWORD})
        assert released.status_code == 200, released.text
        assert trustee_keys.unseal_secret(released.json()["sealed"], c.secretary.id, PASSWORD)
    finally:
        await secretary.aclose()
    other = make_user(db)
    client = await login(live_server.url, other.username)
    try:
        assert (await client.post("/api/me/trustee-key/sealed", json={"password": PASSWORD})).status_code == 409
        key = tablet_key(other.id)
        made = await client.post("/api/me/trustee-key", json=key)
        assert made.status_code == 200, made.text
        mine = (await client.get("/api/me/trustee-key")).json()
        assert mine["sealing"] == "passphrase" and mine["sealed"] == key["sealed_key"]  # as now
        r = await client.post("/api/me/trustee-key/sealed", json={"password": PASSWORD})
        assert r.status_code == 409, r.text  # never sent the passphrase
    finally:
        await client.aclose()


@pytest.mark.service_pair("votes.ballot.election.legacy_share")
def test_a_legacy_votes_share_is_read_for_its_trustees_only(db: Database) -> None:
    c, vid = _legacy_vote(db)
    with pytest.raises(NotTrustee):  # denied: a member who holds no share
        db.run_read(election.legacy_share, actor=c.members[2], vote_id=vid)
    share = db.run_read(election.legacy_share, actor=c.secretary, vote_id=vid)  # allowed: still sealed
    with pytest.raises(Exception, match="Mật khẩu"):
        trustee_keys.open_share(share["sealed_key"], c.secretary.id, "sai", share["sealed_share"], share["aad"])


async def test_a_write_is_not_held_while_passwords_are_checked(live_server: LiveServer) -> None:
    """Four wrong-password decryptions of a legacy vote (each an argon2id unsealing) are counted, then hash in
    worker threads with no transaction open: another user's cheap write answers while they are still hashing,
    before any of them answers (it used to wait for each behind SQLite's write lock)."""
    db = live_server.db
    c, vid = _legacy_vote(db)
    limiter = live_server.app.state.ctx.login_limiter
    trustees = [await login(live_server.url, a.username) for a in (c.chair, c.secretary, c.members[0])]
    writer = await login(live_server.url, c.members[3].username)
    order: list[str] = []

    async def timed(label: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        r = await request
        order.append(label)
        return r

    try:
        guesses = [
            asyncio.create_task(
                timed("check", trustees[i % 3].post(f"/api/votes/{vid}/decrypt", json={"password": f"sai-{i}"}))
            )
            for i in range(4)
        ]
        # all four counted (reserved before their hash): they are hashing or waiting for a hash slot now
        keys = [f"password:{a.id}" for a in (c.chair, c.secretary, c.members[0])]
        await eventually(lambda: sum(len(limiter.hits.get(k, ())) for k in keys) == 4, "the four guesses counted")
        assert not order, "a guess answered before the write was even sent: no ordering to check"
        wrote = await timed("write", writer.post("/api/notifications/read", json={"all": True}))
        assert wrote.status_code == 200, wrote.text
        answers = await asyncio.gather(*guesses)
        assert [r.status_code for r in answers] == [403] * 4
        assert order[0] == "write", order  # it did not wait for any password check
    finally:
        for client in (*trustees, writer):
            await client.aclose()


def _secret_fields(model: type) -> list[str]:
    pattern = typing.get_args(Secret)[1].json_schema_extra["pattern"]

    def has(schema: object) -> bool:
        if isinstance(schema, dict):
            return schema.get("pattern") == pattern or any(has(v) for v in schema.values())
        return isinstance(schema, list) and any(has(v) for v in schema)

    props = model.model_json_schema().get("properties", {})  # type: ignore[attr-defined]
    return [name for name, schema in props.items() if has(schema)]


# Every route whose body carries a typed secret, and where its check is shown counted. A new one is added here
# only with its counted check (accounts/passwords.py `counted`) and a test.
COUNTED = {
    ("post", "/api/auth/login"): "the login's own keys (tests/test_signin_limits.py)",
    ("post", "/api/me/password"): "password:{id} (CASES above)",
    ("post", "/api/me/trustee-key"): "password:{id} (CASES above)",
    ("post", "/api/me/trustee-key/sealed"): "password:{id} (CASES above)",
    ("post", "/api/votes/{vote_id}/decrypt"): "password:{id} (CASES above)",
    ("put", "/api/notifications/preferences"): "password:{id} (tests/test_mail_address_change.py)",
    ("post", "/api/meetings/{meeting_id}/minutes/sign"): "sign:{id}, minutes/counted.py (tests/test_pairs_signing.py)",
    ("post", "/api/notices/{notice_id}/sign"): "sign:{id}, minutes/counted.py sign_counted",
    ("post", "/api/polls/{poll_id}/answers"): "sign:{id}, minutes/counted.py sign_counted",
    ("post", "/api/polls/{poll_id}/report/sign"): "sign:{id}, minutes/counted.py sign_counted",
    ("post", "/api/polls/{poll_id}/decide"): "sign:{id}, polls/signing.py confirm (tests/test_polls_report.py)",
}
# A password an administrator SETS for an account: nothing is checked, nothing to guess.
SET_NOT_CHECKED = {("post", "/api/users"), ("patch", "/api/users/{user_id}")}


def test_every_route_taking_a_secret_is_listed_as_counted() -> None:
    taking = {(op.method, op.path) for op in openapi_operations() if op.body is not None and _secret_fields(op.body)}
    assert taking == set(COUNTED) | SET_NOT_CHECKED
