"""/api/notifications* and the page /notifications (thin: parse, call a service, answer)."""

from __future__ import annotations

from functools import partial

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body, parse_query
from web.openapi import Op
from web.pages import page_actor, to_login, lang_of, render
from accounts import passwords
from accounts import services as accounts
from accounts.passwords import PasswordCheck
from core.actor import Actor
from infra.context import AppContext
from notifications import services
from notifications.schemas import MarkRead, NotificationList, NotificationQuery, Preferences, PreferencesUpdate, Unread


async def list_mine(request: Request) -> Response:
    actor = await require_user(request)
    q = parse_query(request, NotificationQuery)
    ctx = ctx_of(request)
    return ok(
        await ctx.read(
            services.list_mine,
            actor=actor,
            lang=lang_of(request),
            tz=ctx.settings.timezone,
            limit=q.limit,
            unread_only=q.unread,
        )
    )


async def mark_read(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, MarkRead)
    return ok(await ctx_of(request).write(services.mark_read, actor=actor, ids=body.ids, all_=body.all))


async def get_preferences(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.get_preferences, actor=actor))


async def set_preferences(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, PreferencesUpdate)
    ctx = ctx_of(request)
    if body.email is None or body.password is None:
        # No password to check: the service refuses (422) if the address would change.
        return ok(await _save(ctx, actor, body, None))
    # Counted against the same budget as the password change, so neither route guesses more.
    stored = partial(ctx.read, accounts.stored_hash, username=actor.username)
    async with passwords.current_password(ctx, actor.id, stored, body.password) as check:
        saved = await _save(ctx, actor, body, check)
    return ok(saved)


async def _save(ctx: AppContext, actor: Actor, body: PreferencesUpdate, check: PasswordCheck | None) -> Any:
    return await ctx.write(
        services.set_preferences,
        actor=actor,
        email=body.email,
        lang=body.lang,
        email_events=body.email_events,
        check=check,
    )


async def page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    return render(request, "notifications.html")


routes = [
    Route("/api/notifications", list_mine, methods=["GET"]),
    Route("/api/notifications/read", mark_read, methods=["POST"]),
    Route("/api/notifications/preferences", get_preferences, methods=["GET"]),
    Route("/api/notifications/preferences", set_preferences, methods=["PUT"]),
    Route("/notifications", page, methods=["GET"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/notifications",
        "Thông báo của tôi (mới nhất trước) và số chưa đọc; ?limit= (≤ 200)&unread=true",
        answer=NotificationList,
        query=("limit", "unread"),
    ),
    Op(
        "post",
        "/api/notifications/read",
        "Đánh dấu đã đọc: các thông báo `ids` của tôi, hoặc tất cả (all: true)",
        MarkRead,
        Unread,
    ),
    Op(
        "get",
        "/api/notifications/preferences",
        "Địa chỉ thư điện tử và các loại thông báo tôi nhận qua thư",
        answer=Preferences,
    ),
    Op(
        "put",
        "/api/notifications/preferences",
        "Đổi địa chỉ thư (kèm mật khẩu hiện tại; địa chỉ cũ được báo), ngôn ngữ thư và các loại thông báo nhận qua thư",
        PreferencesUpdate,
        Preferences,
    ),
]
