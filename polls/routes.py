"""/api/polls (thin: parse, call a service, answer). Names and payloads fixed by issue 12."""

from __future__ import annotations

import os
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.requests import Request
from starlette.responses import Response
from starlette.datastructures import UploadFile
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body, validate
from web.openapi import Op
from core.clock import utcnow
from core.errors import Conflict, ValidationFailed
from core.types import clean_filename
from documents import ingest, storage, watermark
from documents.render import SIZES
from documents.routes import _ids, _read_form, _spill, _too_large, renderer_for
from polls import answering, numbering, reporting, services, signing, views
from polls.pdf import REPORT_FIELD, render_report, sheet_pdf
from polls.schemas import (
    AnswersIn,
    DecideIn,
    DocumentOut,
    ExtendIn,
    PollCreate,
    PollDocumentUpload,
    PollOut,
    ReportSignIn,
    RulesIn,
    RulesOut,
    WithdrawIn,
)


def _pid(request: Request) -> int:
    return int(request.path_params["poll_id"])


def _tz(request: Request) -> str:
    return ctx_of(request).settings.timezone


def _pdf(data: bytes, name: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store", **(headers or {})},
    )


async def list_polls(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(views.list_polls, actor=actor))


async def create_poll(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, PollCreate)
    return ok(await ctx_of(request).write(services.create_poll, actor=actor, data=data), 201)


async def get_poll(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(reporting.read_poll, actor=actor, poll_id=_pid(request), tz=_tz(request)))


async def submit(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.submit_poll, actor=actor, poll_id=_pid(request)))


async def approve(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).write(services.approve_poll, actor=actor, poll_id=_pid(request), tz=_tz(request)))


async def extend(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, ExtendIn)
    return ok(
        await ctx_of(request).write(
            services.extend_poll, actor=actor, poll_id=_pid(request), data=data, tz=_tz(request)
        )
    )


async def withdraw(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, WithdrawIn)
    return ok(await ctx_of(request).write(services.withdraw_poll, actor=actor, poll_id=_pid(request), data=data))


async def answer(request: Request) -> Response:
    """With a password, the voter's whole sheet as it will be is rendered and signed first (no transaction
    open), then stored with the answers if nothing changed in between."""
    actor = await require_user(request)
    data = await parse_body(request, AnswersIn)
    ctx, pid = ctx_of(request), _pid(request)
    kwargs: dict[str, Any] = {}
    if data.password is not None:
        sheet = await ctx.read(answering.sheet_to_sign, actor=actor, poll_id=pid, data=data)
        at = utcnow().replace(microsecond=0)
        pdf = await to_thread.run_sync(partial(sheet_pdf, sheet=sheet, created=at, tz=ctx.settings.timezone))
        signed = await signing.sign(
            ctx,
            actor,
            pdf,
            password=data.password,
            field_name="ThanhVien",
            reason="Trả lời phiếu lấy ý kiến",
            title=sheet["user_title"],
            signed_at=at,
        )
        kwargs = {
            "signed_sheet": await to_thread.run_sync(signing.keep, ctx.settings.data_dir, signed),
            "signed_digest": sheet["digest"],
        }
    return ok(await ctx.write(answering.answer, actor=actor, poll_id=pid, data=data, **kwargs))


async def sheet(request: Request) -> Response:
    """A voter's signed sheet: the voter, the chair and the secretariat."""
    actor = await require_user(request)
    ctx, pid, uid = ctx_of(request), _pid(request), int(request.path_params["user_id"])
    found = await ctx.read(answering.signed_sheet, actor=actor, poll_id=pid, user_id=uid)
    return _pdf(await to_thread.run_sync(signing.read, ctx.settings.data_dir, found), f"phieu-{pid}-{uid}.pdf")


async def report(request: Request) -> Response:
    """The summary report: the signed one once signed by the Government Office, else rendered now as this reader is
    shown it (a designated signer: with his own signature lines). `?digest=`: the report the page showed; one that
    reads otherwise now is refused (409), so what a signer opens is what his page will sign. Headers:
    X-Report-Digest (its content's digest), X-Report-SHA256 (the signed file's)."""
    actor = await require_user(request)
    ctx, pid = ctx_of(request), _pid(request)
    view = await _report_view(ctx, actor, pid)
    shown = request.query_params.get("digest")
    if shown is not None and shown != view["digest"]:
        raise Conflict(
            "Báo cáo tổng hợp đã thay đổi so với trang đồng chí đang xem; hãy tải lại trang.",
            details={"poll_id": pid},
        )
    headers = {"X-Report-Digest": view["digest"] or ""}
    if view["signed"]:
        data = await to_thread.run_sync(signing.read, ctx.settings.data_dir, view["signed"])
        headers["X-Report-SHA256"] = view["signed"]
    else:
        data = await to_thread.run_sync(_render_report, pid, view["digest"], view["content"], ctx.settings.data_dir)
    return _pdf(data, f"bao-cao-tong-hop-y-kien-{pid}.pdf", headers)


