"""The signed-in user's own page (/account, the name in the header): who they are, and changing their password
(POST /api/me/password, accounts/routes.py: the current one counted like a login, their other sessions end)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.pages import signed_in_page


async def account_page(request: Request) -> Response:
    # (a hall display has no login: it has no account either)
    return await signed_in_page(request, "account.html")


routes = [Route("/account", account_page, methods=["GET"])]
