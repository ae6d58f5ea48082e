"""/api/meetings/{id}/votes and /api/votes/* (thin: parse, call a service, answer)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import ctx_of, require_user
from app.http import ok, parse_body
from app.openapi import Op
from votes import services
from votes.schemas import CastAck, CastRequest, OpenRequest, VoteCreate, VotePublic, VoteUpdate


async def list_votes(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.list_votes, actor=actor, meeting_id=request.path_params["meeting_id"]))


async def create_vote(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, VoteCreate)
    mid = request.path_params["meeting_id"]
    return ok(await ctx_of(request).write(services.create_vote, actor=actor, meeting_id=mid, data=data), 201)


async def get_vote(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.get_vote, actor=actor, vote_id=request.path_params["vote_id"]))


async def update_vote(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, VoteUpdate)
    return ok(await ctx_of(request).write(services.update_vote, actor=actor, vote_id=request.path_params["vote_id"], data=data))


async def open_vote(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, OpenRequest)
    vid = request.path_params["vote_id"]
    return ok(await ctx_of(request).write(services.open_vote, actor=actor, vote_id=vid, force=body.force))


async def close_vote(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    result = await ctx.write(services.close_vote, actor=actor, vote_id=request.path_params["vote_id"])
    return ok(result)


async def publish_vote(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.publish_vote, actor=actor, vote_id=request.path_params["vote_id"]))


async def cast(request: Request) -> Response:
    """Answers only after COMMIT: a 200 means the ballot is counted."""
    actor = await require_user(request)
    body = await parse_body(request, CastRequest)
    ctx = ctx_of(request)
    result = await ctx.write_grouped(services.cast, actor=actor, vote_id=request.path_params["vote_id"], option_id=body.option_id)
    return ok(result)


V = "/api/votes/{vote_id:int}"
routes = [
    Route("/api/meetings/{meeting_id:int}/votes", list_votes, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/votes", create_vote, methods=["POST"]),
    Route(V, get_vote, methods=["GET"]),
    Route(V, update_vote, methods=["PATCH"]),
    Route(V + "/open", open_vote, methods=["POST"]),
    Route(V + "/close", close_vote, methods=["POST"]),
    Route(V + "/publish", publish_vote, methods=["POST"]),
    Route(V + "/ballots", cast, methods=["POST"]),
]

P = "/api/votes/{vote_id}"
OPENAPI = [
    Op("get", "/api/meetings/{meeting_id}/votes", "Các biểu quyết của cuộc họp", answer=VotePublic, many=True),
    Op("post", "/api/meetings/{meeting_id}/votes", "Tạo biểu quyết cho một nội dung (chủ trì, thư ký)", VoteCreate, VotePublic, status=201),
    Op("get", P, "Chi tiết biểu quyết và phiếu của tôi (me)", answer=VotePublic),
    Op("patch", P, "Sửa biểu quyết đang soạn thảo", VoteUpdate, VotePublic),
    Op("post", P + "/open", "Mở biểu quyết (409 no_quorum khi chưa đủ số; chủ trì gửi force=true)", OpenRequest, VotePublic),
    Op("post", P + "/close", "Đóng biểu quyết và tính kết quả theo quy tắc", answer=VotePublic),
    Op("post", P + "/publish", "Công bố kết quả", answer=VotePublic),
    Op("post", P + "/ballots", "Bỏ phiếu (trả lời sau khi đã ghi nhận)", CastRequest, CastAck),
]
