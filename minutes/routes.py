"""/api/meetings/{id}/conclusions|minutes*, /api/minutes/verify and the pages /meetings/{id}/minutes and
/minutes/verify (thin: parse, call a service, answer). Rendering and signing run in worker threads; an uploaded file is
verified in the capped verify worker process, apart from members' work (documents/exports.py verify)."""

from __future__ import annotations

from functools import partial
from typing import Any

from anyio import to_thread
from cryptography.hazmat.primitives import serialization
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, current, require_user
from web.http import ok, parse_body, query_id
from web.i18n import request_lang
from web.multipart import parse_form
from web.openapi import Op
from meetings.pages import meeting_page
from web.pages import render
from web.security_headers import SAME_ORIGIN_FRAME
from core.clock import utcnow
from core.errors import TooLarge, ValidationFailed
from core.i18n import N_, localize
from infra.costbudget import CostBudget, cost_budget
from documents import exports
from documents.workers import preload_for_exports
from documents.routes import renderer_for
from minutes import conclusions, issued, services, signing, signoff, verdict, verify_job
from ledger import keystore
from minutes.counted import sign_counted
from minutes.schemas import (
    ConclusionPublic,
    ConclusionPublish,
    ConclusionSave,
    MinutesDraft,
    MinutesStatus,
    MinutesVersionPublic,
    SectionEdit,
    SectionPublic,
    SignRequest,
    VerifyReport,
    VerifyUpload,
)

preload_for_exports("minutes.verify_job", "verify")  # pyHanko in the verify worker's baseline, not in a job's budget

MAX_VERIFY_BYTES = 20 * 1024 * 1024
# Uploads per client address per minute (anyone may verify; a person checks a file or two): each may take the verify
# worker for up to exports.VERIFY_CPU_SECONDS.
VERIFY_LIMIT = (6, 60)
# The verify worker's CPU-seconds one address may spend per minute (charged what each of its jobs took, shared through
# Redis when configured: infra/costbudget.py). Issued minutes check in a fraction of a second, so a person is never
# near it; a client sending costly files gets 429 once it spent this, while the worker serves everyone else.
VERIFY_CPU_BUDGET = (15.0, 60.0)
CPU_SPENT = N_("Các tệp bạn gửi đã dùng hết thời gian kiểm tra dành cho một địa chỉ; thử lại sau {seconds} giây.")


def _cpu_budget(request: Request) -> CostBudget:
    """The application's budget (`request.app.state`), made at its first check; its Redis connection closes with the
    app's other background objects."""
    budget: CostBudget | None = getattr(request.app.state, "verify_cpu_budget", None)
    if budget is None:
        ctx = ctx_of(request)
        budget = cost_budget(*VERIFY_CPU_BUDGET, ctx.settings.redis_url, f"{ctx.settings.redis_channel}:verify")
        request.app.state.verify_cpu_budget = budget
        ctx.background.append(budget)
    return budget


def _mid(request: Request) -> int:
    meeting_id: int = request.path_params["meeting_id"]
    return meeting_id


def _tz(request: Request) -> str:
    return ctx_of(request).settings.timezone  # the organisation's zone, for every time the minutes show


async def list_conclusions(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(conclusions.list_conclusions, actor=actor, meeting_id=_mid(request)))


async def save_conclusion(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, ConclusionSave)
    return ok(
        await ctx_of(request).write(
            conclusions.save_conclusion,
            actor=actor,
            meeting_id=_mid(request),
            item_id=request.path_params["item_id"],
            text=body.text,
            base_revision=body.base_revision,
        )
    )


async def publish_conclusion(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, ConclusionPublish)
    return ok(
        await ctx_of(request).write(
            conclusions.publish_conclusion,
            actor=actor,
            meeting_id=_mid(request),
            item_id=request.path_params["item_id"],
            published=body.published,
        )
    )


async def get_draft(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.get_draft, actor=actor, meeting_id=_mid(request), tz=_tz(request)))


async def edit_section(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, SectionEdit)
    return ok(
        await ctx_of(request).write(
            services.edit_section,
            actor=actor,
            meeting_id=_mid(request),
            key=request.path_params["key"],
            text=body.text,
            base=body.base,
            tz=_tz(request),
        )
    )


