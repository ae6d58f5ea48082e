"""The ballot routes where a trustee types a secret or gets their sealed key: /api/me/trustee-key (GET, POST,
POST …/sealed) and a legacy vote's POST /api/votes/{id}/decrypt (thin: parse, call a service, answer).

Every account password typed here is checked through accounts/passwords.py `counted`: counted in the login's
failure budget (key password:{user}, shared with the password change) before the check, and hashed in a worker
thread between a read and a write transaction, never inside one."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import passwords
from core.errors import ValidationFailed
from votes import secret
from votes.ballot import election, enrolment, trustee_keys
from votes.schemas import PasswordRequest, TrusteeEnrolRequest, TrusteeKeyPublic
from web.auth import ctx_of, require_user
from web.http import ok, parse_body
from web.openapi import Op

T = TypeVar("T")


async def _counted(request: Request, user_id: int, check: Callable[..., T], *args: Any) -> T:
    """The user's account password (or a seal made with it) checked by `check(*args)`: counted, off the loop."""
    return await passwords.counted(ctx_of(request), passwords.account_key(user_id), passwords.TOO_MANY, check, *args)


async def decrypt(request: Request) -> Response:
    """A legacy vote's server-side step: read the sealed share, open it with the password (counted, in a worker
    thread, no transaction open), then store the partial decryption."""
    actor = await require_user(request)
    body = await parse_body(request, PasswordRequest)
    vid = request.path_params["vote_id"]
    ctx = ctx_of(request)
    m = await ctx.read(election.legacy_share, actor=actor, vote_id=vid)
    sealed = (m["sealed_key"], actor.id, body.password, m["sealed_share"], m["aad"])
    share = await _counted(request, actor.id, trustee_keys.open_share, *sealed)
    return ok(await ctx.write(secret.decrypt, actor=actor, vote_id=vid, share=share))


async def trustee_key(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(enrolment.trustee_status, actor=actor))


async def legacy_trustee_key(request: Request) -> Response:
    """A legacy key's seal (sealed with the login password: an offline test of it), for the tablet's key
    ceremony or decryption step: released only to whoever types the password that opens it, counted."""
    actor = await require_user(request)
    body = await parse_body(request, PasswordRequest)
    key = await ctx_of(request).read(enrolment.legacy_sealed, user_id=actor.id)
    await _counted(request, actor.id, trustee_keys.check_opens, key["sealed"], actor.id, body.password)
    return ok(key)


async def enrol_trustee(request: Request) -> Response:
    """The tablet's key: {public_key, sealed_key, sealing: "passphrase"} (drawn and sealed there). Legacy:
    {password} alone (drawn and sealed here with the account password; kept for API clients, see
    docs/ballot-spec.md §7). A body mixing the two, or naming a secret, is refused (422)."""
    actor = await require_user(request)
    body = await parse_body(request, TrusteeEnrolRequest)
    ctx = ctx_of(request)
    tablet = (body.public_key, body.sealed_key, body.sealing)
    if body.password is not None:
        if any(v is not None for v in tablet):
            raise ValidationFailed(
                "Không gửi mật khẩu cùng với khóa tạo trên máy tính bảng: "
                "khóa ấy chỉ mở bằng cụm mật khẩu người giữ khóa, không bao giờ gửi lên máy chủ.",
                details={"field": "password"},
            )
        # refusals first (nothing counted), then the password checked and the key drawn and sealed (counted, in
        # a worker thread), then stored
        stored = await ctx.read(enrolment.enrol_precheck, user_id=actor.id)
        made = await _counted(request, actor.id, enrolment.make_key, stored, actor.id, body.password)
        return ok(await ctx.write(enrolment.enrol_trustee, actor=actor, made=made))
    if body.public_key is None or body.sealed_key is None or body.sealing != "passphrase":
        raise ValidationFailed(
            "Cần gửi khóa công khai, khóa bí mật đã niêm phong trên máy tính bảng và sealing = passphrase.",
            details={"field": "body"},
        )
    return ok(
        await ctx.write(
            enrolment.enrol_trustee_key, actor=actor, public_key=body.public_key, sealed_key=body.sealed_key
        )
    )


routes = [
    Route("/api/votes/{vote_id:int}/decrypt", decrypt, methods=["POST"]),
    Route("/api/me/trustee-key", trustee_key, methods=["GET"]),
    Route("/api/me/trustee-key", enrol_trustee, methods=["POST"]),
    Route("/api/me/trustee-key/sealed", legacy_trustee_key, methods=["POST"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/me/trustee-key",
        "Khóa kiểm phiếu của tôi (khóa cũ: không kèm khóa đã niêm phong)",
        answer=TrusteeKeyPublic,
    ),
    Op(
        "post",
        "/api/me/trustee-key",
        "Ghi khóa kiểm phiếu tạo trên máy tính bảng (niêm phong bằng cụm mật khẩu người giữ khóa); "
        "cách cũ: {password}, khóa do máy chủ tạo",
        TrusteeEnrolRequest,
        TrusteeKeyPublic,
    ),
    Op(
        "post",
        "/api/me/trustee-key/sealed",
        "Khóa cũ (niêm phong bằng mật khẩu đăng nhập): nhận khóa đã niêm phong sau khi nhập đúng mật khẩu",
        PasswordRequest,
        TrusteeKeyPublic,
    ),
]
