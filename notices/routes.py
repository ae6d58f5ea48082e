"""/api/notices*, /api/tasks* and the pages /notices/dashboard and /notices/{id} (thin: parse, call a service,
answer). Rendering and signing run in worker threads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body, parse_query
from web.openapi import Op
from web.pages import page_actor, to_login, refused, render
from web.security_headers import SAME_ORIGIN_FRAME
from core.clock import utcnow
from core.errors import DomainError
from minutes import signing
from minutes.counted import sign_counted
from notices import issuing, pdf, services, tasks
from notices.schemas import (
    Dashboard,
    NoticeCreate,
    NoticePublic,
    NoticeUpdate,
    ReportPublic,
    SignNotice,
    TaskCreate,
    TaskExtend,
    TaskPublic,
    TaskReassign,
    TaskQuery,
    TaskReportCreate,
    TaskUpdate,
)


def _tz(request: Request) -> str:
    return ctx_of(request).settings.timezone


def _nid(request: Request) -> int:
    notice_id: int = request.path_params["notice_id"]
    return notice_id


async def list_notices(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.list_notices, actor=actor, tz=_tz(request)))


async def create_notice(request: Request) -> Response:
    actor = await require_user(request)
    body = await parse_body(request, NoticeCreate)
    return ok(
        await ctx_of(request).write(services.create_notice, actor=actor, meeting_id=body.meeting_id, tz=_tz(request)),
        201,
    )


async def get_notice(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.get_notice, actor=actor, notice_id=_nid(request), tz=_tz(request)))


def _writer(
    fn: Callable[..., Any], body: type[Any] | None = None, *, ids: tuple[str, ...] = ("notice_id",), status: int = 200
) -> Callable[[Request], Awaitable[Response]]:
    """A route that writes `fn` as the caller: the path's `ids` and every field of `body` passed by name."""

    async def endpoint(request: Request) -> Response:
        actor = await require_user(request)
        kwargs: dict[str, Any] = {name: request.path_params[name] for name in ids}
        if body is not None:
            data = await parse_body(request, body)
            kwargs.update({name: getattr(data, name) for name in body.model_fields})
        return ok(await ctx_of(request).write(fn, actor=actor, tz=_tz(request), **kwargs), status)

    return endpoint


async def get_pdf(request: Request) -> Response:
    actor = await require_user(request)
    out = await ctx_of(request).read(issuing.get_pdf, actor=actor, notice_id=_nid(request), tz=_tz(request))
    disposition = "attachment" if request.query_params.get("download") == "1" else "inline"
    return Response(
        out.data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'{disposition}; filename="{out.filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            **(SAME_ORIGIN_FRAME if disposition == "inline" else {}),
        },
    )


async def sign(request: Request) -> Response:
    """Read what to sign, sign it as the minutes are signed (wrong passwords counted), store it if nothing moved."""
    actor = await require_user(request)
    body = await parse_body(request, SignNotice)
    ctx = ctx_of(request)
    job = await ctx.read(issuing.prepare_signature, actor=actor, notice_id=_nid(request), tz=_tz(request))
    signed_at = utcnow().replace(microsecond=0)
    signed = await sign_counted(
        ctx,
        actor.id,
        partial(
            signing.sign_pdf,
            job.pdf,
            user_id=job.username,
            password=body.password,
            field_name=pdf.FIELD,
            reason=issuing.SIGN_REASON,
            location="Hà Nội",
            signer_name=job.full_name,
            signed_at=signed_at,
            tz=ctx.settings.timezone,
            stamp_name="",  # the name is printed below the field, the signature lines above it (NĐ 30: once)
            signer_title="",
        ),
    )
    return ok(
        await ctx.write(
            issuing.store_signature,
            actor=actor,
            job=job,
            pdf_bytes=signed,
            signed_at=signed_at,
            tz=ctx.settings.timezone,
        )
    )


async def list_tasks(request: Request) -> Response:
    actor = await require_user(request)
    q = parse_query(request, TaskQuery)
    return ok(await ctx_of(request).read(tasks.list_tasks, actor=actor, state=q.state, tz=_tz(request)))


async def reports(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(tasks.task_reports, actor=actor, task_id=request.path_params["task_id"]))


async def dashboard(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(tasks.dashboard, actor=actor, tz=_tz(request)))


async def dashboard_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    try:
        data = await ctx_of(request).read(tasks.dashboard, actor=actor, tz=_tz(request))
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "notices_dashboard.html", data=data)


async def notice_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    try:
        notice = await ctx_of(request).read(services.get_notice, actor=actor, notice_id=_nid(request), tz=_tz(request))
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "notice.html", notice=notice)


