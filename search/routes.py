"""GET /api/search (thin: parse, call the service, answer), paced and budgeted.

Once the caller is known, every answer (hits, none, a refused query, the budget's 429) leaves no earlier than
ECABINET_SEARCH_FLOOR_MS after the route started (search/pace.py), and each user has a budget of searches
(search/budget.py): the time of an answer says nothing of matches in pages the caller may not read.
ECABINET_SEARCH_ENGINE_TIMING (bench/search.py only) answers as soon as the engine is done, without a budget.
"""

from __future__ import annotations

import logging
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.actor import Actor
from web.auth import ctx_of, require_user
from web.http import ok, parse_query
from web.openapi import Op
from search import budget, pace, services
from search.schemas import SearchQuery, SearchResults

log = logging.getLogger("ecabinet.search")


async def search(request: Request) -> Response:
    started = time.monotonic()
    actor = await require_user(request)
    settings = ctx_of(request).settings
    if settings.search_engine_timing:
        if not getattr(request.app.state, "search_unpaced_said", False):
            request.app.state.search_unpaced_said = True
            log.warning("ECABINET_SEARCH_ENGINE_TIMING is on: search answers without floor or budget (bench only)")
        return await _answer(request, actor)
    try:
        if not actor.is_display:  # a room display searches nothing (the service refuses it)
            await budget.of_app(request.app.state, ctx_of(request)).take(actor.id)
        return await _answer(request, actor)
    finally:
        await pace.hold_until_release(started, settings.search_floor_ms / 1000)


async def _answer(request: Request, actor: Actor) -> Response:
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
        "?q=&limit= (≤ 50)&offset= (≤ 1000); trả lời không sớm hơn ECABINET_SEARCH_FLOOR_MS, mỗi người "
        "tối đa 60 lần/phút, 1200 lần/24 giờ (429)",
        answer=SearchResults,
        query=("q", "limit", "offset"),
    ),
]
