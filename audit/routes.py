"""/api/audit (admin): list the log, verify the chain; /audit: the admin's page for both."""

from __future__ import annotations

from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # SQLModel's own config type (a pydantic ConfigDict with `table`)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_query
from web.i18n import request_lang
from core.types import FormId, FormInt
from web.openapi import Op
from web.pages import signed_in_page
from audit import services


class AuditQuery(SQLModel):
    model_config = SQLModelConfig(extra="forbid")
    limit: FormInt(1, 1000) = 100  # type: ignore[valid-type]
    before_id: FormId | None = None


async def list_entries(request: Request) -> Response:
    actor = await require_user(request)
    q = parse_query(request, AuditQuery)
    return ok(
        await ctx_of(request).read(
            services.list_entries, actor=actor, limit=q.limit, before_id=q.before_id, lang=request_lang(request)
        )
    )


async def verify(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.verify_chain, actor=actor))


async def audit_page(request: Request) -> Response:
    return await signed_in_page(request, "audit.html", services.require_admin)


routes = [
    Route("/audit", audit_page, methods=["GET"]),
    Route("/api/audit", list_entries, methods=["GET"]),
    Route("/api/audit/verify", verify, methods=["POST"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/audit",
        "Nhật ký hệ thống (quản trị), mới nhất trước; ?limit=&before_id=",
        query=("limit", "before_id"),
    ),
    Op("post", "/api/audit/verify", "Kiểm tra chuỗi băm của nhật ký; chỉ ra bản ghi hỏng đầu tiên"),
]
