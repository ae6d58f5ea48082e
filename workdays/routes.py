"""/api/workdays: the year's days off and make-up days (everyone), the admin's overrides (thin)."""

from __future__ import annotations

from pydantic import BaseModel

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_body, parse_query
from web.openapi import Op
from core.clock import local, utcnow
from core.types import FormInt
from workdays import services
from workdays.schemas import CalendarPublic, OverrideCreate, OverridePublic


class YearQuery(BaseModel):
    year: FormInt(1900, 2199) | None = None  # type: ignore[valid-type]


async def calendar(request: Request) -> Response:
    actor = await require_user(request)
    ctx = ctx_of(request)
    year = parse_query(request, YearQuery).year or local(utcnow(), ctx.settings.timezone).year
    return ok(await ctx.read(services.calendar, actor=actor, year=year))


async def list_overrides(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(services.list_overrides, actor=actor))


async def add_override(request: Request) -> Response:
    actor = await require_user(request)
    data = await parse_body(request, OverrideCreate)
    return ok(await ctx_of(request).write(services.add_override, actor=actor, data=data), 201)


async def remove_override(request: Request) -> Response:
    actor = await require_user(request)
    await ctx_of(request).write(services.remove_override, actor=actor, override_id=request.path_params["override_id"])
    return ok(None, 204)


routes = [
    Route("/api/workdays", calendar, methods=["GET"]),
    Route("/api/workdays/overrides", list_overrides, methods=["GET"]),
    Route("/api/workdays/overrides", add_override, methods=["POST"]),
    Route("/api/workdays/overrides/{override_id:int}", remove_override, methods=["DELETE"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/workdays",
        "Ngày nghỉ lễ, Tết và ngày làm bù của một năm (?year=)",
        answer=CalendarPublic,
        query=("year",),
    ),
    Op("get", "/api/workdays/overrides", "Các điều chỉnh lịch ngày làm việc", answer=OverridePublic, many=True),
    Op(
        "post",
        "/api/workdays/overrides",
        "Thêm ngày nghỉ hoặc ngày làm bù (quản trị)",
        body=OverrideCreate,
        answer=OverridePublic,
        status=201,
    ),
    Op("delete", "/api/workdays/overrides/{override_id}", "Bỏ một điều chỉnh lịch (quản trị)"),
]
