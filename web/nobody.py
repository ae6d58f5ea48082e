"""A write that takes no data refuses data. Routes whose operation declares no request body (web/openapi.py Op:
publish, next, close a vote, create a display token…) never read one, so a body sent to them — not JSON, not UTF-8,
fields nobody reads — used to be ignored and the action run: a client that believes it sent options (or garbage)
deserves a 422. An empty body, `{}` and `null` are what clients send for "nothing" and are let through."""

from __future__ import annotations

import re
from typing import Any, Iterable

from starlette.routing import BaseRoute, Route

from core.errors import ValidationFailed
from core.i18n import N_
from web.openapi import Op

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NOTHING = (b"", b"{}", b"null")
LIMIT = 64  # bytes: more than any way of saying "nothing"
REFUSED = N_("Yêu cầu này không nhận dữ liệu gửi kèm; hãy gửi thân rỗng.")


def _key(method: str, path: str) -> tuple[str, str]:
    return method.upper(), re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path)


def refuse_bodies(routes: Iterable[BaseRoute], ops: Iterable[Op]) -> None:
    """Wrap the write routes whose operation has no body (once: module-level routes are shared by every app)."""
    bodyless = {_key(op.method, op.path) for op in ops if op.body is None and op.content_type == "application/json"}
    for route in routes:
        if not isinstance(route, Route) or getattr(route.app, "bodyless", False) or not route.methods:
            continue
        if any(m in WRITES and _key(m, route.path) in bodyless for m in route.methods):
            route.app = _bodyless(route.app)


def _bodyless(inner: Any) -> Any:
    async def checked(scope: Any, receive: Any, send: Any) -> None:
        if scope["method"] not in WRITES:
            await inner(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > LIMIT:
                raise ValidationFailed(REFUSED, details=[{"field": "body", "message": "must be empty", "type": "body"}])
        if body.strip() not in NOTHING:
            raise ValidationFailed(REFUSED, details=[{"field": "body", "message": "must be empty", "type": "body"}])
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: the disconnect, as the server sends it

        await inner(scope, replay, send)

    checked.bodyless = True  # type: ignore[attr-defined]
    # web/http.py guard_paths wraps a route once (the routes are module-level, shared by every app): the path check
    # inside this one is seen by the next app as done, or each app would add a layer to every request
    checked.guarded = getattr(inner, "guarded", False)  # type: ignore[attr-defined]
    return checked