N = "/api/notices/{notice_id:int}"
routes = [
    Route("/api/notices", list_notices, methods=["GET"]),
    Route("/api/notices", create_notice, methods=["POST"]),
    Route(N, get_notice, methods=["GET"]),
    Route(N, _writer(services.update_notice, NoticeUpdate), methods=["PATCH"]),
    Route(N + "/tasks", _writer(services.add_task, TaskCreate, status=201), methods=["POST"]),
    Route(
        N + "/tasks/{task_id:int}",
        _writer(services.update_task, TaskUpdate, ids=("notice_id", "task_id")),
        methods=["PATCH"],
    ),
    Route(N + "/tasks/{task_id:int}", _writer(services.delete_task, ids=("notice_id", "task_id")), methods=["DELETE"]),
    Route(N + "/submit", _writer(services.submit), methods=["POST"]),
    Route(N + "/return", _writer(services.return_to_draft), methods=["POST"]),
    Route(N + "/approve", _writer(issuing.approve), methods=["POST"]),
    Route(N + "/sign", sign, methods=["POST"]),
    Route(N + "/pdf", get_pdf, methods=["GET"]),
    Route("/api/tasks", list_tasks, methods=["GET"]),
    Route("/api/tasks/dashboard", dashboard, methods=["GET"]),
    Route("/api/tasks/{task_id:int}/reports", reports, methods=["GET"]),
    Route(
        "/api/tasks/{task_id:int}/reports",
        _writer(tasks.report, TaskReportCreate, ids=("task_id",), status=201),
        methods=["POST"],
    ),
    Route(
        "/api/tasks/{task_id:int}/extend", _writer(tasks.extend_task, TaskExtend, ids=("task_id",)), methods=["POST"]
    ),
    Route(
        "/api/tasks/{task_id:int}/reassign",
        _writer(tasks.reassign_task, TaskReassign, ids=("task_id",)),
        methods=["POST"],
    ),
    Route("/notices/dashboard", dashboard_page, methods=["GET"]),
    Route("/notices/{notice_id:int}", notice_page, methods=["GET"]),
]

P = N.replace(":int", "")
OPENAPI = [
    Op("get", "/api/notices", "Các thông báo kết luận được xem", answer=NoticePublic, many=True),
    Op(
        "post",
        "/api/notices",
        "Soạn thông báo kết luận từ kết luận của cuộc họp đã kết thúc (Văn phòng)",
        NoticeCreate,
        NoticePublic,
        status=201,
    ),
    Op("get", P, "Một thông báo kết luận: kết luận, nhiệm vụ, hạn ban hành (5 ngày làm việc)", answer=NoticePublic),
    Op("patch", P, "Sửa dự thảo thông báo (Văn phòng)", NoticeUpdate, NoticePublic),
    Op(
        "post",
        P + "/tasks",
        "Giao nhiệm vụ: cơ quan, nội dung, thời hạn (Văn phòng)",
        TaskCreate,
        TaskPublic,
        status=201,
    ),
    Op("patch", P + "/tasks/{task_id}", "Sửa nhiệm vụ khi thông báo là dự thảo (Văn phòng)", TaskUpdate, TaskPublic),
    Op("delete", P + "/tasks/{task_id}", "Xóa nhiệm vụ khi thông báo còn là dự thảo (Văn phòng)", answer=NoticePublic),
    Op("post", P + "/submit", "Trình người chủ trì duyệt (Văn phòng)", answer=NoticePublic),
    Op("post", P + "/return", "Trả lại Văn phòng để sửa, kể cả đã duyệt chưa ký (người chủ trì)", answer=NoticePublic),
    Op("post", P + "/approve", "Duyệt: cấp số từ sổ đăng ký và chốt tệp PDF (người chủ trì)", answer=NoticePublic),
    Op("post", P + "/sign", "Ký số và ban hành (người chủ trì)", SignNotice, NoticePublic),
    Op(
        "get",
        P + "/pdf",
        "Thông báo kết luận PDF (bản đã ký khi đã ban hành)",
        query=("download",),
        media="application/pdf",
    ),
    Op(
        "get",
        "/api/tasks",
        "Nhiệm vụ được theo dõi; ?state=open|done|late|overdue|done_late",
        answer=TaskPublic,
        many=True,
        query=("state",),
    ),
    Op(
        "get",
        "/api/tasks/dashboard",
        "Bảng theo dõi: thông báo chưa ban hành, nhiệm vụ đang mở, sắp đến hạn, quá hạn",
        answer=Dashboard,
    ),
    Op("get", "/api/tasks/{task_id}/reports", "Các báo cáo tiến độ của một nhiệm vụ", answer=ReportPublic, many=True),
    Op(
        "post",
        "/api/tasks/{task_id}/extend",
        "Gia hạn nhiệm vụ của thông báo đã ban hành, có lý do (Văn phòng)",
        TaskExtend,
        TaskPublic,
    ),
    Op(
        "post",
        "/api/tasks/{task_id}/reassign",
        "Giao lại nhiệm vụ cho cơ quan khác, có lý do (Văn phòng)",
        TaskReassign,
        TaskPublic,
    ),
    Op(
        "post",
        "/api/tasks/{task_id}/reports",
        "Báo cáo tiến độ (cán bộ của cơ quan được giao)",
        TaskReportCreate,
        TaskPublic,
        status=201,
    ),
]
