"""/workdays: the year's days off and made-up working days; the admin adds and removes overrides there."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of
from web.pages import lang_of, page_actor, to_login, render
from core.clock import local, utcnow
from core.i18n import translate
from workdays import services
from workdays.holidays import holiday_on

# An override's reason when the admin wrote none (workdays/services.py calendar): the kind, in the reader's language.
_DEFAULT_REASON = {"Ngày nghỉ": "workdays.kind.off", "Ngày làm việc": "workdays.kind.work"}


def weekday(day: str, lang: str) -> str:
    return translate(f"weekday.{(date.fromisoformat(day).weekday() + 1) % 7}", lang)  # weekday.0 is Sunday


def reason(entry: dict[str, Any], lang: str) -> str:
    """A day's reason in the reader's language: a holiday's name from its catalogue key, a default reason as the
    kind of day; what the admin wrote stays as written."""
    if entry["source"] == "holiday":
        h = holiday_on(date.fromisoformat(entry["day"]))
        if h is not None and h.key:
            name = translate(h.key, lang, day=h.n)
            return translate("holiday.in_lieu", lang, name=name) if h.compensatory else name
    key = _DEFAULT_REASON.get(entry["reason"]) if entry["source"] == "override" else None
    return translate(key, lang) if key else str(entry["reason"])


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
    lang = lang_of(request)
    return render(
        request,
        "workdays.html",
        calendar=calendar,
        overrides=overrides,
        year=year,
        workdays=data,
        weekday=lambda d: weekday(d, lang),
        reason=lambda d: reason(d, lang),
    )


routes = [Route("/workdays", workdays_page, methods=["GET"])]
