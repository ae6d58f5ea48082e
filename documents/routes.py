"""/api/meetings/{id}/documents and /api/documents/{id}/* (thin: parse, call a service, answer).

Uploads stream: the multipart body is counted as it arrives and refused (413) once it passes
ECABINET_MAX_UPLOAD_MB; the file part spools to disk, never whole into memory. Page images are watermarked
per viewer, so their caching is per user only: `Cache-Control: private, no-cache` + `Vary: Cookie` + an ETag
that includes the user id and the watermark's minute (restricted documents: `private, no-store`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, read_as_user_together, require_user
from infra.context import AppContext
from web.http import ok, parse_body, query_id, query_text, validate
from web.multipart import parse_form
from web.openapi import Op
from infra.settings import Settings
from core.errors import TooLarge, UnsupportedMediaType, ValidationFailed
from core.types import clean_filename
from documents import exports, ingest, services, stamped_pages, storage, watermark, watermark_pdf
from documents import textsearch
from documents.render import SIZES, Renderer
from documents.workers import shutdown_pool
from documents.schemas import DocumentUpdate, DocumentUpload

FORM_SLACK = 64 * 1024  # room for the form fields and multipart headers beside the file


def renderer_for(ctx: AppContext) -> Renderer:
    """The application's renderer (one per app: another app in the process keeps its own)."""
    if ctx.renderer is None:
        ctx.renderer = Renderer(ctx.settings.data_dir, ctx.settings.render_workers, ctx.settings.worker_memory_mb)
    renderer: Renderer = ctx.renderer
    return renderer


def _too_large(settings: Settings) -> TooLarge:
    return TooLarge(
        "Tệp vượt quá dung lượng cho phép ({max_upload_mb} MB).",
        max_upload_mb=settings.max_upload_mb,
        details={"reason": "too_large", "max_mb": settings.max_upload_mb},
    )


async def _read_form(request: Request, settings: Settings) -> FormData:
    limit = settings.max_upload_mb * 1024 * 1024
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_SLACK:
        raise _too_large(settings)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType("Hãy gửi tài liệu dạng multipart/form-data với trường “file”.")

    async def counted() -> Any:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit + FORM_SLACK:
                raise _too_large(settings)
            yield chunk

    return await parse_form(request.headers, counted(), max_files=1, max_fields=600)


def _ids(values: list[Any]) -> list[Any]:
    """allowed_user_ids as repeated fields, "1,2,3" or a JSON array."""
    out: list[Any] = []
    for value in values:
        text = str(value).strip()
        if text.startswith("["):
            try:
                out.extend(json.loads(text))
            except (ValueError, RecursionError):  # not JSON, or nested past the parser: refused as a value
                out.append(text)
        else:
            out.extend(p.strip() for p in text.split(",") if p.strip())
    return out


def _upload_fields(form: FormData) -> DocumentUpload:
    fields: dict[str, Any] = {}
    for key in ("title", "agenda_item_id", "position", "restricted", "share_with_guests", "replaces_document_id"):
        value = form.get(key)
        if isinstance(value, str) and value.strip() != "":
            fields[key] = value
    if form.getlist("allowed_user_ids"):
        fields["allowed_user_ids"] = _ids(form.getlist("allowed_user_ids"))
    unknown = set(form.keys()) - set(DocumentUpload.model_fields) - {"file"}
    for key in unknown:
        fields[key] = form.get(key)  # refused by the schema, with the field named
    return validate(DocumentUpload, fields)


