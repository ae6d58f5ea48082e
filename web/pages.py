"""Server-rendered pages (Jinja2): the helpers every page of every package uses. Each page is a shell; live data
comes from the API and the socket. The pages themselves live with their domains (meetings/pages.py,
polls/pages.py, ...) and in app/pages.py for the few that need many domains."""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from core.actor import Actor
from core.clock import local
from core.errors import DomainError
from core.i18n import DEFAULT_LANG
from infra.paths import TEMPLATES_DIR
from web.auth import ctx_of, current
from web.i18n import LANG_COOKIE, LANGS, known, t_for, translate
from web.i18n_routes import url as i18n_url
from web.redirects import login_url

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]), extensions=["jinja2.ext.i18n"]
)


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
    hidden = exc.hidden_on_pages  # NotFound, meetings.access.NotInvited
    status = 404 if hidden else exc.status
    code = "not_found" if hidden else exc.code
    key = "error." + code
    generic = translate(key if known(key) else "error.generic", lang)
    message = generic if hidden else exc.to_dict(lang)["message"]
    return render(request, "error.html", status=status, message=message, error_status=status)


async def page_actor(request: Request) -> Actor | None:
    """The signed-in user of a page (None: show the login page), with their profile for the header."""
    auth = await current(request)
    if auth is None:
        return None
    ctx = ctx_of(request)
    try:  # full name + office title for the header
        user = await ctx.read(ctx.read_profile, actor=auth[0])
        request.state.profile = user.model_dump(mode="json")
    except DomainError:
        return None
    return auth[0]


def to_login(request: Request) -> Response:
    return RedirectResponse(login_url(request.url.path), status_code=303)


async def signed_in_page(request: Request, template: str, allowed: Callable[[Actor], None] | None = None) -> Response:
    """A page that is only its template: the login page (with `next`) when signed out, then `allowed(actor)`, whose
    DomainError is the page's refusal (refused()), then the template."""
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    if allowed is not None:
        try:
            allowed(actor)
        except DomainError as exc:
            return refused(request, exc)
    return render(request, template)