def _file(out: services.FileOut, inline: bool) -> Response:
    disposition = "inline" if inline else "attachment"
    framable = SAME_ORIGIN_FRAME if inline else {}  # the minutes page previews it in its own <iframe>
    return Response(
        out.data,
        media_type=out.media_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{out.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            **framable,
        },
    )


async def get_pdf(request: Request) -> Response:
    actor = await require_user(request)
    q = request.query_params
    out = await ctx_of(request).read(
        services.get_pdf,
        actor=actor,
        meeting_id=_mid(request),
        draft=q.get("draft") == "1",
        version=query_id(request, "version"),
        tz=_tz(request),
    )
    return _file(out, inline=q.get("download") != "1")


async def get_docx(request: Request) -> Response:
    actor = await require_user(request)
    return _file(
        await ctx_of(request).read(services.get_docx, actor=actor, meeting_id=_mid(request), tz=_tz(request)),
        inline=False,
    )


async def list_versions(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.list_versions, actor=actor, meeting_id=_mid(request)))


async def finalise(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.finalise, actor=actor, meeting_id=_mid(request), tz=_tz(request)))


async def new_version(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.new_version, actor=actor, meeting_id=_mid(request)))


async def sign(request: Request) -> Response:
    """Read what to sign (short read), sign in a worker thread (no transaction open), store it if nothing moved."""
    actor = await require_user(request)
    body = await parse_body(request, SignRequest)
    ctx = ctx_of(request)
    job = await ctx.read(signoff.prepare_signature, actor=actor, meeting_id=_mid(request), shown=body.version)
    signed_at = utcnow().replace(microsecond=0)
    pdf = await sign_counted(
        ctx,
        actor.id,
        partial(
            signing.sign_pdf,
            job.pdf,
            user_id=job.username,
            password=body.password,
            field_name=job.field_name,
            reason=job.reason,
            location=job.location,
            signer_name=job.full_name,
            signer_title=job.title,
            signed_at=signed_at,
            tz=ctx.settings.timezone,
        ),
    )
    return ok(await ctx.write(signoff.store_signature, actor=actor, job=job, pdf=pdf, signed_at=signed_at))