async def upload(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    settings = ctx.settings
    meeting_id = request.path_params["meeting_id"]
    await ctx.read(services.authorize_upload, actor=actor, meeting_id=meeting_id)
    form = await _read_form(request, settings)
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ValidationFailed("Chưa chọn tệp tài liệu (trường “file”).", details={"reason": "no_file"})
        data = _upload_fields(form)
        if (file.size or 0) > settings.max_upload_mb * 1024 * 1024:
            raise _too_large(settings)
        tmp = storage.new_tmp_path(settings.data_dir)
        await to_thread.run_sync(_spill, file, tmp)
    finally:
        await form.close()
    renderer = renderer_for(ctx)
    stored, created = await ingest.prepare(
        upload=tmp,
        filename=clean_filename(file.filename, "tai-lieu.pdf"),
        data_dir=settings.data_dir,
        renderer=renderer,
        soffice=settings.soffice,
        max_pages=settings.max_document_pages,
        max_upload_mb=settings.max_upload_mb,
        sandboxed=settings.soffice_sandbox,
    )
    try:
        result = await ctx.write(
            services.add_document,
            actor=actor,
            meeting_id=meeting_id,
            data=data,
            stored=stored,
            data_dir=settings.data_dir,
        )
    except BaseException:
        if created:
            await _drop_unused(request, [stored.sha256])
        raise
    # Its pages render after commit: an outbox job of add_document (documents/hooks.py). The answer says what
    # CDR took out, for the uploader to know.
    return ok({**result, "removed_content": stored.removed}, 201)


def _spill(file: UploadFile, target: Path) -> None:
    file.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)


async def _drop_unused(request: Request, shas: list[str]) -> None:
    ctx = ctx_of(request)
    for sha in await ctx.read(services.unreferenced, shas=shas):
        renderer_for(ctx).stop_background(sha)  # no CPU spent on pages nobody can open any more
        stamped_pages.PAGES.forget(sha)  # nor memory
        await to_thread.run_sync(storage.delete, ctx.settings.data_dir, sha)


