"""/api/documents/{id}/annotations, /api/annotations/{id}, the annotated PDF and the presenter state (thin).

A private annotation changed over REST is also pushed to the author's open sockets (room user:<id>), so
their other tablets follow; nobody else's sockets are in that room.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from annotations import presenter, services
from annotations.pdf import annotated_pdf
from annotations.schemas import AnnotationCreate, AnnotationPublic, AnnotationUpdate
from web.auth import ctx_of, require_user
from web.http import ok, parse_body, query_id
from web.openapi import Op
from documents import exports, storage
from documents.routes import renderer_for


async def list_annotations(request: Request) -> Response:
    actor = await require_user(request)
    return ok(
        await ctx_of(request).read(
            services.list_annotations,
            actor=actor,
            document_id=request.path_params["document_id"],
            version=query_id(request, "version"),
            page=query_id(request, "page"),
        )
    )


async def create_annotation(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, AnnotationCreate)
    result = await ctx_of(request).write(
        services.create_annotation, actor=actor, document_id=request.path_params["document_id"], data=data
    )
    return ok(result, 201)  # the author's other tablets are told by the service's outbox job (annotations/live.py)


async def update_annotation(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, AnnotationUpdate)
    result = await ctx_of(request).write(
        services.update_annotation, actor=actor, annotation_id=request.path_params["annotation_id"], data=data
    )
    return ok(result)


async def delete_annotation(request: Request) -> Response:
    actor = await require_user(request)
    await ctx_of(request).write(
        services.delete_annotation, actor=actor, annotation_id=request.path_params["annotation_id"]
    )
    return ok(None, 204)


async def annotated(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    doc_id = request.path_params["document_id"]
    src = await ctx.read(
        services.annotated_source,
        actor=actor,
        document_id=doc_id,
        version=query_id(request, "version"),
        timezone=ctx.settings.timezone,
    )
    path = storage.blob_path(ctx.settings.data_dir, src.file.sha256)
    # In an export worker, under its memory cap: the stored file is read whole (documents/exports.py).
    caller = exports.member(request, actor.id, ctx.settings)  # a share of the export workers, as for the download
    limit = ctx.settings.max_upload_mb
    copy = await exports.make(
        renderer_for(ctx), limit, path, annotated_pdf, src.file.viewer, src.annotations, caller=caller
    )
    return exports.pdf_response(copy, f"tai-lieu-{doc_id}-v{src.file.version}-ghi-chu.pdf")


async def presenter_status(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(presenter.status, actor=actor, meeting_id=request.path_params["meeting_id"]))


D = "/api/documents/{document_id:int}"
A = "/api/annotations/{annotation_id:int}"
routes = [
    Route(D + "/annotations", list_annotations, methods=["GET"]),
    Route(D + "/annotations", create_annotation, methods=["POST"]),
    Route(A, update_annotation, methods=["PATCH"]),
    Route(A, delete_annotation, methods=["DELETE"]),
    Route(D + "/annotated.pdf", annotated, methods=["GET"]),
    Route("/api/meetings/{meeting_id:int}/presenter", presenter_status, methods=["GET"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/documents/{document_id}/annotations",
        "Ghi chú của chính người xem và nét vẽ trình chiếu trên tài liệu; ?version=&page=",
        answer=AnnotationPublic,
        many=True,
        query=("version", "page"),
    ),
    Op(
        "post",
        "/api/documents/{document_id}/annotations",
        "Thêm ghi chú riêng (nét bút, tô sáng, ghi chú chữ; tọa độ 0..1 theo trang); shared=true: nét vẽ trình chiếu",
        AnnotationCreate,
        AnnotationPublic,
        status=201,
    ),
    Op("patch", "/api/annotations/{annotation_id}", "Sửa ghi chú của chính mình", AnnotationUpdate, AnnotationPublic),
    Op("delete", "/api/annotations/{annotation_id}", "Xóa ghi chú của chính mình"),
    Op(
        "get",
        "/api/documents/{document_id}/annotated.pdf",
        "Tải bản PDF có ghi chú của chính mình (không áp dụng cho tài liệu hạn chế); ?version=",
        query=("version",),
        media="application/pdf",
    ),
    Op("get", "/api/meetings/{meeting_id}/presenter", "Trạng thái trình chiếu và quyền trình chiếu của người xem"),
]
