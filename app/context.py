"""What the app factory builds once and every edge (routes, socket handlers, pages) uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from app.db import Database
from app.ratelimit import FailureBudget
from app.settings import Settings


async def _nothing(_: str) -> None:
    return None


@dataclass
class AppContext:
    settings: Settings
    db: Database
    login_limiter: FailureBudget
    publish: Callable[[list[dict[str, Any]]], Any] = field(default=lambda events: None)
    # Domain packages beyond meetings add their socket events here (called with realtime.actions.SocketActions).
    socket_extensions: list[Callable[[Any], None]] = field(default_factory=list)
    # Closes the live sockets of a login session (set by realtime/handlers.py; logout calls it).
    end_session: Callable[[str], Awaitable[None]] = field(default=_nothing)

    async def write(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run a service in a write transaction, then deliver its events (only after COMMIT)."""
        outcome = await self.db.write(fn, **kwargs)
        if outcome.events:
            await self.publish(outcome.events)
        return outcome.result

    async def read(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        return await self.db.read(fn, **kwargs)
