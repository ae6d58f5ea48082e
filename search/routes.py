"""GET /api/search (thin: parse, call the service, answer)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.auth import ctx_of, require_user
from web.http import ok, parse_query
from web.openapi import Op
from search import services
from search.schemas import SearchQuery, SearchResults


async def search(request: Request) -> Response:
    actor = await require_user(request)
    query = parse_query(request, SearchQuery)
    return ok(
        await ctx_of(request).read(services.search, actor=actor, q=query.q, limit=query.limit, offset=query.offset)
    )


routes = [Route("/api/search", search, methods=["GET"])]

OPENAPI = [
    Op(
        "get",
        "/api/search",
        "Tìm trong các cuộc họp, nội dung họp và tài liệu được xem, không phân biệt dấu; "
        "?q=&limit= (≤ 50)&offset= (≤ 1000)",
        answer=SearchResults,
        query=("q", "limit", "offset"),
    ),
]
