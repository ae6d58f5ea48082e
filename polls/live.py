"""Live updates of polls: server -> client event `poll` {poll_id, types: [...], state} to each signed-in user
in the poll's audience as it is when delivered (polls/access.py: audience: the secretariat, the chair once
submitted, the voters once open), on their own room user:<id>. The event carries no answers or results: the
pages fetch GET /api/polls/{id}, which checks the caller again. Recorded by the services as an outbox job
(kind poll.live) in their own transaction; delivered after COMMIT by the dispatcher."""

from __future__ import annotations

from typing import Any

from infra.context import AppContext
from polls import access
from polls.clock import PollClock
from polls.models import Poll

WAKE_CLOCK = {"poll.opened", "poll.extended"}


def install(ctx: AppContext, dispatcher: Any) -> PollClock:
    clock = PollClock(ctx)

    async def deliver(ctx: AppContext, ref: str, jobs: list[dict[str, Any]]) -> None:
        poll_id = int(ref)
        types = list(dict.fromkeys(j["type"] for j in jobs))  # each kind once, in the order they happened
        if WAKE_CLOCK & set(types):
            clock.poke()
        users, state = await ctx.read(_audience_and_state, poll_id=poll_id)
        for uid in users:
            await ctx.to_user(uid, "poll", {"poll_id": poll_id, "types": types, "state": state})

    dispatcher.register(access.LIVE, deliver)
    ctx.background.append(clock)  # started after the outbox recovery, stopped first (app/factory.py)
    return clock


def _audience_and_state(*, session: Any, poll_id: int) -> tuple[list[int], str | None]:
    poll = session.get(Poll, poll_id)
    return access.audience(session, poll_id), poll.state.value if poll else None
