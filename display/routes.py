"""Room display: the token API (/api/meetings/{id}/display-tokens) and the page /display/{id} (thin)."""

from __future__ import annotations

import contextlib
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.actor import Actor
from web.auth import ctx_of, current, require_user
from web.http import ok
from web.openapi import Op
from web.pages import refused, render
from core.errors import DomainError, Forbidden, Unauthenticated
from display import services
from display.schemas import DisplayTokenCreated, DisplayTokenPublic

M = "/api/meetings/{meeting_id:int}/display-tokens"


async def create_token(request: Request) -> Response:
    actor = await require_user(request)
    meeting_id = request.path_params["meeting_id"]
    ctx = ctx_of(request)
    made = await ctx.write(services.create_token, actor=actor, meeting_id=meeting_id, timezone=ctx.settings.timezone)
    return ok(made, 201)


async def list_tokens(request: Request) -> Response:
    actor = await require_user(request)
    return ok(
        await ctx_of(request).read(services.list_tokens, actor=actor, meeting_id=request.path_params["meeting_id"])
    )


async def revoke_token(request: Request) -> Response:
    actor = await require_user(request)
    p = request.path_params
    await ctx_of(request).write(services.revoke_token, actor=actor, meeting_id=p["meeting_id"], token_id=p["token_id"])
    await _disconnect_displays(request, p["token_id"])
    return ok(None, 204)


async def _disconnect_displays(request: Request, token_id: int) -> None:
    """Screens already showing the meeting with a revoked token go dark at once, not at their next reconnect."""
    sio = request.app.state.sio
    screen = Actor.display(0, token_id).username
    for sid, _eio_sid in list(sio.manager.get_participants("/", None)):
        with contextlib.suppress(Exception):
            if (await sio.get_session(sid)).get("display") == screen:
                await sio.disconnect(sid)


async def display_page(request: Request) -> Response:
    """GET /display/{id}?token=...: works without a login when the token is valid for this meeting;
    without a token the viewer must be logged in and invited, like on every other page."""
    ctx = ctx_of(request)
    meeting_id = request.path_params["meeting_id"]
    token = request.query_params.get("token", "")
    try:
        if token:
            actor = await ctx.read(services.resolve_actor, token=token, timezone=ctx.settings.timezone)
            if actor is None:
                raise Unauthenticated(
                    "Mã màn hình không hợp lệ, đã hết hạn hoặc đã bị thu hồi; xin Văn phòng cấp mã mới."
                )
            if actor.display_meeting_id != meeting_id:
                raise Forbidden("Mã màn hình này được cấp cho một cuộc họp khác.")
        else:
            auth = await current(request)
            if auth is None:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            actor = auth[0]
        meeting = await ctx.read(services.display_page, actor=actor, meeting_id=meeting_id)
    except DomainError as exc:
        return refused(request, exc)
    config = {"meeting_id": meeting_id, "display_token": token or None, "server_now": int(time.time() * 1000)}
    response = render(request, "display.html", meeting=meeting, display_config=config)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address: never leak it onwards
    return response


routes = [
    Route(M, list_tokens, methods=["GET"]),
    Route(M, create_token, methods=["POST"]),
    Route(M + "/{token_id:int}", revoke_token, methods=["DELETE"]),
    Route("/display/{meeting_id:int}", display_page, methods=["GET"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/meetings/{meeting_id}/display-tokens",
        "Mã màn hình phòng họp của cuộc họp",
        answer=DisplayTokenPublic,
        many=True,
    ),
    Op(
        "post",
        "/api/meetings/{meeting_id}/display-tokens",
        "Tạo mã màn hình phòng họp (trả mã một lần)",
        answer=DisplayTokenCreated,
        status=201,
    ),
    Op(
        "delete",
        "/api/meetings/{meeting_id}/display-tokens/{token_id}",
        "Thu hồi mã màn hình (ngắt màn hình đang hiển thị)",
    ),
]
