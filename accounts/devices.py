"""Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a browser that has signed in as
a user gets a long-lived signed cookie bound to that user name and to the account's credential epoch. A later login
as that name which presents it is counted against the cookie's own failure budget and against one budget shared by
all the account's device cookies, not the account-wide or address-wide ones, so that guesses from elsewhere (many
addresses, or a shared hall address) cannot lock the owner out of a known device.

    name  = ecabinet_device_<HMAC(key, user name), 20 hex>    (__Host- prefixed as the session cookie is)
    value = <issued unix time>.<nonce>.<HMAC-SHA256(key, user name, credential epoch, issued, nonce)>

- One cookie per user name, named after a keyed hash of the name (the name cannot be read back from the cookie's
  name without the key): a colleague who signs in on the owner's tablet gets a cookie of their own and the
  owner's stays. A browser keeps at most MAX_PER_BROWSER of them; signing in as one more name drops the oldest.
- Bound to the account's credential epoch (accounts/services.py: end_credentials): a password change or reset, a
  deactivation or a change of global role ends every device cookie of the account at once, for good.
- Every login mints a fresh nonce, so one who knows the password could collect cookies, each with its own
  budget. All of an account's device cookies therefore also count against one account-wide device budget,
  DEVICES_FACTOR x the single one per window (login:devices:<name>): more cookies are not more guesses.

The trade-off of that shared budget: failures from a known device (a stolen cookie, or someone at the owner's shared
tablet) can, once the shared budget is full, refuse the owner's other known devices for the rest of the window.
Filling it takes DEVICES_FACTOR distinct valid cookies (one device stops at its own budget), each made by a
successful sign-in with the current password since the last change of credentials: whoever holds that many already
knew the password, and the owner's way back is the usual one (change the password: every cookie ends). Guesses
without a valid cookie, from any number of addresses, never touch it, which is what device cookies are for.

The key is derived from the audit MAC key (<data_dir>/keys/audit/mac.key, ledger/keys.py): outside the database,
the same on every node of a cluster, and no new file to back up. The cookie opens nothing by itself: it only
decides which failure budgets a password check is counted against."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from starlette.requests import Request
from starlette.responses import Response

from infra.settings import Settings
from ledger.keys import AuditKeys

COOKIE = "ecabinet_device"  # the name's stem; before per-name cookies, the one cookie's name (dropped at sign-in)
MAX_PER_BROWSER = 5  # device cookies (user names) one browser keeps: a shared tablet's regular users
DEVICES_FACTOR = 4  # all device cookies of one account together: this many times one cookie's budget per window
_keys: dict[str, bytes] = {}  # mac key file -> the derived device-cookie key (read once per process)


def _prefix(settings: Settings) -> str:
    return "__Host-" if settings.cookie_secure else ""  # as the session cookie (web/auth.py)


def cookie_name(settings: Settings, username: str) -> str:
    """The name of `username`'s device cookie (normalised as the login's limit keys are)."""
    tag = hmac.new(_key(settings), b"ecabinet-device-name\0" + username.encode(), hashlib.sha256).hexdigest()[:20]
    return f"{_prefix(settings)}{COOKIE}_{tag}"


def _key(settings: Settings) -> bytes:
    audit = AuditKeys.from_settings(settings)
    path = str(audit.mac_key_file)
    if path not in _keys:
        _keys[path] = hmac.new(audit.mac_key(), b"ecabinet-device-cookie-key", hashlib.sha256).digest()
    return _keys[path]


def _mac(settings: Settings, username: str, epoch: int, issued: str, nonce: str) -> str:
    message = "\0".join(("ecabinet-device-2", username, str(epoch), issued, nonce)).encode()
    digest = hmac.new(_key(settings), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def presented(request: Request, settings: Settings, username: str) -> bool:
    """Whether the browser came with a device cookie for `username` (valid or not: `trusted` decides)."""
    return settings.device_cookie_days > 0 and bool(request.cookies.get(cookie_name(settings, username)))


def issue(request: Request, response: Response, settings: Settings, username: str, epoch: int) -> None:
    """After a successful login as `username` (normalised as the login's limit keys are), whose account's credential
    epoch was `epoch` when the login began (read before its password check: a change meanwhile leaves this cookie
    dead, never a cookie that outlives the change). The oldest of the browser's other device cookies go beyond
    MAX_PER_BROWSER, and the old single cookie goes."""
    days = settings.device_cookie_days
    if days <= 0:
        return
    name = cookie_name(settings, username)
    issued, nonce = str(int(time.time())), secrets.token_urlsafe(16)
    response.set_cookie(
        name,
        f"{issued}.{nonce}.{_mac(settings, username, epoch, issued, nonce)}",
        max_age=days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    stem = f"{_prefix(settings)}{COOKIE}"
    others = sorted((_issued(v), k) for k, v in request.cookies.items() if k.startswith(stem + "_") and k != name)
    dropped = [k for _, k in others[: max(0, len(others) - (MAX_PER_BROWSER - 1))]]
    if stem in request.cookies:
        dropped.append(stem)
    for old in dropped:
        response.delete_cookie(old, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure)


def _issued(value: str) -> int:
    head = value.split(".", 1)[0]
    return int(head) if head.isdigit() and len(head) < 12 else 0  # unreadable: the oldest, dropped first


def trusted(request: Request, settings: Settings, username: str, epoch: int | None) -> str | None:
    """The nonce of a valid, unexpired device cookie issued to `username` under the account's current credential
    `epoch` (its failure budget's name); None for no cookie, a forged or altered one, one issued to another user
    name or before the account's credentials last changed (`epoch`: None for an unknown name), or an expired one."""
    if settings.device_cookie_days <= 0 or epoch is None:
        return None
    value = request.cookies.get(cookie_name(settings, username), "")
    parts = value.split(".")
    if len(parts) != 3 or len(value) > 200:
        return None
    issued, nonce, mac = parts
    expected = _mac(settings, username, epoch, issued, nonce)
    if not issued.isdigit() or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    if time.time() - int(issued) > settings.device_cookie_days * 86400:
        return None
    return nonce
