"""/api/auth/* and /api/me, /api/users (thin: parse, call a service, answer)."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import devices, hooks, passwords, services
from accounts.schemas import LoginRequest, PasswordChange, SessionPublic, UserCreate, UserPublic, UserUpdate
from web.openapi import Op
from web.auth import clear_session_cookie, ctx_of, current, require_user, session_cookie, set_session_cookie
from web.http import ok, parse_body
from core.errors import Forbidden, Unauthenticated
from core.i18n import N_


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return True  # non-browser clients send none; browsers always send it on POST
    allowed = {f"{request.url.scheme}://{request.headers.get('host', '')}", *ctx_of(request).settings.allowed_origins}
    return origin in allowed


def _login_limits(request: Request, username: str, epoch: int | None) -> tuple[dict[str, int], dict[str, int]]:
    """Failures per address and account, and (4x looser) per account from anywhere, counted before the check;
    per address over all accounts (4x looser) counted once a guess has failed, so that the tablets of a hall
    behind one address can all sign in at once: one address cannot lock an account out alone, many
    addresses cannot guess one unbounded, one address cannot spray many accounts for long.

    A browser that signed in as this user before (a valid device cookie for this name under the account's current
    credential `epoch`, accounts/devices.py) is counted against its own budget and the budget all the account's
    device cookies share (devices.DEVICES_FACTOR x): guesses from elsewhere, which fill the account's and the
    address's budgets, do not lock the owner out of a known device; a device's own failures lock it, and more
    device cookies are not more guesses. The first key is the one a success clears."""
    settings = ctx_of(request).settings
    n = settings.login_max_failures
    device = devices.trusted(request, settings, username, epoch)
    if device is not None:
        return {f"login:device:{device}": n, f"login:devices:{username}": devices.DEVICES_FACTOR * n}, {}
    address = request.client.host if request.client else "?"
    return {f"login:{address}|{username}": n, f"login:user:{username}": 4 * n}, {f"login:addr:{address}": 4 * n}


async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    if not _same_origin(request):
        raise Forbidden("Yêu cầu đăng nhập từ nguồn không được phép.")
    body = await parse_body(request, LoginRequest)
    username = body.username.strip().lower()
    s = ctx.settings
    # The account's credential epoch, which a device cookie must carry: read first when the browser shows one for
    # this name (it decides the budgets), else once the attempt is counted. Always before the password check, so a
    # change of credentials meanwhile leaves the new device cookie dead, never alive past it.
    epoch = None
    if devices.presented(request, s, username):
        epoch = await ctx.read(services.credential_epoch, username=username)
    limits, after = _login_limits(request, username, epoch)
    message = N_("Đăng nhập sai quá nhiều lần; thử lại sau {seconds} giây.")
    # A few password checks per address (or known device) at a time (infra/ratelimit.py KeyedGate): the
    # address-wide failures (`after`) are counted once a guess has failed, so a burst must not all be checked
    # before the first counts.
    async with ctx.login_gates.hold(next(iter(after or limits)), message):
        # Counted before the (slow) password check, so parallel guesses beyond the limit are never evaluated.
        attempt = await ctx.login_limiter.reserve(limits, message, after=after)
        previous = session_cookie(request)
        try:
            if epoch is None:
                epoch = await ctx.read(services.credential_epoch, username=username)
            stored = await ctx.read(services.stored_hash, username=body.username)
            check = await passwords.check_off_loop(stored, body.password)  # the slow part, outside any transaction
            token, csrf, user = await ctx.write(
                services.login,
                username=body.username,
                check=check,
                min_length=s.password_min_length,
                demo_mode=s.demo_mode,
                ttl_hours=s.session_ttl_hours,
                replaces=previous,
            )
        except Unauthenticated:
            await attempt.failed()  # a failed guess: the reservation stays counted, and the address's count grows
            raise
        except BaseException:
            await attempt.release()  # not a guess (e.g. the database was busy)
            raise
        await attempt.release()
        # The owner's own typos from this address (or this device) are forgiven.
        await ctx.login_limiter.clear(next(iter(limits)))
    if previous:
        await ctx.end_session(services.session_key(previous))  # sockets of the replaced session close
    response = ok({"user": user.model_dump(mode="json"), "csrf_token": csrf})
    set_session_cookie(response, token, s)
    if epoch is not None:  # this browser is now a known device for this user name (its own cookie)
        devices.issue(request, response, s, username, epoch)
    return response


async def logout(request: Request) -> Response:
    await require_user(request)
    token = session_cookie(request) or ""
    await ctx_of(request).write(services.logout, token=token)
    await ctx_of(request).end_session(services.session_key(token))
    response = ok({"ok": True})
    clear_session_cookie(response, ctx_of(request).settings)
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
    """Refusals first (a read: not an administrator, a name taken), then the policy and the hash in a worker thread
    with no transaction open, then the write (which checks the refusals again)."""
    actor = await require_user(request)
    body = await parse_body(request, UserCreate)
    ctx = ctx_of(request)
    min_length = ctx.settings.password_min_length
    await ctx.read(services.may_create_user, actor=actor, username=body.username, data=body)
    new_hash = await passwords.new_hash_off_loop(
        body.password, min_length=min_length, username=body.username, full_name=body.full_name
    )
    user = await ctx.write(services.create_user, actor=actor, data=body, min_length=min_length, password_hash=new_hash)
    return ok(user.model_dump(mode="json"), 201)


async def update_user(request: Request) -> Response:
    """A reset password: refused first if the request will be (a read: who asks, a null, which account), then
    checked against the policy and hashed in a worker thread with no transaction open, then stored by the write."""
    actor = await require_user(request)
    body = await parse_body(request, UserUpdate)
    ctx = ctx_of(request)
    uid = request.path_params["user_id"]
    new_hash = None
    if body.password is not None:
        target = await ctx.read(services.may_update_user, actor=actor, user_id=uid, data=body)
        new_hash = await passwords.new_hash_off_loop(
            body.password,
            min_length=ctx.settings.password_min_length,
            username=target.username,
            full_name=target.full_name,
        )
    user, ended, told = await ctx.write(services.update_user, actor=actor, user_id=uid, data=body, new_hash=new_hash)
    for key in ended:  # their sockets on this node close now (other nodes': realtime/recheck.py)
        await ctx.end_session(key)
    return ok({**user.model_dump(mode="json"), **told})  # e.g. trustee_key_lost (votes/ballot/custody.py)


async def change_password(request: Request) -> Response:
    """Every slow step outside the write: the current password checked (counted), the new one checked against the
    policy and hashed, what is sealed with the password read and re-sealed (accounts/hooks.py), each in a worker
    thread; the write then stores them, refusing (409) a seal that moved meanwhile."""
    actor = await require_user(request)
    body = await parse_body(request, PasswordChange)
    ctx = ctx_of(request)
    stored = partial(ctx.read, services.stored_hash, username=actor.username)
    async with passwords.current_password(ctx, actor.id, stored, body.current) as check:
        new_hash, resealed = "", None
        if check.ok:  # a wrong current password: refused by the write below, no new hash made, nothing re-sealed
            new_hash = await passwords.new_hash_off_loop(
                body.new,
                min_length=ctx.settings.password_min_length,
                username=actor.username,
                full_name=actor.full_name,
            )
            sealed = await ctx.read(hooks.read_sealed, user_id=actor.id)
            resealed = await passwords.off_loop(hooks.reseal, sealed, actor.id, body.current, body.new)
        ended = await ctx.write(
            services.change_password,
            actor=actor,
            check=check,
            new_hash=new_hash,
            resealed=resealed,
            keep=session_cookie(request) or "",
        )
    for key in ended:
        await ctx.end_session(key)
    return ok({"sessions_ended": len(ended)})


routes = [
    Route("/api/auth/login", login, methods=["POST"]),
    Route("/api/auth/logout", logout, methods=["POST"]),
    Route("/api/me", me, methods=["GET"]),
    Route("/api/users", list_users, methods=["GET"]),
    Route("/api/users", create_user, methods=["POST"]),
    Route("/api/users/{user_id:int}", update_user, methods=["PATCH"]),
    Route("/api/me/password", change_password, methods=["POST"]),
]

OPENAPI = [
    Op(
        "post",
        "/api/auth/login",
        "Đăng nhập; đặt cookie phiên và trả mã CSRF",
        LoginRequest,
        SessionPublic,
        public=True,
    ),
    Op("post", "/api/auth/logout", "Đăng xuất"),
    Op("get", "/api/me", "Người dùng hiện tại và mã CSRF của phiên", answer=SessionPublic),
    Op("get", "/api/users", "Danh bạ tài khoản (Văn phòng, quản trị)", answer=UserPublic, many=True),
    Op("post", "/api/users", "Tạo tài khoản (quản trị)", UserCreate, UserPublic, status=201),
    Op(
        "patch",
        "/api/users/{user_id}",
        "Sửa tài khoản: quyền, khóa hay mở, đặt lại mật khẩu (quản trị); các phiên của tài khoản kết thúc",
        UserUpdate,
        UserPublic,
    ),
    Op("post", "/api/me/password", "Đổi mật khẩu của mình; các phiên khác kết thúc", PasswordChange),
]
