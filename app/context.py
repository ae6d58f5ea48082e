"""What the app factory builds once and every edge (routes, socket handlers, pages) uses."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from app.db import Database
from core.outbox import Key
from app.ratelimit import FailureBudget
from app.settings import Settings


async def _nothing(_: str) -> None:
    return None


async def _to_nobody(_user_id: int, _event: str, _data: Any) -> None:
    return None


@dataclass
class AppContext:
    settings: Settings
    db: Database
    login_limiter: FailureBudget
    cluster: Any = None  # app.cluster.Cluster: this node, its heartbeat in Redis, draining (set by create_app)
    publish: Callable[[list[Any]], Any] = field(default=lambda events: None)  # meetings.events.Delivery
    # Runs the outbox jobs a transaction recorded, after its COMMIT (set by app/outbox.py's Dispatcher).
    run_jobs: Callable[[set[Key]], None] = field(default=lambda keys: None)
    # Domain packages beyond meetings add their socket events here (called with realtime.actions.SocketActions).
    socket_extensions: list[Callable[[Any], None]] = field(default_factory=list)
    # Closes the live sockets of a login session (set by realtime/handlers.py; logout calls it).
    end_session: Callable[[str], Awaitable[None]] = field(default=_nothing)
    # Emits (event, data) to every socket of one user (set by realtime/handlers.py; outbox jobs use it).
    to_user: Callable[[int, str, Any], Awaitable[None]] = field(default=_to_nobody)

    async def write(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run a service in a write transaction, then deliver its events and start its outbox jobs (only
        after COMMIT; a job not run now, e.g. on a crash, is run at the next start)."""
        outcome = await self.db.write(fn, **kwargs)
        if outcome.jobs:
            self.run_jobs(outcome.jobs)
        if outcome.events:
            await self.publish(outcome.events)
        return outcome.result

    async def read(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        return await self.db.read(fn, **kwargs)
