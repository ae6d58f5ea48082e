"""What a domain's socket module needs of the socket edge, without importing realtime/ (which sits above the
domains): the registration protocol realtime/actions.py's SocketActions implements, the room of a meeting,
and the payload every meeting event carries. app/domains.py hands each domain's `register` to realtime."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Protocol

from pydantic import BaseModel, ConfigDict

from core.actor import Actor
from core.i18n import N_
from core.types import Id
from infra.context import AppContext

# A client -> server event's handler: (socket id, its actor, the validated payload) -> the ack's data.
Handler = Callable[[str, Actor, Any], Awaitable[Any]]
INTERNAL = N_("Lỗi hệ thống; vui lòng thử lại.")


class SocketActions(Protocol):
    """The socket edge as the domains' socket modules see it (realtime/actions.py: SocketActions)."""

    sio: Any  # socketio.AsyncServer
    ctx: AppContext
    actors: dict[str, Actor]  # sid -> who the socket is
    on_event: list[Callable[[dict[str, Any]], None]]  # told of every envelope this node delivers

    def lang(self, sid: str) -> str: ...

    def in_meeting(self, sid: str, meeting_id: int) -> bool: ...

    def action(self, name: str, model: type[BaseModel] | None, fn: Handler) -> None: ...

    def raw(self, name: str, model: type[BaseModel] | None, handler: Callable[..., Awaitable[Any]]) -> None: ...


def room(meeting_id: int) -> str:
    """The Socket.IO room of every follower of a meeting."""
    return f"meeting:{meeting_id}"


def class_room(meeting_id: int, audience: str) -> str:
    """The sockets of a meeting in `audience` ('members'), or outside it ('-members')."""
    return f"meeting:{meeting_id}/{audience}"


class Strict(BaseModel):
    """A socket event's payload: unknown fields and wrong types are refused."""

    model_config = ConfigDict(extra="forbid")


class MeetingRef(Strict):
    meeting_id: Id
