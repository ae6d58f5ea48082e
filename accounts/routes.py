"""/api/auth/* and /api/me, /api/users (thin: parse, call a service, answer)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import services
from accounts.schemas import LoginRequest, SessionPublic, UserCreate, UserPublic
from app.openapi import Op
from app.auth import COOKIE, ctx_of, current, require_user
from app.http import ok, parse_body
from core.errors import Forbidden, RateLimited


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True  # non-browser clients send none; browsers always send it on POST
    allowed = {f"{request.url.scheme}://{request.headers.get('host', '')}", *ctx_of(request).settings.allowed_origins}
    return origin in allowed


async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    if not _same_origin(request):
        raise Forbidden("Yêu cầu đăng nhập từ nguồn không được phép.")
    body = await parse_body(request, LoginRequest)
    key = f"{request.client.host if request.client else '?'}|{body.username.strip().lower()}"
    wait = ctx.login_limiter.blocked(key)
    if wait:
        raise RateLimited(f"Đăng nhập sai quá nhiều lần; thử lại sau {int(wait) + 1} giây.")
    s = ctx.settings
    try:
        token, csrf, user = await ctx.write(
            services.login,
            username=body.username,
            password=body.password,
            min_length=s.password_min_length,
            demo_mode=s.demo_mode,
            ttl_hours=s.session_ttl_hours,
        )
    except Exception:
        ctx.login_limiter.hit(key)
        raise
    ctx.login_limiter.reset(key)
    response = ok({"user": user.model_dump(mode="json"), "csrf_token": csrf})
    response.set_cookie(
        COOKIE, token, max_age=s.session_ttl_hours * 3600, httponly=True, samesite="lax", secure=s.cookie_secure, path="/"
    )
    return response


async def logout(request: Request) -> Response:
    await require_user(request)
    token = request.cookies.get(COOKIE, "")
    await ctx_of(request).write(services.logout, token=token)
    await ctx_of(request).end_session(services.session_key(token))
    response = ok({"ok": True})
    response.delete_cookie(COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    actor = await require_user(request)
    auth = await current(request)
    user = await ctx_of(request).read(services.get_self, actor=actor)
    return ok({"user": user.model_dump(mode="json"), "csrf_token": auth[1] if auth else None})


async def list_users(request: Request) -> Response:
    actor = await require_user(request)
    users = await ctx_of(request).read(services.list_users, actor=actor)
    return ok([u.model_dump(mode="json") for u in users])


async def create_user(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, UserCreate)
    min_length = ctx_of(request).settings.password_min_length
    user = await ctx_of(request).write(services.create_user, actor=actor, data=body, min_length=min_length)
    return ok(user.model_dump(mode="json"), 201)


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/users", list_users, methods=["GET"]),
    Route("/api/users", create_user, methods=["POST"]),
]

OPENAPI = [
    Op("post", "/api/auth/login", "Đăng nhập; đặt cookie phiên và trả mã CSRF", LoginRequest, SessionPublic, public=True),
    Op("post", "/api/auth/logout", "Đăng xuất"),
    Op("get", "/api/me", "Người dùng hiện tại và mã CSRF của phiên", answer=SessionPublic),
    Op("get", "/api/users", "Danh bạ tài khoản (Văn phòng, quản trị)", answer=UserPublic, many=True),
    Op("post", "/api/users", "Tạo tài khoản (quản trị)", UserCreate, UserPublic, status=201),
]