async def _report_view(ctx: Any, actor: Any, pid: int) -> dict[str, Any]:
    """What the report shows this reader, with its number (a poll closed before the register is given one now)."""
    tz = ctx.settings.timezone
    view: dict[str, Any] = await ctx.read(reporting.report_view, actor=actor, poll_id=pid, tz=tz)
    if view["number"] is None and not view["signed"]:
        await ctx.write(numbering.ensure_number, actor=actor, poll_id=pid, tz=tz)
        view = await ctx.read(reporting.report_view, actor=actor, poll_id=pid, tz=tz)
    return view


def _render_report(poll_id: int, digest: str, content: dict[str, Any], data_dir: Path) -> bytes:
    """The unsigned report: the same bytes for the same content (polls/pdf.py renders only `content`, dated by the
    closing), so it is rendered once per content digest (seconds for 500 voters) and kept: a change of anything it
    shows (a name, the signer, the number) is another digest, another file."""
    cache = data_dir / "polls" / f"report-{poll_id}-{digest}.pdf"
    if cache.exists():
        return cache.read_bytes()
    data = render_report(content)
    cache.parent.mkdir(parents=True, exist_ok=True)
    part = cache.with_suffix(f".{uuid.uuid4().hex}.part")
    part.write_bytes(data)
    os.replace(part, cache)
    return data


async def sign_report(request: Request) -> Response:
    """The Government Office's head (or a Vice Chairman on his behalf) signs the report he was shown: read it (a
    digest other than the one he was shown: 409), render and sign it outside any transaction (wrong passwords
    counted), keep it if nothing moved: the poll waits for the chair's decision (reported)."""
    actor = await require_user(request)
    body = await parse_body(request, ReportSignIn)
    ctx, pid, tz = ctx_of(request), _pid(request), _tz(request)
    await _report_view(ctx, actor, pid)  # the number, if the poll closed before the register
    job = await ctx.read(reporting.report_to_sign, actor=actor, poll_id=pid, shown=body.report_digest, tz=tz)
    pdf = await to_thread.run_sync(_render_report, pid, job["digest"], job["content"], ctx.settings.data_dir)
    signed = await signing.sign(
        ctx,
        actor,
        pdf,
        password=body.password,
        field_name=REPORT_FIELD,
        reason="Ký báo cáo tổng hợp ý kiến thành viên Chính phủ",
        title=job["title"],
        signed_at=utcnow().replace(microsecond=0),
    )
    sha = await to_thread.run_sync(signing.keep, ctx.settings.data_dir, signed)
    return ok(
        await ctx.write(
            reporting.store_report, actor=actor, poll_id=pid, report_sha256=sha, digest=job["digest"], tz=tz
        )
    )


async def decide(request: Request) -> Response:
    """The chair decides on the signed report he was shown (its SHA-256), confirming with his signing password
    (counted like a signature's, checked outside any transaction)."""
    actor = await require_user(request)
    body = await parse_body(request, DecideIn)
    ctx, pid = ctx_of(request), _pid(request)
    username = await ctx.read(reporting.decision_check, actor=actor, poll_id=pid, report_sha256=body.report_sha256)
    await signing.confirm(ctx, actor.id, username, body.password)
    return ok(
        await ctx.write(reporting.decide, actor=actor, poll_id=pid, report_sha256=body.report_sha256, note=body.note)
    )


async def add_document(request: Request) -> Response:
    """A document for the poll, through the meeting documents' intake (conversion, CDR, page limit, store)."""
    actor = await require_user(request)
    ctx, pid = ctx_of(request), _pid(request)
    settings = ctx.settings
    await ctx.read(services.authorize_documents, actor=actor, poll_id=pid)
    form = await _read_form(request, settings)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ValidationFailed("Chưa chọn tệp tài liệu (trường “file”).", details={"reason": "no_file"})
        fields: dict[str, Any] = {
            k: form.get(k) for k in ("title", "restricted") if isinstance(form.get(k), str) and str(form.get(k)).strip()
        }
        if form.getlist("allowed_user_ids"):
            fields["allowed_user_ids"] = _ids(form.getlist("allowed_user_ids"))
        fields.update(
            {k: form.get(k) for k in set(form.keys()) - set(PollDocumentUpload.model_fields) - {"file"}}
        )  # refused, named
        data = validate(PollDocumentUpload, fields)
        if (file.size or 0) > settings.max_upload_mb * 1024 * 1024:
            raise _too_large(settings)
        tmp = storage.new_tmp_path(settings.data_dir)
        await to_thread.run_sync(_spill, file, tmp)
        name = clean_filename(file.filename, "tai-lieu.pdf")
    finally:
        await form.close()
    stored, _created = await ingest.prepare(
        upload=tmp,
        filename=name,
        data_dir=settings.data_dir,
        renderer=renderer_for(ctx),
        soffice=settings.soffice,
        max_pages=settings.max_document_pages,
        max_upload_mb=settings.max_upload_mb,
        sandboxed=settings.soffice_sandbox,
    )
    result = await ctx.write(
        services.add_document,
        actor=actor,
        poll_id=pid,
        title=data.title,
        restricted=data.restricted,
        allowed_user_ids=list(data.allowed_user_ids),
        sha256=stored.sha256,
        page_count=stored.page_count,
    )
    return ok(result, 201)


