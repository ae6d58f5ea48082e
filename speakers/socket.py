"""Speaker queue socket events (thin): the same services as the REST routes, answered with acks."""
from __future__ import annotations

from typing import Any, Callable

from accounts.actor import Actor
from realtime.actions import Handler, SocketActions
from speakers import services
from speakers.schemas import MeetingSpeak, RequestRef, SpeakRequest


def register(actions: SocketActions) -> None:
    ctx = actions.ctx

    async def request(sid: str, actor: Actor, p: MeetingSpeak) -> Any:
        data = SpeakRequest(user_id=p.user_id)
        return await ctx.write(services.request_floor, actor=actor, meeting_id=p.meeting_id, data=data)

    def on_request(fn: Callable[..., Any]) -> Handler:
        async def run(sid: str, actor: Actor, p: RequestRef) -> Any:
            return await ctx.write(fn, actor=actor, request_id=p.request_id)

        return run

    actions.action("speaker:request", MeetingSpeak, request)
    actions.action("speaker:withdraw", RequestRef, on_request(services.withdraw))
    actions.action("speaker:grant", RequestRef, on_request(services.grant))
    actions.action("speaker:finish", RequestRef, on_request(services.finish))
