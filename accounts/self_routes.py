"""The signed-in user's own page (/account, the name in the header): who they are, and changing their password
(POST /api/me/password, accounts/routes.py: the current one counted like a login, their other sessions end)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages import page_actor, render, to_login


async def account_page(request: Request) -> Response:
    if await page_actor(request) is None:  # (a hall display has no login: it has no account either)
        return to_login(request)
    return render(request, "account.html")


routes = [Route("/account", account_page, methods=["GET"])]