async def document_page(request: Request) -> Response:
    """One page of a poll document as a watermarked image (the reader's name, unit and the time)."""
    actor = await require_user(request)
    ctx, p = ctx_of(request), request.path_params
    size = request.query_params.get("size", "tablet")
    if size not in SIZES:
        raise ValidationFailed(
            "Kích thước ảnh trang không hợp lệ.", details=[{"field": "query.size", "message": "tablet | zoom | thumb"}]
        )
    sha, viewer = await ctx.read(
        services.document_page,
        actor=actor,
        poll_id=int(p["poll_id"]),
        document_id=int(p["document_id"]),
        page=int(p["page"]),
        timezone=ctx.settings.timezone,
    )
    base = await renderer_for(ctx).ensure(storage.blob_path(ctx.settings.data_dir, sha), sha, size, int(p["page"]))
    body = await to_thread.run_sync(watermark.stamp_image, base, viewer)
    return Response(
        body, media_type=watermark.MEDIA_TYPE, headers={"Cache-Control": "private, no-store", "Vary": "Cookie"}
    )


async def get_rules(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.read_rules, actor=actor))


async def set_rules(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, RulesIn)
    return ok(await ctx_of(request).write(services.set_rules, actor=actor, data=data))


P = "/api/polls/{poll_id:int}"
routes = [
    Route("/api/polls", list_polls, methods=["GET"]),
    Route("/api/polls", create_poll, methods=["POST"]),
    Route(P, get_poll, methods=["GET"]),
    Route(P + "/submit", submit, methods=["POST"]),
    Route(P + "/approve", approve, methods=["POST"]),
    Route(P + "/answers", answer, methods=["POST"]),
    Route(P + "/extend", extend, methods=["POST"]),
    Route(P + "/withdraw", withdraw, methods=["POST"]),
    Route(P + "/sheets/{user_id:int}", sheet, methods=["GET"]),
    Route(P + "/report", report, methods=["GET"]),
    Route(P + "/report/sign", sign_report, methods=["POST"]),
    Route(P + "/decide", decide, methods=["POST"]),
    Route(P + "/documents", add_document, methods=["POST"]),
    Route(P + "/documents/{document_id:int}/pages/{page:int}", document_page, methods=["GET"]),
    Route("/api/poll-rules", get_rules, methods=["GET"]),
    Route("/api/poll-rules", set_rules, methods=["PUT"]),
]

Q = "/api/polls/{poll_id}"
OPENAPI = [
    Op("get", "/api/polls", "Các phiếu lấy ý kiến được xem", answer=PollOut, many=True),
    Op("post", "/api/polls", "Soạn phiếu lấy ý kiến (Văn phòng)", body=PollCreate, answer=PollOut, status=201),
    Op("get", Q, "Một phiếu lấy ý kiến (kết quả chỉ khi đã hết hạn)", answer=PollOut),
    Op("post", Q + "/submit", "Trình Chủ trì duyệt (Văn phòng)", answer=PollOut),
    Op("post", Q + "/approve", "Chủ trì duyệt và gửi phiếu", answer=PollOut),
    Op(
        "post",
        Q + "/answers",
        "Trả lời (hoặc thay câu trả lời) đến hạn; có mật khẩu: ký số",
        body=AnswersIn,
        answer=PollOut,
    ),
    Op("post", Q + "/extend", "Gia hạn, có lý do (Văn phòng, Chủ trì)", body=ExtendIn, answer=PollOut),
    Op("post", Q + "/withdraw", "Rút phiếu trước khi hết hạn, có lý do (Văn phòng)", body=WithdrawIn, answer=PollOut),
    Op("get", Q + "/sheets/{user_id}", "Phiếu trả lời đã ký số của một thành viên", media="application/pdf"),
    Op("get", Q + "/report", "Báo cáo tổng hợp ý kiến (PDF)", query=("digest",), media="application/pdf"),
    Op(
        "post",
        Q + "/report/sign",
        "Văn phòng Chính phủ (Bộ trưởng, Chủ nhiệm hoặc Phó Chủ nhiệm ký thay) ký báo cáo tổng hợp ý kiến",
        body=ReportSignIn,
        answer=PollOut,
    ),
    Op("post", Q + "/decide", "Chủ trì quyết định trên báo cáo tổng hợp đã ký", body=DecideIn, answer=PollOut),
    Op(
        "post",
        Q + "/documents",
        "Thêm tài liệu cho phiếu (Văn phòng; như tài liệu cuộc họp)",
        body=PollDocumentUpload,
        answer=DocumentOut,
        status=201,
        content_type="multipart/form-data",
    ),
    Op(
        "get",
        Q + "/documents/{document_id}/pages/{page}",
        "Một trang tài liệu của phiếu (ảnh có dấu người xem)",
        query=("size",),
        media="image/png",
    ),
    Op("get", "/api/poll-rules", "Quy định mặc định về lấy ý kiến", answer=RulesOut),
    Op("put", "/api/poll-rules", "Sửa quy định lấy ý kiến (quản trị)", body=RulesIn, answer=RulesOut),
]
