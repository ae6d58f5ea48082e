"""The page of one meeting (or /meetings/new), shared by the packages that serve a page per meeting
(app/pages.py: live, edit, viewer; minutes/routes.py: minutes)."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from core.actor import Actor
from core.errors import DomainError
from meetings import services
from web.auth import ctx_of
from web.pages import page_actor, refused, render, to_login

# What a page asks before it renders: exactly what the API behind it asks (a refusal -> refused()).
PageCheck = Callable[[Request, Actor], Awaitable[Any]]


def meeting_page(template: str, check: PageCheck | None = None) -> Callable[[Request], Awaitable[Response]]:
    """A page of one meeting (or /meetings/new): anyone who may see the meeting, and what `check` adds."""

    async def page(request: Request) -> Response:
        actor = await page_actor(request)
        if actor is None:
            return to_login(request)
        meeting_id = request.path_params.get("meeting_id")
        meeting = None
        try:
            if meeting_id is not None:
                meeting = await ctx_of(request).read(services.get_meeting, actor=actor, meeting_id=meeting_id)
            if check is not None:
                await check(request, actor)
        except DomainError as exc:
            return refused(request, exc)
        return render(request, template, meeting=meeting, max_upload_mb=ctx_of(request).settings.max_upload_mb)

    return page
