"""Server-rendered pages (Jinja2). Each page is a shell; live data comes from the API and the socket."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from typing import Any, Awaitable, Callable

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from accounts import services as account_services
from accounts.actor import Actor
from app.auth import ctx_of, current
from app.i18n import LANG_COOKIE, LANGS, known, t_for, translate
from app.i18n_routes import url as i18n_url
from app.redirects import login_url, safe_next
from app.paths import TEMPLATES_DIR
from core.clock import local
from core.errors import DomainError, NotFound
from core.i18n import DEFAULT_LANG
from documents.access import read_access
from meetings import services
from meetings.access import NotInvited, authorize_manage, require_create

_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])


@pass_context
def _gettext(context: Any, key: str) -> str:
    return translate(key, context["lang"])


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return translate(singular, context["lang"], n=n)


# {% trans %}, _() and ngettext(): the catalogue in the language of the page being rendered (newstyle: the
# extension fills %(name)s and escapes); t('key', name=…) stays the templates' usual call.
_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]


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
    """A page's language: the language cookie, else Vietnamese (the browser's Accept-Language does not change
    the product's default language; it is the API's fallback for clients without the cookie)."""
    lang = request.cookies.get(LANG_COOKIE, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = lang_of(request)
    auth = getattr(request.state, "auth", None)
    html = _env.get_template(name).render(
        request=request,
        lang=lang,
        t=t_for(lang),
        i18n_url=i18n_url(lang),
        user=auth[0] if auth else None,
        csrf_token=auth[1] if auth else "",
        profile=getattr(request.state, "profile", None),
        # One zone for the server-rendered times (filter local_time) and the scripts (<meta name="timezone">).
        timezone=ctx_of(request).settings.timezone,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    if request.cookies.get(LANG_COOKIE) != lang:  # the page's calls and socket then answer in the page's language
        response.set_cookie(LANG_COOKIE, lang, samesite="lax")
    return response


def refused(request: Request, exc: DomainError) -> Response:
    """A page's refusal, in the user's language: 404 for a meeting (or anything in it) the user may not know
    exists, whatever the API's status; otherwise the API's own status, with its reason."""
    lang = lang_of(request)
    hidden = isinstance(exc, (NotInvited, NotFound))
    status = 404 if hidden else exc.status
    code = "not_found" if hidden else exc.code
    key = "error." + code
    generic = translate(key if known(key) else "error.generic", lang)
    message = generic if hidden else exc.to_dict(lang)["message"]
    return render(request, "error.html", status=status, message=message, error_status=status)


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
    from polls.views import inbox  # the member's open polls on the tablet's home page

    return render(request, "meetings.html", meetings=meetings, poll_inbox=await ctx_of(request).read(inbox, actor=actor))


# What a page asks before it renders: exactly what the API behind it asks (a refusal -> refused()).
PageCheck = Callable[[Request, Actor], Awaitable[Any]]


async def _can_create(request: Request, actor: Actor) -> None:
    require_create(actor)


def _can_manage(request: Request, actor: Actor) -> Awaitable[Any]:
    return ctx_of(request).read(authorize_manage, actor=actor, meeting_id=request.path_params["meeting_id"])


def _document_in_meeting(*, session: Any, actor: Actor, meeting_id: int, document_id: int) -> None:
    """GET /api/documents/{id}'s rule (restricted, guests), and the document must be of this meeting."""
    if read_access(session, actor, document_id).document.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy tài liệu {document_id}.", document_id=document_id)


def _can_read_document(request: Request, actor: Actor) -> Awaitable[Any]:
    p = request.path_params
    return ctx_of(request).read(_document_in_meeting, actor=actor, meeting_id=p["meeting_id"], document_id=p["document_id"])


def _meeting_page(template: str, check: PageCheck | None = None):  # type: ignore[no-untyped-def]
    """A page of one meeting (or /meetings/new): anyone who may see the meeting, and what `check` adds."""

    async def page(request: Request) -> Response:
        actor = await _actor(request)
        if actor is None:
            return _to_login(request)
        meeting_id = request.path_params.get("meeting_id")
        meeting = None
        try:
            if meeting_id is not None:
                meeting = await ctx_of(request).read(services.get_meeting, actor=actor, meeting_id=meeting_id)
            if check is not None:
                await check(request, actor)
        except DomainError as exc:
            return refused(request, exc)
        return render(request, template, meeting=meeting,
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
    Route("/meetings/new", _meeting_page("edit.html", _can_create), methods=["GET"]),
    Route("/meetings/{meeting_id:int}", _meeting_page("live.html"), methods=["GET"]),
    Route("/meetings/{meeting_id:int}/edit", _meeting_page("edit.html", _can_manage), methods=["GET"]),
    Route("/meetings/{meeting_id:int}/documents/{document_id:int}", _meeting_page("viewer.html", _can_read_document), methods=["GET"]),
]
