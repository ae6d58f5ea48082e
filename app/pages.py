"""Server-rendered pages (Jinja2). Each page is a shell; live data comes from the API and the socket."""
from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from accounts import services as account_services
from accounts.actor import Actor
from app.auth import ctx_of, current
from app.i18n import LANGS, table, translate
from app.redirects import login_url, safe_next
from app.paths import TEMPLATES_DIR
from core.clock import local
from core.errors import DomainError
from meetings import services

_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))
LANG_COOKIE = "ecabinet_lang"


def local_time(value: str | None, tz: str, fmt: str = "%H:%M, %d/%m/%Y") -> str:
    """ISO UTC ('...Z') -> the organisation's wall-clock text; '' when unset or unreadable."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return ""
    return local(moment, tz).strftime(fmt)


@pass_context
def _local_time_filter(context: Any, value: str | None, fmt: str = "%H:%M, %d/%m/%Y") -> str:
    return local_time(value, context["timezone"], fmt)


_env.filters["local_time"] = _local_time_filter


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, "vi")
    return lang if lang in LANGS else "vi"


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = lang_of(request)
    auth = getattr(request.state, "auth", None)
    html = _env.get_template(name).render(
        request=request,
        lang=lang,
        t=lambda key, **kw: translate(key, lang).format(**kw) if kw else translate(key, lang),
        i18n_json=json.dumps(table(lang), ensure_ascii=False),
        user=auth[0] if auth else None,
        csrf_token=auth[1] if auth else "",
        profile=getattr(request.state, "profile", None),
        # One zone for the server-rendered times (filter local_time) and the scripts (<meta name="timezone">).
        timezone=ctx_of(request).settings.timezone,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _actor(request: Request) -> Actor | None:
    auth = await current(request)
    if auth is None:
        return None
    try:  # full name + office title for the header
        user = await ctx_of(request).read(account_services.get_self, actor=auth[0])
        request.state.profile = user.model_dump(mode="json")
    except DomainError:
        return None
    return auth[0]


def _to_login(request: Request) -> Response:
    return RedirectResponse(login_url(request.url.path), status_code=303)


async def login_page(request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if await _actor(request) is not None:
        return RedirectResponse(nxt, status_code=303)  # already logged in
    return render(request, "login.html", next=nxt)


async def home(request: Request) -> Response:
    return RedirectResponse("/meetings", status_code=303)


async def meetings_page(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return _to_login(request)
    meetings = await ctx_of(request).read(services.list_meetings, actor=actor)
    return render(request, "meetings.html", meetings=meetings)


def _meeting_page(template: str):  # type: ignore[no-untyped-def]
    async def page(request: Request) -> Response:
        actor = await _actor(request)
        if actor is None:
            return _to_login(request)
        meeting_id = request.path_params.get("meeting_id")
        meeting = None
        if meeting_id is not None:
            try:
                meeting = await ctx_of(request).read(services.get_meeting, actor=actor, meeting_id=meeting_id)
            except DomainError as exc:
                return render(request, "error.html", status=exc.status, message=exc.message, error_status=exc.status)
        elif not actor.is_staff:
            return render(request, "error.html", status=403, message="Chỉ Văn phòng được tạo cuộc họp.", error_status=403)
        return render(request, template, meeting=meeting, meeting_json=json.dumps(meeting, ensure_ascii=False),
                      max_upload_mb=ctx_of(request).settings.max_upload_mb)  # fmt: skip

    return page


async def set_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    parts = urlsplit(request.headers.get("referer", ""))  # keep only path + query: same site only
    back = safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    response = RedirectResponse(back if lang in LANGS else "/meetings", status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/lang/{lang}", set_lang, methods=["GET"]),
    Route("/meetings", meetings_page, methods=["GET"]),
    Route("/meetings/new", _meeting_page("edit.html"), methods=["GET"]),
    Route("/meetings/{meeting_id:int}", _meeting_page("live.html"), methods=["GET"]),
    Route("/meetings/{meeting_id:int}/edit", _meeting_page("edit.html"), methods=["GET"]),
    Route("/meetings/{meeting_id:int}/documents/{document_id:int}", _meeting_page("viewer.html"), methods=["GET"]),
]