async def _upload(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_VERIFY_BYTES + 65536:
        raise TooLarge("Tệp vượt quá {mb} MB.", mb=MAX_VERIFY_BYTES // (1024 * 1024))

    async def counted() -> Any:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > MAX_VERIFY_BYTES + 65536:
                raise TooLarge("Tệp vượt quá {mb} MB.", mb=MAX_VERIFY_BYTES // (1024 * 1024))
            yield chunk

    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await parse_form(request.headers, counted(), max_files=1, max_fields=5)
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise ValidationFailed("Hãy chọn tệp PDF (trường “file”).")
        try:
            return await file.read()
        finally:
            await form.close()
    return b"".join([chunk async for chunk in counted()])


async def verify(request: Request) -> Response:
    """Anyone holding the file may check it (no login): limited per address (uploads a minute, the worker's CPU-seconds
    a minute, one job at a time) and in size. The signatures are
    verified in the capped verify worker; then the server says whether the file is one it issued, and whether each
    block was signed by its signer (minutes/verdict.py)."""
    ctx = ctx_of(request)
    address = request.client.host if request.client else "-"
    budget = _cpu_budget(request)
    await budget.check(address, CPU_SPENT)  # counts nothing: a refused upload is not read
    await ctx.window("minutes.verify", *VERIFY_LIMIT).take(
        address, N_("Kiểm tra quá nhiều tệp; thử lại sau {seconds} giây.")
    )
    data = await _upload(request)
    if len(data) > MAX_VERIFY_BYTES:
        raise TooLarge("Tệp vượt quá {mb} MB.", mb=MAX_VERIFY_BYTES // (1024 * 1024))
    if not data:
        raise ValidationFailed("Tệp tải lên rỗng.")
    store = keystore.KeyStore.for_data_dir(ctx.settings.data_dir)
    pem = [c.public_bytes(serialization.Encoding.PEM) for c in store.trusted_roots()]  # PEM pickles, certificates not
    # Parsing an anonymous upload may cost gigabytes or minutes: a capped worker of its own pays for it, one at a time
    # and a few waiting (503 `busy` beyond), never the server nor a member's download; one job per address, whose CPU
    # time is charged to the address's budget however the job ends.
    queue = ctx.settings.verify_queue
    try:
        checked = await exports.verify(
            renderer_for(ctx),
            request,
            queue,
            verify_job.verify_upload,
            data,
            pem,
            address=address,
            charge=partial(budget.charge, address),
        )
    except exports.TOO_COMPLEX:
        raise verify_job.too_complex() from None
    found = await ctx.read(issued.find, hashes=checked.hashes())
    owners = await to_thread.run_sync(verdict.certificate_owners, store)
    answer = verdict.judge(checked, found, owners, ctx.settings.timezone)
    return ok(localize(answer, request_lang(request)))


async def verify_page(request: Request) -> Response:
    await current(request)  # the header shows who is logged in, if anyone; no login needed
    return render(request, "verify.html")


M = "/api/meetings/{meeting_id:int}"
routes = [
    Route(M + "/conclusions", list_conclusions, methods=["GET"]),
    Route(M + "/agenda/{item_id:int}/conclusion", save_conclusion, methods=["PUT"]),
    Route(M + "/agenda/{item_id:int}/conclusion/publish", publish_conclusion, methods=["POST"]),
    Route(M + "/minutes", get_draft, methods=["GET"]),
    Route(M + "/minutes/sections/{key}", edit_section, methods=["PUT"]),
    Route(M + "/minutes.pdf", get_pdf, methods=["GET"]),
    Route(M + "/minutes.docx", get_docx, methods=["GET"]),
    Route(M + "/minutes/versions", list_versions, methods=["GET"]),
    Route(M + "/minutes/finalise", finalise, methods=["POST"]),
    Route(M + "/minutes/sign", sign, methods=["POST"]),
    Route(M + "/minutes/new-version", new_version, methods=["POST"]),
    Route("/api/minutes/verify", verify, methods=["POST"]),
    Route("/meetings/{meeting_id:int}/minutes", meeting_page("minutes.html"), methods=["GET"]),
    Route("/minutes/verify", verify_page, methods=["GET"]),
]

P = M.replace(":int", "")
OPENAPI = [
    Op(
        "get",
        P + "/conclusions",
        "Dự thảo kết luận của từng nội dung (Văn phòng, chủ tọa)",
        answer=ConclusionPublic,
        many=True,
    ),
    Op(
        "put",
        P + "/agenda/{item_id}/conclusion",
        "Lưu kết luận khi đang gõ (base_revision cũ: 409 kèm nội dung mới nhất)",
        ConclusionSave,
        ConclusionPublic,
    ),
    Op(
        "post",
        P + "/agenda/{item_id}/conclusion/publish",
        "Công bố / gỡ kết luận trên màn hình phòng họp",
        ConclusionPublish,
        ConclusionPublic,
    ),
    Op(
        "get",
        P + "/minutes",
        "Dự thảo biên bản: các mục với nội dung sinh tự động, nội dung đã sửa và nội dung dùng",
        answer=MinutesDraft,
    ),
    Op(
        "put",
        P + "/minutes/sections/{key}",
        "Sửa một mục của biên bản (Văn phòng); text null: về nội dung sinh tự động",
        SectionEdit,
        SectionPublic,
    ),
    Op(
        "get",
        P + "/minutes.pdf",
        "Biên bản PDF (dự thảo, bản chốt hoặc bản đã ký; ?draft=1, ?version=n, ?download=1)",
        query=("draft", "version", "download"),
        media="application/pdf",
    ),
    Op(
        "get",
        P + "/minutes.docx",
        "Biên bản DOCX để tiếp tục biên tập trong Word",
        media="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    Op("get", P + "/minutes/versions", "Các phiên bản biên bản", answer=MinutesVersionPublic, many=True),
    Op("post", P + "/minutes/finalise", "Chốt biên bản (phiên bản mới, chờ ký)", answer=MinutesStatus),
    Op(
        "post",
        P + "/minutes/sign",
        "Ký số biên bản (thư ký, sau đó chủ tọa) bằng mật khẩu chữ ký số",
        SignRequest,
        MinutesStatus,
    ),
    Op("post", P + "/minutes/new-version", "Tạo phiên bản đính chính (mở lại dự thảo)", answer=MinutesStatus),
    Op(
        "post",
        "/api/minutes/verify",
        "Kiểm tra chữ ký số của tệp biên bản (không cần đăng nhập)",
        VerifyUpload,
        VerifyReport,
        content_type="multipart/form-data",
        public=True,
    ),
]
