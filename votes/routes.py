"""/api/meetings/{id}/votes and /api/votes/* (thin: parse, call a service, answer)."""

from __future__ import annotations

from functools import partial

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.i18n import N_
from web.auth import ctx_of, require_user
from web.http import ok, parse_body
from web.openapi import Op
from votes import casting, secret, services, trustee_routes
from votes.ballot import ceremony, election
from votes.ballot import board as ballot_board
from votes.ballot import check as ballot_check
from votes.schemas import (
    BallotParams,
    BoardPublic,
    CastAck,
    CastRequest,
    CeremonyStart,
    CeremonyStatus,
    MeetingBoards,
    MeetingBoardsCheck,
    ComplaintRequest,
    ContributionRequest,
    OpenRequest,
    PartialRequest,
    PasswordRequest,
    ReceiptCheck,
    SecretCastRequest,
    SecretCastAck,
    TrusteeMaterial,
    VoteCreate,
    VotePublic,
    VoteUpdate,
)


async def list_votes(request: Request) -> Response:
    actor = await require_user(request)
    return ok(
        await ctx_of(request).read(services.list_votes, actor=actor, meeting_id=request.path_params["meeting_id"])
    )


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
    return ok(
        await ctx_of(request).write(
            services.update_vote, actor=actor, vote_id=request.path_params["vote_id"], data=data
        )
    )


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
    result = await ctx.write_many(
        casting.cast_many, actor=actor, vote_id=request.path_params["vote_id"], option_id=body.option_id
    )
    return ok(result)


async def cast_secret(request: Request) -> Response:
    """Answers the receipt only after COMMIT: the encrypted ballot is stored."""
    actor = await require_user(request)
    body = await parse_body(request, SecretCastRequest)
    vid = request.path_params["vote_id"]
    ballot = body.ballot.model_dump()
    ctx = ctx_of(request)
    checked = await ctx.read(secret.check_secret_ballot, actor=actor, vote_id=vid, ballot=ballot)  # proofs, in parallel
    # Ballots arriving together share one transaction (one savepoint each, infra/groupcommit.py), answered after COMMIT.
    return ok(await ctx.write_grouped(secret.cast_secret, actor=actor, vote_id=vid, ballot=ballot, checked=checked))


CHECK_LIMIT = (6, 60)  # checks of a meeting's boards per user per minute (each recomputes every proof)


async def ballot_params(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(election.parameters, actor=actor, vote_id=request.path_params["vote_id"]))


async def board(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(ballot_board.board, actor=actor, vote_id=request.path_params["vote_id"]))


async def receipt(request: Request) -> Response:
    actor = await require_user(request)
    r = request.path_params["receipt"]
    return ok(
        await ctx_of(request).read(
            ballot_board.receipt_on_board, actor=actor, vote_id=request.path_params["vote_id"], receipt=r
        )
    )


async def trustee_material(request: Request) -> Response:
    actor = await require_user(request)
    return ok(
        await ctx_of(request).read(election.trustee_material, actor=actor, vote_id=request.path_params["vote_id"])
    )


async def submit_partial(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, PartialRequest)
    vid = request.path_params["vote_id"]
    return ok(await ctx_of(request).write(secret.submit_partial, actor=actor, vote_id=vid, shares=body.shares))


async def ceremony_status(request: Request) -> Response:
    actor = await require_user(request)
    return ok(
        await ctx_of(request).read(ceremony.ceremony_status, actor=actor, meeting_id=request.path_params["meeting_id"])
    )


async def start_ceremony(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, CeremonyStart)
    mid = request.path_params["meeting_id"]
    return ok(
        await ctx_of(request).write(ceremony.start_ceremony, actor=actor, meeting_id=mid, trustee_ids=body.trustee_ids),
        201,
    )


async def contribute(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, ContributionRequest)
    mid = request.path_params["meeting_id"]
    contribution = {"commitments": body.commitments, "proofs": body.proofs, "shares": body.shares}
    return ok(
        await ctx_of(request).write(
            ceremony.contribute, actor=actor, meeting_id=mid, ceremony_id=body.ceremony_id, contribution=contribution
        )
    )


async def complain(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, ComplaintRequest)
    mid = request.path_params["meeting_id"]
    return ok(
        await ctx_of(request).write(
            ceremony.complain,
            actor=actor,
            meeting_id=mid,
            ceremony_id=body.ceremony_id,
            against=body.against,
            vote_id=body.vote_id,
        )
    )


async def meeting_boards(request: Request) -> Response:
    """The minutes' companion file: every decrypted secret vote's board (`ecabinet verify-ballot` checks it)."""
    actor = await require_user(request)
    mid = request.path_params["meeting_id"]
    data = await ctx_of(request).read(ballot_board.meeting_boards, actor=actor, meeting_id=mid)
    return JSONResponse(
        data,
        headers={
            "Content-Disposition": f'attachment; filename="bien-ban-{mid}-bang-phieu-kin.json"',
            "Cache-Control": "no-store",
        },
    )


async def check_boards(request: Request) -> Response:
    """The minutes page's button: the boards of `meeting_boards`, checked as `ecabinet verify-ballot` does."""
    actor = await require_user(request)
    mid = request.path_params["meeting_id"]
    ctx = ctx_of(request)
    await ctx.window("ballot.check", *CHECK_LIMIT).take(
        str(actor.id), N_("Kiểm tra bảng phiếu quá nhiều lần; thử lại sau {seconds} giây.")
    )
    data = await ctx.read(ballot_board.meeting_boards, actor=actor, meeting_id=mid)
    boards = await to_thread.run_sync(partial(ballot_check.check_all, data["boards"]))  # proofs: CPU, off the loop
    return ok({"meeting_id": mid, "boards": boards})


