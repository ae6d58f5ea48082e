"""Device cookies (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a browser that has signed in as
a user gets a long-lived signed cookie bound to that user name. A later login as that name which presents it is
counted only against the cookie's own failure budget, not the account-wide or address-wide ones, so that guesses
from elsewhere (many addresses, or a shared hall address) cannot lock the owner out of a known device.

    value = <issued unix time>.<nonce>.<HMAC-SHA256(key, user name, issued, nonce)>

The key is derived from the audit MAC key (<data_dir>/keys/audit/mac.key, ledger/keys.py): outside the database,
the same on every node of a cluster, and no new file to back up. The cookie opens nothing by itself: it only
decides which failure budget a password check is counted against."""

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

COOKIE = "ecabinet_device"
_keys: dict[str, bytes] = {}  # mac key file -> the derived device-cookie key (read once per process)


def cookie_name(settings: Settings) -> str:
    return f"__Host-{COOKIE}" if settings.cookie_secure else COOKIE  # as the session cookie (web/auth.py)


def _key(settings: Settings) -> bytes:
    audit = AuditKeys.from_settings(settings)
    path = str(audit.mac_key_file)
    if path not in _keys:
        _keys[path] = hmac.new(audit.mac_key(), b"ecabinet-device-cookie-key", hashlib.sha256).digest()
    return _keys[path]


def _mac(settings: Settings, username: str, issued: str, nonce: str) -> str:
    message = "\0".join(("ecabinet-device", username, issued, nonce)).encode()
    digest = hmac.new(_key(settings), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(response: Response, settings: Settings, username: str) -> None:
    """After a successful login as `username` (normalised as the login's limit keys are)."""
    issued, nonce = str(int(time.time())), secrets.token_urlsafe(16)
    days = settings.device_cookie_days
    if days <= 0:
        return
    response.set_cookie(
        cookie_name(settings),
        f"{issued}.{nonce}.{_mac(settings, username, issued, nonce)}",
        max_age=days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def trusted(request: Request, settings: Settings, username: str) -> str | None:
    """The nonce of a valid, unexpired device cookie issued to `username` (its failure budget's name); None for
    no cookie, a forged or altered one, one issued to another user name, or an expired one."""
    value = request.cookies.get(cookie_name(settings), "")
    parts = value.split(".")
    if settings.device_cookie_days <= 0 or len(parts) != 3 or len(value) > 200:
        return None
    issued, nonce, mac = parts
    if not issued.isdigit() or not hmac.compare_digest(mac.encode(), _mac(settings, username, issued, nonce).encode()):
        return None
    if time.time() - int(issued) > settings.device_cookie_days * 86400:
        return None
    return nonce
