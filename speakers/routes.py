"""/api/meetings/{id}/speakers and /api/speakers/{id}/* (thin: parse, call a service, answer)."""

from __future__ import annotations

from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body
from web.openapi import Op
from speakers import services
from speakers.schemas import SpeakerPublic, SpeakersSlice, SpeakRequest


async def list_speakers(request: Request) -> Response:
    actor = await require_user(request)
    meeting_id = request.path_params["meeting_id"]
    return ok(await ctx_of(request).read(services.list_speakers, actor=actor, meeting_id=meeting_id))


async def request_floor(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, SpeakRequest)
    meeting_id = request.path_params["meeting_id"]
    return ok(await ctx_of(request).write(services.request_floor, actor=actor, meeting_id=meeting_id, data=data), 201)


def on_request(fn: Callable[..., Any]) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        actor = await require_user(request)
        return ok(await ctx_of(request).write(fn, actor=actor, request_id=request.path_params["request_id"]))

    return endpoint


S = "/api/speakers/{request_id:int}"
routes = [
    Route("/api/meetings/{meeting_id:int}/speakers", list_speakers, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/speakers", request_floor, methods=["POST"]),
    Route(S + "/grant", on_request(services.grant), methods=["POST"]),
    Route(S + "/finish", on_request(services.finish), methods=["POST"]),
    Route(S + "/withdraw", on_request(services.withdraw), methods=["POST"]),
]

P = "/api/speakers/{request_id}"
OPENAPI = [
    Op(
        "get",
        "/api/meetings/{meeting_id}/speakers",
        "Danh sách đăng ký phát biểu của nội dung đang thảo luận",
        answer=SpeakersSlice,
    ),
    Op(
        "post",
        "/api/meetings/{meeting_id}/speakers",
        "Đăng ký phát biểu ({}), hoặc chủ trì mời phát biểu ({user_id})",
        SpeakRequest,
        SpeakerPublic,
        status=201,
    ),
    Op("post", P + "/grant", "Mời phát biểu (kết thúc phần phát biểu đang diễn ra)", answer=SpeakerPublic),
    Op("post", P + "/finish", "Kết thúc phần phát biểu", answer=SpeakerPublic),
    Op("post", P + "/withdraw", "Rút đăng ký phát biểu", answer=SpeakerPublic),
]
