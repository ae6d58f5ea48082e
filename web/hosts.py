"""The Host header check (DNS rebinding) and the start-up warning about cookies sent without Secure.

DNS rebinding: a page on attacker.example has its name re-pointed at the intranet server, and the user's browser
then talks to that server as "attacker.example" (Host: attacker.example). A request whose Host is not one of this
site's names is refused (400; a websocket upgrade, 403) before any route or socket sees it. Accepted: the names in
ECABINET_ALLOWED_HOSTS, or by default the host of ECABINET_PUBLIC_URL, ECABINET_HOST, localhost and 127.0.0.1;
any IP address (a browser that typed an address cannot have had it rebound); no Host at all (HTTP/1.0 clients
such as the load balancer's health check: a browser always sends one); and /healthz whatever its Host
(the load balancer's and the orchestrator's probes)."""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from core.i18n import N_, translate
from infra.settings import Settings
from web.i18n import request_lang

WRONG_HOST = N_("Địa chỉ (tên máy chủ) này không được phép; hãy mở e-Cabinet bằng địa chỉ chính thức của hệ thống.")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
log = logging.getLogger("ecabinet.hosts")


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """The host names accepted (lower case, no port); "*" among them accepts any."""
    if settings.allowed_hosts:
        return frozenset(h.strip().lower().rstrip(".") for h in settings.allowed_hosts)
    names = {*LOOPBACK_NAMES, settings.host.lower()}
    if settings.public_url and (public := urlsplit(settings.public_url).hostname):
        names.add(public.lower().rstrip("."))
    return frozenset(names)


def _name(host: str) -> str:
    """The Host header without its port: "Example.GOV.vn:443" -> "example.gov.vn", "[::1]:8000" -> "::1"."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """ASGI wrapper around the whole site (pages, API, static files, socket.io)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.names = allowed_hosts(settings)

    def __getattr__(self, name: str) -> Any:  # transparent, as the other wrappers: .other_asgi_app is the inner one's
        return getattr(self.app, name)

    def allows(self, scope: Scope) -> bool:
        if "*" in self.names or scope.get("path") == "/healthz":
            return True
        raw = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
        if raw is None:
            return True
        name = _name(raw.decode("latin-1"))
        return name in self.names or _is_address(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allows(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":  # SecurityHeaders answers a close before accept as a 403 with this reason
            await receive()  # websocket.connect: the handshake is answered (refused), as ASGI wants
            await send({"type": "websocket.close", "code": 1008, "reason": str(WRONG_HOST)})
            return
        message = translate(WRONG_HOST, request_lang(HTTPConnection(scope)))
        body = json.dumps({"error": {"code": "bad_host", "message": message}}, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def warn_insecure_cookies(settings: Settings) -> bool:
    """Logs (and answers True) when a real (non-demo) server listens beyond this machine while its session
    cookie is not Secure: the cookie then travels in clear and a plain-HTTP page can plant one."""
    if settings.demo_mode or settings.cookie_secure or settings.host.lower() in LOOPBACK_NAMES:
        return False
    with_address = _is_address(settings.host) and ipaddress.ip_address(settings.host).is_loopback
    if with_address:
        return False
    log.warning(
        "cookies are sent without Secure (ECABINET_COOKIE_SECURE=false) while the server listens on %s: serve it "
        "over HTTPS and set ECABINET_COOKIE_SECURE=true, or an ECABINET_PUBLIC_URL that starts with https:// "
        "(docs/deployment.md)",
        settings.host,
    )
    return True
