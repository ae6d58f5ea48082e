"""Device cookies (accounts/devices.py) against the real uvicorn, with the in-process budget and with Redis: guesses
from many addresses (ECABINET_TRUSTED_PROXIES + X-Forwarded-For, as tests/test_signin_limits.py) lock out a login
that presents no device cookie, as before, but not the owner's login from a browser that signed in before; a
forged, altered or other user's device cookie exempts nothing; a device's own failures lock that device."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from accounts.devices import cookie_name
from tests.conftest import LiveServer, running
from tests.factories import PASSWORD, make_user

LOGIN = "/api/auth/login"


@pytest.fixture(params=["local", "redis"])
async def live(request: pytest.FixtureRequest, settings, db) -> AsyncIterator[LiveServer]:
    """A server that believes X-Forwarded-For from this machine: each test picks the address it comes from."""
    proxied = settings.with_(trusted_proxies=("127.0.0.1",))
    if request.param == "redis":
        from tests.test_multinode import REDIS_URL, _redis_up

        if not _redis_up():
            pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
        proxied = proxied.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(proxied) as server:
        yield server


async def _login(live: LiveServer, username: str, password: str, address: str, device: str = "") -> httpx.Response:
    cookies = {cookie_name(live.settings, username): device} if device else {}
    async with httpx.AsyncClient(base_url=live.url, cookies=cookies) as client:
        return await client.post(
            LOGIN, json={"username": username, "password": password}, headers={"X-Forwarded-For": address}
        )


async def _device_of(live: LiveServer, username: str, address: str) -> str:
    """The device cookie a browser gets by signing in (and its flags)."""
    r = await _login(live, username, PASSWORD, address)
    assert r.status_code == 200, r.text
    name = cookie_name(live.settings, username)
    header = next(h for h in r.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    assert "httponly" in header.lower() and "samesite=lax" in header.lower() and "max-age=" in header.lower()
    return r.cookies[name]


async def _lock_account(live: LiveServer, username: str) -> None:
    """Five wrong passwords from each of four addresses: the account-wide budget (4x the limit) is full."""
    n = live.settings.login_max_failures
    for a in range(4):
        for _ in range(n):
            assert (await _login(live, username, "sai-mat-khau", f"203.0.113.{a + 1}")).status_code == 401


async def test_guesses_from_many_addresses_lock_a_cookieless_login_but_not_a_known_device(live: LiveServer) -> None:
    owner = make_user(live.db)
    device = await _device_of(live, owner.username, "198.51.100.7")
    await _lock_account(live, owner.username)
    r = await _login(live, owner.username, PASSWORD, "198.51.100.99")  # the right password, no device cookie
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    # The owner's browser that signed in before: in, from its usual address or a new one, again and again.
    for address in ("198.51.100.7", "198.51.100.8", "198.51.100.7"):
        r = await _login(live, owner.username, PASSWORD, address, device)
        assert r.status_code == 200, r.text
        device = r.cookies[cookie_name(live.settings, owner.username)]  # a fresh device cookie with every sign-in


async def test_a_shared_address_locked_by_one_user_does_not_lock_out_known_devices_behind_it(
    live: LiveServer,
) -> None:
    """A guest tablet behind the hall's address sprays made-up names: the address is refused for cookieless
    logins, and the ministers' tablets, which signed in before, still sign in."""
    minister = make_user(live.db)
    hall = "192.0.2.10"
    device = await _device_of(live, minister.username, hall)
    for i in range(4 * live.settings.login_max_failures):
        assert (await _login(live, f"khong-co-{i}", "sai-mat-khau", hall)).status_code == 401
    assert (await _login(live, minister.username, PASSWORD, hall)).status_code == 429
    assert (await _login(live, minister.username, PASSWORD, hall, device)).status_code == 200


async def test_a_forged_altered_or_other_users_device_cookie_exempts_nothing(live: LiveServer) -> None:
    owner, other = make_user(live.db), make_user(live.db)
    others_device = await _device_of(live, other.username, "198.51.100.20")
    own_device = await _device_of(live, owner.username, "198.51.100.21")
    await _lock_account(live, owner.username)
    issued, nonce, mac = own_device.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for cookie in (
        others_device,  # valid, but for another user name
        f"{issued}.{nonce}.{flipped}",  # altered signature
        f"{issued}.{uuid.uuid4().hex}.{mac}",  # another nonce (a fresh budget) under the owner's signature
        f"{int(issued) + 1}.{nonce}.{mac}",  # another issue time
        "1.2.3",
        own_device + ".x",
    ):
        r = await _login(live, owner.username, PASSWORD, "198.51.100.22", cookie)
        assert r.status_code == 429, (cookie, r.status_code)
    assert (await _login(live, owner.username, PASSWORD, "198.51.100.22", own_device)).status_code == 200


async def test_a_device_cookies_own_failures_lock_that_device_only(live: LiveServer) -> None:
    owner = make_user(live.db)
    device = await _device_of(live, owner.username, "198.51.100.30")
    n = live.settings.login_max_failures
    for i in range(n):  # a stolen device cookie is worth five guesses per window, from any address
        assert (await _login(live, owner.username, "sai-mat-khau", f"203.0.113.{50 + i}", device)).status_code == 401
    r = await _login(live, owner.username, PASSWORD, "203.0.113.99", device)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0  # that device is no longer trusted
    # Its failures were its own: the account's budget is untouched (another browser of the owner signs in).
    assert (await _login(live, owner.username, PASSWORD, "198.51.100.31")).status_code == 200
