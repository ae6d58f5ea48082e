"""Device cookies (accounts/devices.py) cannot be multiplied into guesses, and end with the account's credentials,
against the real uvicorn (X-Forwarded-For from a trusted proxy picks each request's address, as
tests/test_signin_limits.py):

- a cookie minted before a password change, an administrator's reset, a deactivation or a change of global role
  exempts nothing after it (the account's credential epoch is in its MAC);
- all of an account's device cookies together get DEVICES_FACTOR x one cookie's failures per window, so collecting
  cookies while one knew the password buys no more guesses; guesses without a cookie never touch that budget;
- a browser keeps one device cookie per user name (a few at most), so a colleague signing in on the owner's tablet
  does not cost the owner their known device."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from itertools import count

import httpx
import pytest

from accounts import devices
from accounts import services as accounts
from accounts.models import GlobalRole
from accounts.passwords import hash_password
from accounts.schemas import UserUpdate
from tests.conftest import LiveServer, running
from tests.factories import PASSWORD, make_user

LOGIN = "/api/auth/login"
NEW = "Tr4ng-Xanh-Bien-Dong-2026!"
_addresses = count(1)


@pytest.fixture(params=["local", "redis"])
async def live(request: pytest.FixtureRequest, settings, db) -> AsyncIterator[LiveServer]:
    proxied = settings.with_(trusted_proxies=("127.0.0.1",))
    if request.param == "redis":
        from tests.test_multinode import REDIS_URL, _redis_up

        if not _redis_up():
            pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
        proxied = proxied.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(proxied) as server:
        yield server


@pytest.fixture
async def local(settings, db) -> AsyncIterator[LiveServer]:
    async with running(settings.with_(trusted_proxies=("127.0.0.1",))) as server:
        yield server


def _address() -> str:
    n = next(_addresses)
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


async def _login(live: LiveServer, username: str, password: str, device: str = "", address: str = "") -> httpx.Response:
    cookies = {devices.cookie_name(live.settings, username): device} if device else {}
    async with httpx.AsyncClient(base_url=live.url, cookies=cookies) as client:
        return await client.post(
            LOGIN,
            json={"username": username, "password": password},
            headers={"X-Forwarded-For": address or _address()},
        )


async def _mint(live: LiveServer, username: str, password: str = PASSWORD) -> str:
    r = await _login(live, username, password)
    assert r.status_code == 200, r.text
    return r.cookies[devices.cookie_name(live.settings, username)]


async def _lock_account(live: LiveServer, username: str) -> None:
    """Wrong passwords without a cookie from many addresses: the account-wide budget (4x the limit) is full."""
    for _ in range(4 * live.settings.login_max_failures):
        assert (await _login(live, username, "sai-mat-khau")).status_code == 401
    assert (await _login(live, username, "sai-mat-khau")).status_code == 429


async def test_cookies_minted_before_a_password_change_exempt_nothing_after_it(live: LiveServer) -> None:
    """The probe's case: ten cookies collected while the password was known, then the owner changes it."""
    victim = make_user(live.db)
    minted = [await _mint(live, victim.username) for _ in range(10)]
    async with httpx.AsyncClient(base_url=live.url, headers={"X-Forwarded-For": _address()}) as owner:
        r = await owner.post(LOGIN, json={"username": victim.username, "password": PASSWORD})
        owner.headers["x-csrf-token"] = r.json()["csrf_token"]
        assert (await owner.post("/api/me/password", json={"current": PASSWORD, "new": NEW})).status_code == 200
    kept = await _mint(live, victim.username, NEW)  # the owner's tablet signs in again with the new password
    n = live.settings.login_max_failures
    codes = [
        (await _login(live, victim.username, f"doan-{i}-{j}", cookie)).status_code
        for i, cookie in enumerate(minted[:-1])
        for j in range(n)
    ]
    assert codes.count(401) == 4 * n and codes.count(429) == len(codes) - 4 * n  # the account-wide budget, as anyone
    assert (await _login(live, victim.username, NEW, minted[-1])).status_code == 429  # not 200 after 20 failures
    assert (await _login(live, victim.username, NEW, kept)).status_code == 200  # the owner's device, minted after