V = "/api/votes/{vote_id:int}"
C = "/api/meetings/{meeting_id:int}/key-ceremony"
routes = [
    Route("/api/meetings/{meeting_id:int}/votes", list_votes, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/votes", create_vote, methods=["POST"]),
    Route(V, get_vote, methods=["GET"]),
    Route(V, update_vote, methods=["PATCH"]),
    Route(V + "/open", open_vote, methods=["POST"]),
    Route(V + "/close", close_vote, methods=["POST"]),
    Route(V + "/publish", publish_vote, methods=["POST"]),
    Route(V + "/ballots", cast, methods=["POST"]),
    Route(V + "/secret-ballots", cast_secret, methods=["POST"]),
    Route(V + "/ballot-params", ballot_params, methods=["GET"]),
    Route(V + "/board", board, methods=["GET"]),
    Route(V + "/board/{receipt}", receipt, methods=["GET"]),
    Route(V + "/trustee-material", trustee_material, methods=["GET"]),
    Route(V + "/partial", submit_partial, methods=["POST"]),
    Route(C, ceremony_status, methods=["GET"]),
    Route(C, start_ceremony, methods=["POST"]),
    Route(C + "/contributions", contribute, methods=["POST"]),
    Route(C + "/complaints", complain, methods=["POST"]),
    Route("/api/meetings/{meeting_id:int}/ballot-boards", meeting_boards, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/ballot-boards/check", check_boards, methods=["GET"]),
    *trustee_routes.routes,
]

P = "/api/votes/{vote_id}"
OPENAPI = [
    Op("get", "/api/meetings/{meeting_id}/votes", "Các biểu quyết của cuộc họp", answer=VotePublic, many=True),
    Op(
        "post",
        "/api/meetings/{meeting_id}/votes",
        "Tạo biểu quyết cho một nội dung (chủ trì, thư ký)",
        VoteCreate,
        VotePublic,
        status=201,
    ),
    Op("get", P, "Chi tiết biểu quyết và phiếu của tôi (me)", answer=VotePublic),
    Op("patch", P, "Sửa biểu quyết đang soạn thảo", VoteUpdate, VotePublic),
    Op(
        "post",
        P + "/open",
        "Mở biểu quyết (409 no_quorum khi chưa đủ số; chủ trì gửi force=true)",
        OpenRequest,
        VotePublic,
    ),
    Op("post", P + "/close", "Đóng biểu quyết và tính kết quả theo quy tắc", answer=VotePublic),
    Op("post", P + "/publish", "Công bố kết quả", answer=VotePublic),
    Op(
        "post",
        P + "/ballots",
        "Bỏ phiếu (trả lời sau khi đã ghi nhận); biểu quyết kín: bị từ chối",
        CastRequest,
        CastAck,
    ),
    Op(
        "post",
        P + "/secret-ballots",
        "Bỏ phiếu kín đã mã hóa (trả biên nhận sau khi đã lưu)",
        SecretCastRequest,
        SecretCastAck,
    ),
    Op("get", P + "/ballot-params", "Tham số mã hóa của biểu quyết kín", answer=BallotParams),
    Op("get", P + "/board", "Bảng phiếu kín công khai để kiểm chứng", answer=BoardPublic),
    Op("get", P + "/board/{receipt}", "Biên nhận của tôi có trên bảng phiếu không", answer=ReceiptCheck),
    Op(
        "post",
        P + "/decrypt",
        "Biểu quyết cũ (khóa do máy chủ tạo): người giữ khóa giải mã bằng mật khẩu",
        PasswordRequest,
        VotePublic,
    ),
    Op(
        "get",
        P + "/trustee-material",
        "Phần khóa đã niêm phong gửi tới người giữ khóa và tổng phiếu mã hóa",
        answer=TrusteeMaterial,
    ),
    Op(
        "post",
        P + "/partial",
        "Người giữ khóa gửi phần giải mã (tính trên máy của mình, kèm bằng chứng)",
        PartialRequest,
        VotePublic,
    ),
    Op("get", "/api/meetings/{meeting_id}/key-ceremony", "Lễ tạo khóa kiểm phiếu của cuộc họp", answer=CeremonyStatus),
    Op(
        "post",
        "/api/meetings/{meeting_id}/key-ceremony",
        "Bắt đầu lễ tạo khóa (chủ trì, thư ký)",
        CeremonyStart,
        status=201,
    ),
    Op(
        "post",
        "/api/meetings/{meeting_id}/key-ceremony/contributions",
        "Người giữ khóa đóng góp vào lễ tạo khóa",
        ContributionRequest,
    ),
    Op(
        "post",
        "/api/meetings/{meeting_id}/key-ceremony/complaints",
        "Người giữ khóa báo phần khóa sai",
        ComplaintRequest,
    ),
    Op(
        "get",
        "/api/meetings/{meeting_id}/ballot-boards",
        "Bảng phiếu kín của mọi biểu quyết kín đã giải mã (kèm biên bản)",
        answer=MeetingBoards,
    ),
    Op(
        "get",
        "/api/meetings/{meeting_id}/ballot-boards/check",
        "Kiểm tra bảng phiếu kín của cuộc họp (như lệnh ecabinet verify-ballot): từng biểu quyết hợp lệ hay không",
        answer=MeetingBoardsCheck,
    ),
    *trustee_routes.OPENAPI,
]
