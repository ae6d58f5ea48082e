"""Each user's search budget: PER_MINUTE searches in a minute and PER_DAY in 24 hours (sliding windows).

The response-time floor (search/pace.py) hides what a search costs; the budget bounds how many samples anyone
gets of whatever is left (an answer slow enough to pass the floor), and of the server's load. It is sign-in's
mechanism (infra/ratelimit.py: counted in Redis when ECABINET_REDIS_URL is set, shared by every node; this
node's own count while Redis is unreachable), keyed by the user's id: `search:minute:<id>`, `search:day:<id>`.
Beyond it: 429 `rate_limited` with Retry-After and the time to wait in the message.

Sizing: the search box asks as the user types, once the typing pauses for 250 ms (frontend/static/js/search.js),
so a slow typist on a tablet sends about one search per character. Typing two long queries within a minute stays
under PER_MINUTE; a hundred searches of ten characters a day stay under PER_DAY. Reading a hidden word letter by
letter from timing took the probe ~550 searches per letter with no floor at all.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from core.errors import RateLimited
from core.i18n import N_
from infra.ratelimit import FailureBudget, failure_budget
from infra.settings import Settings

PER_MINUTE = 60
PER_DAY = 1200
MINUTE, DAY = 60.0, 86_400.0
TOO_MANY = N_("Bạn đã tìm kiếm quá nhiều lần trong một phút; hãy thử lại sau {seconds} giây.")
TOO_MANY_TODAY = N_("Bạn đã tìm kiếm quá nhiều lần trong 24 giờ qua; hãy thử lại sau {minutes} phút.")
log = logging.getLogger("ecabinet.search")


class SearchBudget:
    """The two windows of every user of one application (a background object of the app: `stop` closes their
    Redis connections)."""

    def __init__(self, settings: Settings) -> None:
        prefix = settings.redis_channel
        self.minute: FailureBudget = failure_budget(MINUTE, settings.redis_url, prefix)
        self.day: FailureBudget = failure_budget(DAY, settings.redis_url, prefix)

    async def take(self, user_id: int) -> None:
        """Counts one search of `user_id`, or raises RateLimited (Retry-After). A search refused by the minute's
        window is not counted against the day's; one refused by the day's is taken back from the minute's."""
        try:
            counted = await self.minute.reserve({f"search:minute:{user_id}": PER_MINUTE}, TOO_MANY)
        except RateLimited as exc:
            exc.details = {"reason": "per_minute", "limit": PER_MINUTE}
            raise
        try:
            await self.day.reserve({f"search:day:{user_id}": PER_DAY}, TOO_MANY_TODAY)
        except RateLimited as exc:
            await counted.release()
            seconds = exc.retry_after or int(DAY)
            raise RateLimited(
                TOO_MANY_TODAY,
                details={"reason": "per_day", "limit": PER_DAY},
                minutes=math.ceil(seconds / 60),
                retry_after=seconds,
            ) from None

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.minute.close()
        await self.day.close()


def of_app(state: Any, ctx: Any) -> SearchBudget:
    """The application's budget (`request.app.state`), made at its first search; its Redis connections close
    with the app's other background objects (ctx.background, stopped at shutdown)."""
    budget: SearchBudget | None = getattr(state, "search_budget", None)
    if budget is None:
        budget = state.search_budget = SearchBudget(ctx.settings)
        ctx.background.append(budget)
    return budget
