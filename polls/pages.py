"""The poll pages: /polls (the list; the member's inbox is also on the home page) and /polls/{id} (one page
that is the member's answer page, the secretariat's follow-up, the chair's approval and decision page, the
Government Office's signing page and the results, by who looks and the poll's state). Each asks what
GET /api/polls/{id} asks."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sqlmodel import col, select

from accounts.models import User
from web.auth import ctx_of
from core.clock import as_utc, iso, local, utcnow, zone
from web.pages import page_actor, to_login, refused, render
from core.errors import DomainError
from polls import access, reporting, views
from workdays.services import add_working_days


def _drafting(*, session: Any, actor: Any, tz: str) -> dict[str, Any]:
    """What the secretariat's drafting form proposes: deadlines N working days from today at 17:00 on the
    organisation's clock, who may chair (the head of the Government, his designated deputies), the organisation's
    silence rule."""
    today = local(utcnow(), tz).date()
    deadlines = {
        n: iso(as_utc(datetime.combine(add_working_days(session, today, n), time(17, 0), tzinfo=zone(tz))))
        for n in (2, 3, 5)
    }
    head, deputies = access.government(session)  # a poll of the Government: its head or a designated deputy
    chairs = [head, *deputies] if head is not None else []
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(chairs))).all()}
    members = [users[i] for i in chairs if i in users]
    return {
        "deadlines": deadlines,
        "members": [{"id": u.id, "name": f"{u.full_name} ({u.title})" if u.title else u.full_name} for u in members],
        "chair_id": head,
        "silence": access.get_rules(session).silence_default.value,
    }


async def polls_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    ctx = ctx_of(request)
    polls = await ctx.read(views.list_polls, actor=actor)
    drafting = await ctx.read(_drafting, actor=actor, tz=ctx.settings.timezone) if actor.is_staff else None
    return render(
        request,
        "polls.html",
        polls=polls,
        inbox=[p for p in polls if p["state"] == "open" and p["is_voter"]],
        drafting=drafting,
    )


async def poll_page(request: Request) -> Response:
    actor = await page_actor(request)
    if actor is None:
        return to_login(request)
    try:
        ctx = ctx_of(request)
        poll = await ctx.read(
            reporting.read_poll, actor=actor, poll_id=request.path_params["poll_id"], tz=ctx.settings.timezone
        )
    except DomainError as exc:
        return refused(request, exc)
    return render(request, "poll.html", poll=poll)


routes = [
    Route("/polls", polls_page, methods=["GET"]),
    Route("/polls/{poll_id:int}", poll_page, methods=["GET"]),
]
