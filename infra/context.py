"""What the app factory builds once and every edge (routes, socket handlers, pages) uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from anyio import to_thread

from core import after_delivery
from infra.db import Database, Outcome
from infra.groupcommit import GroupCommit
from core.outbox import Key
from infra.ratelimit import FailureBudget, KeyedGate, SlidingWindow
from infra.settings import Settings


async def _nothing(_: str) -> None:
    return None


async def _to_nobody(_user_id: int, _event: str, _data: Any) -> None:
    return None


def _unwired(**_: Any) -> Any:
    raise RuntimeError("not wired: app/domains.py install() sets this on the application context")


@dataclass
class AppContext:
    settings: Settings
    db: Database
    login_limiter: FailureBudget
    # The password checks of one address, a few at a time (infra/ratelimit.py KeyedGate).
    login_gates: KeyedGate = field(default_factory=KeyedGate)
    cluster: Any = None  # infra.cluster.Cluster: this node, its heartbeat in Redis, draining (set by create_app)
    publish: Callable[[list[Any]], Any] = field(default=lambda events: None)  # meetings.events.Delivery
    # Runs the outbox jobs a transaction recorded, after its COMMIT (set by infra/outbox.py's Dispatcher).
    run_jobs: Callable[[set[Key]], None] = field(default=lambda keys: None)
    # Domain packages beyond meetings add their socket events here (called with realtime/actions.py's SocketActions,
    # which implements web/sockets.py's protocol).
    socket_extensions: list[Callable[[Any], None]] = field(default_factory=list)
    # Closes the live sockets of a login session (set by realtime/handlers.py; logout calls it).
    end_session: Callable[[str], Awaitable[None]] = field(default=_nothing)
    # Emits (event, data) to every socket of one user (set by realtime/handlers.py; outbox jobs use it).
    to_user: Callable[[int, str, Any], Awaitable[None]] = field(default=_to_nobody)
    # Long-running loops of the domains (the mail sender, the overdue check): objects with async start()/stop(),
    # started by the app's lifespan after the outbox recovery and stopped before the engine is disposed.
    background: list[Any] = field(default_factory=list)

    # Set by app/domains.py from the accounts package (the edge in web/ may not import a domain), both run in a
    # read session: resolve_session(session=, token=) -> (the user: id, username, full_name, role; csrf) | None;
    # read_profile(session=, actor=) -> the signed-in user's own profile for the pages' header
    # (accounts.services.resolve and get_self).
    resolve_session: Callable[..., Any] = field(default=_unwired)
    # resolve_sessions(session=, tokens=) -> {token: what resolve_session answers}, one query for them all
    # (accounts.services.resolve_many)
    resolve_sessions: Callable[..., Any] = field(default=_unwired)
    read_profile: Callable[..., Any] = field(default=_unwired)

    # One infra/groupcommit.py GroupCommit per service run through write_grouped.
    groups: dict[Callable[..., Any], Any] = field(default_factory=dict)
    # Reads that many callers make at the same moment, answered a batch at a time (infra/batched.py
    # BatchedReads), by the service they run: web/auth.py read_as_user_together.
    read_batches: dict[Callable[..., Any], Any] = field(default_factory=dict)

    # The edges' rate-limit windows, one set per application (module globals would be shared by every app in the
    # process, e.g. the tests' servers): see window().
    windows: dict[str, SlidingWindow] = field(default_factory=dict)
    # The page renderer (documents/render.py: background renders), made on first use by documents/routes.py
    # renderer_for() and closed with the application.
    renderer: Any = None

    def window(self, name: str, limit: int, seconds: float) -> SlidingWindow:
        """This application's sliding window `name`: at most `limit` events per key in `seconds` (made on first use)."""
        if name not in self.windows:
            self.windows[name] = SlidingWindow(limit, seconds)
        return self.windows[name]

    async def write(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """Run a service in a write transaction, then deliver its events and start its outbox jobs (only
        after COMMIT; a job not run now, e.g. on a crash, is run at the next start)."""
        outcome = await self.db.write_delivering(fn, **kwargs)
        await self.after_commit(outcome)
        return outcome.result

    async def write_as(self, who: Callable[..., Any], fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """As `write`, with the caller found first in the same worker-thread hop: `who(session=)` in a read
        transaction answers the actor (or raises: nothing is written), then `fn(session=, actor=, **kwargs)`."""
        outcome = await self.db.write_as(who, fn, **kwargs)
        await self.after_commit(outcome)
        return outcome.result

    async def write_grouped(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """As `write`, but calls of `fn` that arrive together share one transaction (infra/groupcommit.py):
        for services many users call at the same moment (a vote's casts). Answers after the COMMIT."""
        return await self._group(fn, many=False)(**kwargs)

    async def write_many(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """As `write_grouped`, for a batched service that takes the calls that arrived together at once
        (`fn(session=..., calls=[...])` answering [(ok, result | error), ...]; infra/groupcommit.py)."""
        return await self._group(fn, many=True)(**kwargs)

    def _group(self, fn: Callable[..., Any], *, many: bool) -> GroupCommit:
        group = self.groups.get(fn)
        if group is None:
            group = self.groups[fn] = GroupCommit(self, fn, many=many)
        return group

    async def after_commit(self, outcome: Outcome) -> None:
        try:
            if outcome.jobs:
                self.run_jobs(outcome.jobs)
            if outcome.events:
                await self.publish(outcome.events)
        finally:
            if outcome.later:  # the events are on their way: now the rest (the audit checkpoint), before the answer
                await to_thread.run_sync(after_delivery.run, outcome.later)

    async def read(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        return await self.db.read(fn, **kwargs)
