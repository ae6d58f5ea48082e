"""Speaker queue socket events (thin): the same services as the REST routes, answered with acks."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from core.actor import Actor
from web.sockets import SocketActions
from speakers import services
from speakers.schemas import MeetingSpeak, RequestRef, SpeakRequest


async def request(actions: SocketActions, sid: str, actor: Actor, p: MeetingSpeak) -> Any:
    data = SpeakRequest(user_id=p.user_id)
    return await actions.ctx.write(services.request_floor, actor=actor, meeting_id=p.meeting_id, data=data)


async def on_request(actions: SocketActions, fn: Callable[..., Any], sid: str, actor: Actor, p: RequestRef) -> Any:
    """withdraw, grant, finish: the same shape, one service each."""
    return await actions.ctx.write(fn, actor=actor, request_id=p.request_id)


def register(actions: SocketActions) -> None:
    actions.action("speaker:request", MeetingSpeak, partial(request, actions))
    actions.action("speaker:withdraw", RequestRef, partial(on_request, actions, services.withdraw))
    actions.action("speaker:grant", RequestRef, partial(on_request, actions, services.grant))
    actions.action("speaker:finish", RequestRef, partial(on_request, actions, services.finish))
