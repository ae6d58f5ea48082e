"""Session-cookie authentication and CSRF checks at the HTTP edge (and the cookie parse for sockets)."""

from __future__ import annotations

import hmac
from functools import partial
from http.cookies import SimpleCookie

from typing import Any, Callable, TypeVar, cast

from sqlalchemy import Connection
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from infra.batched import BatchedReads
from infra.context import AppContext
from infra.db import each_answered, restart_read
from infra.settings import Settings
from core.actor import Actor
from core.errors import DomainError, Forbidden, Unauthenticated

COOKIE = "ecabinet_session"
_SAFE = {"GET", "HEAD", "OPTIONS"}
T = TypeVar("T")


def cookie_name(settings: Settings) -> str:
    """Over HTTPS the cookie carries the __Host- prefix: the browser then accepts it only Secure, for the
    whole site and from this host itself, so a sibling subdomain or a plain-HTTP page cannot plant one."""
    return f"__Host-{COOKIE}" if settings.cookie_secure else COOKIE


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )


def session_cookie(request: Request) -> str | None:
    return request.cookies.get(cookie_name(ctx_of(request).settings))


def ctx_of(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def cookie_from_header(header: str | None, name: str = COOKIE) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is just 'not logged in'
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def lookup(ctx: AppContext, session: Session | Connection, token: str) -> tuple[Actor, str] | None:
    """The session cookie's actor and CSRF token, read in `session`; None for no live session."""
    found = ctx.resolve_session(session=session, token=token)
    return (Actor.of(found[0]), found[1]) if found else None


async def resolve_token(ctx: AppContext, token: str | None) -> tuple[Actor, str] | None:
    if not token:
        return None
    return await ctx.db.read(lambda session: lookup(ctx, session, token))


def lookup_many(ctx: AppContext, *, session: Session, tokens: list[str]) -> list[tuple[bool, Any]]:
    """`lookup` for many cookies in one read transaction (sockets connecting together): (True, found or None),
    or (False, the error) for one that failed, per token."""
    return each_answered(session, tokens, lambda token: lookup(ctx, session, token))


async def current(request: Request) -> tuple[Actor, str] | None:
    if not hasattr(request.state, "auth"):
        request.state.auth = await resolve_token(ctx_of(request), session_cookie(request))
    auth: tuple[Actor, str] | None = request.state.auth
    return auth


async def require_user(request: Request) -> Actor:
    """The logged-in actor; state-changing requests must also carry the session's CSRF token."""
    return _checked(request, await current(request))


def _checked(request: Request, auth: tuple[Actor, str] | None) -> Actor:
    if auth is None:
        raise Unauthenticated("Vui lòng đăng nhập.")
    actor, csrf = auth
    if request.method not in _SAFE:
        sent = request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent.encode(), csrf.encode()):
            raise Forbidden("Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang.")
    return actor


async def write_as_user(request: Request, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """require_user, then the write `fn(session=, actor=, **kwargs)` (AppContext.write: events delivered after
    COMMIT), in one worker-thread hop: the session cookie is read and the CSRF token checked before the service
    runs (on SQLite in a short read of its own, before the write lock is taken; on PostgreSQL as the write
    transaction's first statement: infra/db.py Database.write_as). The chair's tap pays one hop, not two."""
    ctx = ctx_of(request)
    token = session_cookie(request)
    if hasattr(request.state, "auth") or not token:
        actor = await require_user(request)
        return await ctx.write(fn, actor=actor, **kwargs)

    def who(session: Session | Connection) -> Actor:
        request.state.auth = lookup(ctx, session, token)
        return _checked(request, request.state.auth)

    return await ctx.write_as(who, fn, **kwargs)


async def read_as_user_together(request: Request, fn: Callable[..., T], /, **kwargs: Any) -> tuple[Actor, T]:
    """As `read_as_user`, for a read that many users make at the same moment (25 tablets fetching the page the
    presenter just turned to): the requests that arrive while one such read runs are answered together by the
    next, in one worker-thread hop and one read transaction, where what they all ask for (the document, its
    version, the meeting) is read once (infra/db.py: memo). Each caller still has its own cookie resolved and
    `fn` run as itself; a refusal, or a cookie that resolves to no one, is that caller's alone."""
    ctx = ctx_of(request)
    token = session_cookie(request)
    if hasattr(request.state, "auth") or request.method not in _SAFE or not token:
        return await read_as_user(request, fn, **kwargs)
    batch = ctx.read_batches.get(fn)
    if batch is None:
        batch = ctx.read_batches[fn] = BatchedReads(
            lambda calls: ctx.db.read(partial(_each_as_user, ctx, fn), calls=calls)
        )
    auth, ok, value = await batch.call((token, kwargs))
    request.state.auth = auth
    actor = await require_user(request)  # Unauthenticated when the cookie resolved to no one
    if not ok:
        raise value
    return actor, cast(T, value)


def _each_as_user(
    ctx: AppContext, fn: Callable[..., Any], *, session: Session, calls: list[tuple[str, dict[str, Any]]]
) -> list[tuple[bool, Any]]:
    """`fn` for each (cookie, kwargs) in one read transaction: (True, (auth, True, result)) or (True, (auth, False,
    the refusal)); (False, the error) when the cookie's lookup or `fn` failed otherwise."""

    try:  # every caller's cookie in one query
        resolved = ctx.resolve_sessions(session=session, tokens=[token for token, _ in calls])
    except Exception:  # each caller's own lookup below: one failure stays that caller's
        restart_read(session)
        resolved = None

    def one(call: tuple[str, dict[str, Any]]) -> tuple[tuple[Actor, str] | None, bool, Any]:
        token, kwargs = call
        if resolved is None:
            auth = lookup(ctx, session, token)
        else:
            found = resolved.get(token)
            auth = (Actor.of(found[0]), found[1]) if found else None
        if auth is None:
            return None, True, None
        try:
            return auth, True, fn(session=session, actor=auth[0], **kwargs)
        except DomainError as exc:  # a refusal (403, 404): this caller's answer, with who asked
            return auth, False, exc

    return each_answered(session, calls, one)


async def read_as_user(request: Request, fn: Callable[..., T], /, **kwargs: Any) -> tuple[Actor, T]:
    """require_user, then the read `fn(session=, actor=, **kwargs)`, in one database session and one worker
    thread hop: a hot read (25 tablets fetching the page just shown) pays one transaction, not two. The read
    runs only once the session cookie resolved to a user; a request that changes state still has its CSRF token
    checked first (require_user)."""
    ctx = ctx_of(request)
    token = session_cookie(request)
    if hasattr(request.state, "auth") or request.method not in _SAFE or not token:
        actor = await require_user(request)
        return actor, await ctx.read(fn, actor=actor, **kwargs)

    def both(session: Session) -> tuple[tuple[Actor, str] | None, T | None]:
        found = ctx.resolve_session(session=session, token=token)
        if not found:
            return None, None
        actor = Actor.of(found[0])
        return (actor, found[1]), fn(session=session, actor=actor, **kwargs)

    request.state.auth, result = await ctx.db.read(both)
    actor = await require_user(request)  # Unauthenticated when the cookie resolved to no one
    return actor, cast(T, result)  # fn ran: the cookie resolved to `actor`
