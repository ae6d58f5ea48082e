"""/api/notifications*, the page /notifications and the page of a new address's confirmation link (thin: parse,
call a service, answer)."""

from __future__ import annotations

from functools import partial

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body, parse_query
from web.openapi import Op
from web.pages import page_actor, refused, to_login, lang_of, render
from accounts import passwords
from accounts import services as accounts
from accounts.passwords import PasswordCheck
from core.actor import Actor
from core.errors import DomainError
from infra.context import AppContext
from notifications import services
from notifications.schemas import (
    EmailConfirm,
    MarkRead,
    NotificationList,
    NotificationQuery,
    Preferences,
    PreferencesUpdate,
    Unread,
)


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
        mail=bool(ctx.settings.smtp_url),  # else no confirmation link could be mailed: 409
    )


async def confirm_email(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, EmailConfirm)
    return ok(await ctx_of(request).write(services.confirm_email_change, actor=actor, token=body.token))


async def cancel_email(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.cancel_email_change, actor=actor))


async def confirm_page(request: Request) -> Response:
    """The mailed link: shows the change and a button (the POST above); opening it changes nothing."""
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)  # back here after the login
    token = request.path_params["token"]
    try:
        change = await ctx_of(request).read(services.email_change, actor=actor, token=token)
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "email_confirm.html", token=token, **change)


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
    Route("/api/notifications/email/confirm", confirm_email, methods=["POST"]),
    Route("/api/notifications/email/pending", cancel_email, methods=["DELETE"]),
    Route("/notifications", page, methods=["GET"]),
    Route("/notifications/email/confirm/{token}", confirm_page, methods=["GET"]),
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
        "Đổi địa chỉ thư (kèm mật khẩu hiện tại: địa chỉ mới nhận thư có liên kết xác nhận và chỉ được dùng sau khi "
        "xác nhận; 409 khi chưa cấu hình máy chủ thư), ngôn ngữ thư và các loại thông báo nhận qua thư",
        PreferencesUpdate,
        Preferences,
    ),
    Op(
        "post",
        "/api/notifications/email/confirm",
        "Xác nhận địa chỉ thư mới bằng mã trong liên kết đã gửi tới địa chỉ ấy (chỉ chính chủ, đã đăng nhập): "
        "404 mã sai hoặc của người khác, 410 mã đã dùng, đã hủy, đã bị thay hoặc hết hạn",
        EmailConfirm,
        Preferences,
        errors=(410,),
    ),
    Op(
        "delete",
        "/api/notifications/email/pending",
        "Hủy địa chỉ thư đang chờ xác nhận (404 khi không có)",
        answer=Preferences,
        status=200,
    ),
]
