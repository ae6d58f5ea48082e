"""Live updates of polls: server -> client event `poll` {poll_id, types: [...], state} to each signed-in user
in the poll's audience as it is when delivered (polls/access.py: audience: the secretariat, the chair once
submitted, the voters once open), on their own room user:<id>. The event carries no answers or results: the
pages fetch GET /api/polls/{id}, which checks the caller again. Recorded by the services as an outbox job
(kind poll.live) in their own transaction; delivered after COMMIT by the dispatcher."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from accounts.models import GlobalRole, User
from infra.context import AppContext
from polls import access
from polls.clock import PollClock
from polls.models import Poll, PollDocument

WAKE_CLOCK = {"poll.opened", "poll.extended"}


def install(ctx: AppContext, dispatcher: Any) -> PollClock:
    clock = PollClock(ctx)

    async def deliver(ctx: AppContext, ref: str, jobs: list[dict[str, Any]]) -> None:
        poll_id = int(ref)
        types = list(dict.fromkeys(j["type"] for j in jobs))  # each kind once, in the order they happened
        if WAKE_CLOCK & set(types):
            clock.poke()
        about = {int(j["document_id"]) for j in jobs if j.get("document_id")}
        users, state, readers = await ctx.read(_audience_and_state, poll_id=poll_id, documents=about)
        # who just left the audience (a signer no longer designated): only told to look again, which the poll's
        # GET checks (the event carries no content)
        left = sorted({int(u) for j in jobs for u in j.get("also", [])} - set(users))
        for uid in left:
            await ctx.to_user(uid, "poll", {"poll_id": poll_id, "types": types, "state": state})
        for uid in users:
            # a job about a restricted document only for who may read it (as read now)
            mine = [j["type"] for j in jobs if not j.get("document_id") or uid in readers[int(j["document_id"])]]
            if mine:
                kinds = list(dict.fromkeys(mine))
                await ctx.to_user(uid, "poll", {"poll_id": poll_id, "types": kinds, "state": state})

    dispatcher.register(access.LIVE, deliver)
    ctx.background.append(clock)  # started after the outbox recovery, stopped first (app/factory.py)
    return clock


def _audience_and_state(
    *, session: Any, poll_id: int, documents: set[int]
) -> tuple[list[int], str | None, dict[int, set[int]]]:
    """The audience, the poll's state, and of `documents` (restricted) who in the audience may read each."""
    poll = session.get(Poll, poll_id)
    users = access.audience(session, poll_id)
    staff = set(
        session.exec(
            select(User.id).where(
                col(User.id).in_(users), col(User.role).in_([GlobalRole.admin, GlobalRole.secretariat])
            )
        ).all()
    )
    readers: dict[int, set[int]] = {}
    for doc_id in documents:
        doc = session.get(PollDocument, doc_id)
        listed = set(doc.allowed_user_ids) if doc is not None and doc.poll_id == poll_id else set()
        readers[doc_id] = (staff | listed) if doc is not None and doc.restricted else set(users)
    return users, poll.state.value if poll else None, readers
