"""Security headers on every answer of the outermost ASGI app: pages, API, static files, errors, 404s, the
socket.io endpoint and refused websocket upgrades alike (a middleware inside Starlette would miss the last
two). A header a route set itself (the display page's stricter Referrer-Policy) is kept."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.i18n import request_lang
from infra.settings import Settings
from core.i18n import N_, known, translate

REFUSED = N_("Kết nối bị từ chối.")
log = logging.getLogger(__name__)


# No inline script or style, no plugins, no <base>, never inside a frame, forms post only here; the socket
# (ws:/wss: on this host) is covered by 'self'; 'wasm-unsafe-eval' lets libsodium compile its WebAssembly
# (encrypted secret ballots) and allows no JavaScript eval; remote video plays MediaStreams (srcObject) and blob: URLs.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",  # libsodium's WebAssembly (secret ballots); still no eval of JS
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# A file that a page of this site shows in its own <iframe> (the minutes PDF preview): framable by this origin
# only; the browser's PDF viewer is a plugin of that document.
SAME_ORIGIN_FRAME = {
    "Content-Security-Policy": CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'").replace(
        "object-src 'none'", "object-src 'self'"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}
PERMISSIONS = (
    "camera=(self), microphone=(self), fullscreen=(self), display-capture=(), geolocation=(), payment=(), usb=()"
)


def header_list(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": CSP,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",  # the language switch returns to the referring page of this site
        "permissions-policy": PERMISSIONS,
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
    }
    if settings.cookie_secure:  # served over HTTPS: browsers never try plain HTTP again
        headers["strict-transport-security"] = "max-age=31536000"
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def _merged(
    existing: list[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]], path: str
) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in existing}
    out = list(existing) + [(n, v) for n, v in extra if n not in present]
    if path.startswith("/api/") and b"cache-control" not in present:
        out.append((b"cache-control", b"no-store"))  # API answers carry personal data: never in a cache
    return out


class SecurityHeaders:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = header_list(settings)
        self.state: Any = None  # the factory sets the Starlette app's state here (tests and the CLI reach it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.app(scope, receive, self._http_send(scope, send))
        elif scope["type"] == "websocket":
            await self.app(scope, receive, self._ws_send(scope, send))
        else:
            await self.app(scope, receive, send)

    def _http_send(self, scope: Scope, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _merged(list(message.get("headers", [])), self.headers, scope["path"])}
            await send(message)

        return wrapped

    def _ws_send(self, scope: Scope, send: Send) -> Send:
        """A refused upgrade (close before accept) is answered as a 403 that carries the headers too, where
        the server supports the ASGI denial-response extension (uvicorn does)."""
        accepted = False
        can_deny = "websocket.http.response" in scope.get("extensions", {})

        async def wrapped(message: Message) -> None:
            nonlocal accepted
            kind = message["type"]
            if kind == "websocket.accept":
                accepted = True
            elif kind == "websocket.http.response.start":
                message = {**message, "headers": _merged(list(message.get("headers", [])), self.headers, scope["path"])}
            elif kind == "websocket.close" and not accepted and can_deny:
                body = json.dumps(
                    {"error": {"code": "forbidden", "message": _refusal(scope, message.get("reason"))}},
                    ensure_ascii=False,
                ).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send(
                    {
                        "type": "websocket.http.response.start",
                        "status": 403,
                        "headers": _merged(headers, self.headers, ""),
                    }
                )
                await send({"type": "websocket.http.response.body", "body": body})
                return
            await send(message)

        return wrapped


def _refusal(scope: Scope, reason: str | None) -> str:
    """The refusal in the user's language (cookie, else Accept-Language, as the API errors): a reason that is
    one of our catalogue's messages is translated, anything else (a library's own text) is replaced by ours."""
    if reason and not known(reason):
        log.info("websocket upgrade refused: %s", reason)
    key = reason if reason and known(reason) else REFUSED
    return translate(key, request_lang(HTTPConnection(scope)))
