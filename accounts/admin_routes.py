"""The administrator's accounts page (/users) and its list (GET /api/accounts, locked accounts too); creating and
changing an account go through POST /api/users and PATCH /api/users/{id} (accounts/routes.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import directory
from accounts.schemas import AccountPublic
from web.auth import ctx_of, require_user
from web.http import ok
from web.openapi import Op
from web.pages import signed_in_page


async def list_accounts(request: Request) -> Response:
    actor = await require_user(request)
    return ok(await ctx_of(request).read(directory.list_accounts, actor=actor))


async def users_page(request: Request) -> Response:
    return await signed_in_page(request, "users.html", directory.require_admin)


routes = [
    Route("/users", users_page, methods=["GET"]),
    Route("/api/accounts", list_accounts, methods=["GET"]),
]

OPENAPI = [
    Op(
        "get",
        "/api/accounts",
        "Mọi tài khoản, kể cả đã khóa, với trạng thái (quản trị)",
        answer=AccountPublic,
        many=True,
    ),
]
