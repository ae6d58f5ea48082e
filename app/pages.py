"""The pages that need several domains (the tablet's home: meetings and open polls; a document in its
meeting), and the login and language pages. The helpers are in web/pages.py, a meeting's page in
meetings/pages.py."""

from __future__ import annotations

from typing import Any, Awaitable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core.actor import Actor
from core.errors import NotFound
from documents.access import read_access
from meetings import services
from meetings.access import authorize_manage, require_create
from meetings.pages import meeting_page
from polls.views import inbox
from web.auth import ctx_of
from web.i18n import LANG_COOKIE, LANGS
from web.pages import page_actor, render, to_login
from web.redirects import safe_next


async def login_page(request: Request) -> Response:
    nxt = safe_next(request.query_params.get("next"))
    if await page_actor(request) is not None:
        return RedirectResponse(nxt, status_code=303)  # already logged in
    return render(request, "login.html", next=nxt)


async def home(request: Request) -> Response:
    return RedirectResponse("/meetings", status_code=303)


async def meetings_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    meetings = await ctx_of(request).read(services.list_meetings, actor=actor)
    # the member's open polls on the tablet's home page
    return render(
        request, "meetings.html", meetings=meetings, poll_inbox=await ctx_of(request).read(inbox, actor=actor)
    )


async def _can_create(request: Request, actor: Actor) -> None:
    require_create(actor)


def _can_manage(request: Request, actor: Actor) -> Awaitable[Any]:
    return ctx_of(request).read(authorize_manage, actor=actor, meeting_id=request.path_params["meeting_id"])


def _document_in_meeting(*, session: Any, actor: Actor, meeting_id: int, document_id: int) -> None:
    """GET /api/documents/{id}'s rule (restricted, guests), and the document must be of this meeting."""
    if read_access(session, actor, document_id).document.meeting_id != meeting_id:
        raise NotFound("Không tìm thấy tài liệu.")


def _can_read_document(request: Request, actor: Actor) -> Awaitable[Any]:
    p = request.path_params
    return ctx_of(request).read(
        _document_in_meeting, actor=actor, meeting_id=p["meeting_id"], document_id=p["document_id"]
    )


async def set_lang(request: Request) -> Response:
    lang = request.path_params["lang"]
    try:
        parts = urlsplit(request.headers.get("referer", ""))  # keep only path + query: same site only
        back = safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
    except ValueError:  # a Referer no URL parser reads ("http://[::1"): back to the list
        back = safe_next(None)
    response = RedirectResponse(back if lang in LANGS else "/meetings", status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/lang/{lang}", set_lang, methods=["GET"]),
    Route("/meetings", meetings_page, methods=["GET"]),
    Route("/meetings/new", meeting_page("edit.html", _can_create), methods=["GET"]),
    Route("/meetings/{meeting_id:int}", meeting_page("live.html"), methods=["GET"]),
    Route("/meetings/{meeting_id:int}/edit", meeting_page("edit.html", _can_manage), methods=["GET"]),
    Route(
        "/meetings/{meeting_id:int}/documents/{document_id:int}",
        meeting_page("viewer.html", _can_read_document),
        methods=["GET"],
    ),
]
