"""The poll pages: /polls (the list; the member's inbox is also on the home page) and /polls/{id} (one page
that is the member's answer page, the secretariat's follow-up, the chair's approval page and the results,
by who looks and the poll's state). Each asks what GET /api/polls/{id} asks."""
from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import ctx_of
from app.pages import _actor, _to_login, refused, render
from core.errors import DomainError
from polls import services


async def polls_page(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return _to_login(request)
    polls = await ctx_of(request).read(services.list_polls, actor=actor)
    return render(request, "polls.html", polls=polls, inbox=[p for p in polls if p["state"] == "open" and p["is_voter"]])


async def poll_page(request: Request) -> Response:
    actor = await _actor(request)
    if actor is None:
        return _to_login(request)
    try:
        poll = await ctx_of(request).read(services.get_poll, actor=actor, poll_id=request.path_params["poll_id"])
    except DomainError as exc:
        return refused(request, exc)
    data = json.dumps(poll, ensure_ascii=False).replace("<", "\\u003c")  # no "</script>" can end the JSON block early
    return render(request, "poll.html", poll=poll, poll_json=data)


routes = [
    Route("/polls", polls_page, methods=["GET"]),
    Route("/polls/{poll_id:int}", poll_page, methods=["GET"]),
]
