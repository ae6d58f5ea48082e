"""The standalone remote-attendance page /meetings/{id}/remote (frontend/templates/remote.html, which
uses frontend/static/js/rtc.js). The live page hooks the same module into its own button."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of
from web.pages import page_actor, to_login, refused, render
from core.errors import DomainError
from meetings import participation, services


async def remote_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    meeting_id, hall = request.path_params["meeting_id"], request.query_params.get("hall") == "1"
    try:  # what rtc:config / rtc:join ask: a participant of a remote or hybrid meeting (the hall camera: who conducts)
        meeting = await ctx_of(request).read(services.get_meeting, actor=actor, meeting_id=meeting_id)
        await ctx_of(request).read(participation.authorize_remote, actor=actor, meeting_id=meeting_id, hall=hall)
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "remote.html", meeting=meeting)


routes = [Route("/meetings/{meeting_id:int}/remote", remote_page, methods=["GET"])]