async def test_more_device_cookies_are_not_more_guesses(live: LiveServer) -> None:
    victim = make_user(live.db)
    minted = [await _mint(live, victim.username) for _ in range(10)]
    n = live.settings.login_max_failures
    codes = [
        (await _login(live, victim.username, f"doan-{i}-{j}", cookie)).status_code
        for i, cookie in enumerate(minted[:-1])
        for j in range(n)
    ]
    shared = devices.DEVICES_FACTOR * n
    assert codes.count(401) == shared and codes.count(429) == len(codes) - shared
    # The trade-off: the account's known devices wait for the window too (it took DEVICES_FACTOR valid cookies,
    # each made with the current password) ...
    assert (await _login(live, victim.username, PASSWORD, minted[-1])).status_code == 429
    # ... while a login without a device cookie was never counted there: the owner signs in from another browser.
    assert (await _login(live, victim.username, PASSWORD)).status_code == 200


@pytest.mark.parametrize("change", ["reset", "deactivated", "role"])
async def test_a_reset_a_deactivation_or_a_role_change_ends_the_accounts_device_cookies(
    local: LiveServer, change: str
) -> None:
    db = local.db
    admin, owner = make_user(db, GlobalRole.admin), make_user(db)
    before = await _mint(local, owner.username)
    password = PASSWORD
    if change == "reset":
        password = NEW
        db.run_write(
            accounts.update_user,
            actor=admin,
            user_id=owner.id,
            data=UserUpdate(password=NEW),
            new_hash=hash_password(NEW),
        )
    elif change == "deactivated":
        for active in (False, True):
            db.run_write(accounts.update_user, actor=admin, user_id=owner.id, data=UserUpdate(is_active=active))
    else:
        db.run_write(accounts.update_user, actor=admin, user_id=owner.id, data=UserUpdate(role=GlobalRole.guest))
    after = await _mint(local, owner.username, password)
    await _lock_account(local, owner.username)
    assert (await _login(local, owner.username, password, before)).status_code == 429
    assert (await _login(local, owner.username, password, after)).status_code == 200


async def test_a_colleague_signing_in_on_the_owners_tablet_keeps_the_owners_device_cookie(local: LiveServer) -> None:
    owner, colleague = make_user(local.db), make_user(local.db)
    hall = {"X-Forwarded-For": "192.0.2.44"}
    async with httpx.AsyncClient(base_url=local.url, headers=hall) as tablet:
        for who in (owner, colleague):
            r = await tablet.post(LOGIN, json={"username": who.username, "password": PASSWORD})
            assert r.status_code == 200
        names = {devices.cookie_name(local.settings, u.username) for u in (owner, colleague)}
        assert names <= {c.name for c in tablet.cookies.jar}  # one each, side by side
        await _lock_account(local, owner.username)  # an attacker guesses at the owner's account from elsewhere
        r = await tablet.post(LOGIN, json={"username": owner.username, "password": PASSWORD})
        assert r.status_code == 200, r.text  # the owner's tablet is still a known device


async def test_a_browser_keeps_a_few_device_cookies_and_drops_the_oldest(local: LiveServer) -> None:
    users = [make_user(local.db) for _ in range(devices.MAX_PER_BROWSER + 1)]
    name = {u.username: devices.cookie_name(local.settings, u.username) for u in users}
    async with httpx.AsyncClient(base_url=local.url, headers={"X-Forwarded-For": _address()}) as browser:
        browser.cookies.set(
            devices.COOKIE, "1.old.cookie", domain="127.0.0.1"
        )  # the single cookie of before: dropped at sign-in
        for u in users[:-1]:
            assert (await browser.post(LOGIN, json={"username": u.username, "password": PASSWORD})).status_code == 200
        oldest = users[1]
        value = browser.cookies.get(name[oldest.username])
        assert value is not None
        browser.cookies.set(
            name[oldest.username], "1000." + value.split(".", 1)[1], domain="127.0.0.1"
        )  # signed in long ago
        r = await browser.post(LOGIN, json={"username": users[-1].username, "password": PASSWORD})
        assert r.status_code == 200
        held = {c.name for c in browser.cookies.jar if c.name.startswith(devices.COOKIE)}
    assert held == {name[u.username] for u in users if u is not oldest}
    assert len(held) == devices.MAX_PER_BROWSER
