"""Vote socket events (thin: the same services as the REST routes, same error codes in the ack).

    vote:cast {vote_id, option_id}   vote:open {vote_id, force?}   vote:close {vote_id}   vote:publish {vote_id}

A cast is acknowledged only after its transaction committed: {ok: true} means the ballot is counted.
"""
from __future__ import annotations

from typing import Any

from accounts.actor import Actor
from realtime.actions import SocketActions
from votes import services
from votes.schemas import VoteCast, VoteOpen, VoteRef


def register(actions: SocketActions) -> None:
    ctx = actions.ctx

    async def cast(sid: str, actor: Actor, p: VoteCast) -> Any:
        # Casts arriving together share one transaction; each is acknowledged after its COMMIT.
        return await ctx.write_grouped(services.cast, actor=actor, vote_id=p.vote_id, option_id=p.option_id)

    async def open_(sid: str, actor: Actor, p: VoteOpen) -> Any:
        return await ctx.write(services.open_vote, actor=actor, vote_id=p.vote_id, force=p.force)

    async def close(sid: str, actor: Actor, p: VoteRef) -> Any:
        result = await ctx.write(services.close_vote, actor=actor, vote_id=p.vote_id)
        return result

    async def publish(sid: str, actor: Actor, p: VoteRef) -> Any:
        return await ctx.write(services.publish_vote, actor=actor, vote_id=p.vote_id)

    actions.action("vote:cast", VoteCast, cast)
    actions.action("vote:open", VoteOpen, open_)
    actions.action("vote:close", VoteRef, close)
    actions.action("vote:publish", VoteRef, publish)
