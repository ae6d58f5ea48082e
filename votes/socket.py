"""Vote socket events (thin: the same services as the REST routes, same error codes in the ack).

    vote:cast {vote_id, option_id}   vote:open {vote_id, force?}   vote:close {vote_id}   vote:publish {vote_id}

A cast is acknowledged only after its transaction committed: {ok: true} means the ballot is counted.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from core.actor import Actor
from web.sockets import SocketActions
from votes import casting, services
from votes.schemas import VoteCast, VoteOpen, VoteRef


async def cast(actions: SocketActions, sid: str, actor: Actor, p: VoteCast) -> Any:
    # Casts arriving together are one batch, one transaction (votes.casting.cast_many); each acked after COMMIT.
    return await actions.ctx.write_many(casting.cast_many, actor=actor, vote_id=p.vote_id, option_id=p.option_id)


async def open_(actions: SocketActions, sid: str, actor: Actor, p: VoteOpen) -> Any:
    return await actions.ctx.write(services.open_vote, actor=actor, vote_id=p.vote_id, force=p.force)


async def close(actions: SocketActions, sid: str, actor: Actor, p: VoteRef) -> Any:
    return await actions.ctx.write(services.close_vote, actor=actor, vote_id=p.vote_id)


async def publish(actions: SocketActions, sid: str, actor: Actor, p: VoteRef) -> Any:
    return await actions.ctx.write(services.publish_vote, actor=actor, vote_id=p.vote_id)


def register(actions: SocketActions) -> None:
    actions.action("vote:cast", VoteCast, partial(cast, actions))
    actions.action("vote:open", VoteOpen, partial(open_, actions))
    actions.action("vote:close", VoteRef, partial(close, actions))
    actions.action("vote:publish", VoteRef, partial(publish, actions))