async def list_documents(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    meeting_id = request.path_params["meeting_id"]
    return ok(
        await ctx.read(services.list_documents, actor=actor, meeting_id=meeting_id, data_dir=ctx.settings.data_dir)
    )


async def get_document(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    doc_id = request.path_params["document_id"]
    return ok(await ctx.read(services.get_document, actor=actor, document_id=doc_id, data_dir=ctx.settings.data_dir))


async def update_document(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    data = await parse_body(request, DocumentUpdate)
    doc_id = request.path_params["document_id"]
    return ok(
        await ctx.write(
            services.update_document, actor=actor, document_id=doc_id, data=data, data_dir=ctx.settings.data_dir
        )
    )


async def delete_document(request: Request) -> Response:
    actor = await require_user(request)
    orphans = await ctx_of(request).write(
        services.delete_document, actor=actor, document_id=request.path_params["document_id"]
    )
    await _drop_unused(request, orphans)
    return ok(None, 204)


def _version(request: Request) -> int | None:
    return query_id(request, "version")


async def page_image(request: Request) -> Response:
    ctx = ctx_of(request)
    size = request.query_params.get("size", "tablet")
    try:
        if size not in SIZES:
            raise ValidationFailed("Kích thước ảnh trang phải là một trong: {sizes}.", sizes=", ".join(SIZES))
        version = _version(request)
    except ValidationFailed:
        await require_user(request)  # who is not logged in hears that first
        raise
    n = request.path_params["page"]
    actor, src = await read_as_user_together(  # the tablets that ask together: one transaction for them all
        request,
        services.page_source,
        document_id=request.path_params["document_id"],
        page=n,
        version=version,
        timezone=ctx.settings.timezone,
    )
    tag = hashlib.sha256(f"{src.viewer.user_id}|{src.sha256}|{size}|{n}|{src.viewer.line}".encode()).hexdigest()[:32]
    headers = {
        "ETag": f'"{tag}"',
        "Cache-Control": "private, no-store" if src.viewer.restricted else "private, no-cache",
        "Vary": "Cookie",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == headers["ETag"] and not src.viewer.restricted:
        return Response(status_code=304, headers=headers)
    renderer, pdf = renderer_for(ctx), storage.blob_path(ctx.settings.data_dir, src.sha256)
    base = await renderer.ensure(pdf, src.sha256, size, n)
    try:
        body = await stamped_pages.PAGES.get(base, page_key(src, size, n), src.viewer)
    except FileNotFoundError:  # evicted from the page cache meanwhile (documents/page_cache.py): rendered again
        base = await renderer.ensure(pdf, src.sha256, size, n)
        body = await stamped_pages.PAGES.get(base, page_key(src, size, n), src.viewer)
    prewarm = getattr(request.app.state, "prewarm", None)
    if prewarm is not None and size == "tablet":  # the reader's next page, stamped while they read this one
        prewarm.read_ahead(actor, src.document_id, src.version, n + 1, src.page_count)
    return Response(body, media_type=watermark.MEDIA_TYPE, headers=headers)


def page_key(src: services.FileSource, size: str, n: int) -> tuple[object, ...]:
    """Everything a watermarked page's bytes depend on (documents/stamped_pages.py)."""
    return (src.viewer.user_id, src.sha256, size, n, src.viewer.line, src.viewer.name, src.viewer.stamp)


async def download(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    doc_id = request.path_params["document_id"]
    src = await ctx.read(
        services.download_source,
        actor=actor,
        document_id=doc_id,
        version=_version(request),
        timezone=ctx.settings.timezone,
    )
    path = storage.blob_path(ctx.settings.data_dir, src.sha256)
    # In an export worker, under its memory cap: the stored file is read whole (documents/exports.py).
    # At most ECABINET_EXPORTS_PER_USER at a time per user; never started if the client left while it waited.
    caller = exports.member(request, actor.id, ctx.settings)
    copy = await exports.make(
        renderer_for(ctx), ctx.settings.max_upload_mb, path, watermark_pdf.stamp_pdf, src.viewer, caller=caller
    )
    return exports.pdf_response(copy, f"tai-lieu-{doc_id}-v{src.version}.pdf")


async def search_text(request: Request) -> Response:
    actor = await require_user(request)
    q = query_text(request, "q", max_length=200)
    # One search per user at a time: a newer one stops the older (documents/textsearch.py).
    gate = getattr(request.app.state, "doc_search_gate", None)
    if gate is None:
        gate = request.app.state.doc_search_gate = textsearch.SearchGate()
    async with gate.turn(actor.id or 0) as cancelled:
        found = await ctx_of(request).read(
            services.search_text,
            actor=actor,
            document_id=request.path_params["document_id"],
            q=q,
            version=_version(request),
            cancelled=cancelled,
        )
    return ok(found)


D = "/api/documents/{document_id:int}"
routes = [
    Route("/api/meetings/{meeting_id:int}/documents", list_documents, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/documents", upload, methods=["POST"]),
    Route(D, get_document, methods=["GET"]),
    Route(D, update_document, methods=["PATCH"]),
    Route(D, delete_document, methods=["DELETE"]),
    Route(D + "/pages/{page:int}", page_image, methods=["GET"]),
    Route(D + "/text", search_text, methods=["GET"]),
    Route(D + "/download", download, methods=["GET"]),
]

P = "/api/documents/{document_id}"
OPENAPI = [
    Op("get", "/api/meetings/{meeting_id}/documents", "Tài liệu của cuộc họp mà người xem được phép xem"),
    Op(
        "post",
        "/api/meetings/{meeting_id}/documents",
        "Tải lên tài liệu hoặc phiên bản mới (multipart: file + các trường)",
        DocumentUpload,
        content_type="multipart/form-data",
        status=201,
    ),
    Op("get", P, "Thông tin tài liệu, các phiên bản, trang đã sẵn sàng"),
    Op("patch", P, "Sửa tên, thứ tự, nội dung họp, quyền xem (Văn phòng)", DocumentUpdate),
    Op("delete", P, "Xóa tài liệu cùng mọi phiên bản (Văn phòng)"),
    Op(
        "get",
        P + "/pages/{page}",
        "Ảnh trang (đóng dấu người xem); ?size=tablet|zoom|thumb&version=",
        query=("size", "version"),
        media=watermark.MEDIA_TYPE,
    ),
    Op("get", P + "/text", "Tìm trong tài liệu, không phân biệt dấu; ?q=&version=", query=("q", "version")),
    Op(
        "get",
        P + "/download",
        "Tải về PDF có dấu người xem (không áp dụng cho tài liệu hạn chế)",
        query=("version",),
        media="application/pdf",
    ),
]


async def close_renderer(ctx: AppContext) -> None:
    """Server shutdown: cancel the app's background renders and stop the render worker processes."""
    if ctx.renderer is not None:
        await ctx.renderer.aclose()
        ctx.renderer = None
    shutdown_pool()
