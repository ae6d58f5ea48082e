"""/workdays: the year's days off and made-up working days; the admin adds and removes overrides there."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of
from web.pages import page_actor, to_login, render
from core.clock import local, utcnow
from workdays import services


async def workdays_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    ctx = ctx_of(request)
    raw = request.query_params.get("year", "")
    year = int(raw) if raw.isdigit() and 1900 <= int(raw) <= 2199 else local(utcnow(), ctx.settings.timezone).year
    calendar = await ctx.read(services.calendar, actor=actor, year=year)
    overrides = [o for o in await ctx.read(services.list_overrides, actor=actor) if o["day"].startswith(str(year))]
    data = {"year": year, "admin": actor.role.value == "admin"}
    return render(
        request,
        "workdays.html",
        calendar=calendar,
        overrides=overrides,
        year=year,
        workdays=data,
        weekday=lambda d: services.weekday_name(date.fromisoformat(d)),
    )


routes = [Route("/workdays", workdays_page, methods=["GET"])]
