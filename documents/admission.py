"""Who may wait for a worker pool, and for how long (documents/exports.py: the whole-file copies, the anonymous
signature check).

A job is sent to its pool only once one of the pool's workers is free for it (`Gate.slots` jobs in a pool at a time):
the others wait here, in arrival order, where waiting costs nothing and can be given up. So
- a job whose client has gone away while it waited is never started (`Gate.wait` watches the connection);
- the waiting line is bounded (`queue`): beyond it the request is answered 503 `busy` with Retry-After at once;
- one caller (`key`: a user, an anonymous client's address) holds at most `per_key` jobs, running or waiting, so
  no one's jobs sit ahead of everyone else's: beyond it 429 with Retry-After;
- a free worker goes to the waiting job whose caller has the fewest jobs running (arrival order among equals): a
  caller's second job waits behind the first job of everyone else.
A job that has started runs to its end (a worker cannot be interrupted cheaply), and holds its slot until then."""

from __future__ import annotations

import asyncio
import weakref
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Callable

from starlette.requests import Request

from core.errors import DomainError, RateLimited
from core.i18n import N_

BUSY = N_("Máy chủ đang bận xử lý các yêu cầu khác; hãy thử lại sau {seconds} giây.")
IN_FLIGHT = N_("Bạn đang có {count} yêu cầu tải tệp PDF chưa xong; hãy chờ chúng xong rồi thử lại.")
GONE = N_("Yêu cầu đã bị hủy vì kết nối đã đóng.")


class Busy(DomainError):
    """Every worker of the pool is taken and the waiting line is full: try again later (Retry-After)."""

    code = "busy"
    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__(BUSY, seconds=retry_after, details={"reason": "busy"})
        self.retry_after = retry_after


class ClientGone(DomainError):
    """The client closed its connection while its job waited: nobody reads this answer (nginx's 499)."""

    code = "client_gone"
    status = 499


@dataclass(frozen=True)
class Caller:
    """Whose job it is: `key` (None: nobody's in particular) holds at most `per_key` jobs (0: any number), the line
    holds at most `queue` waiting jobs (None: any number), `request` is watched while the job waits."""

    key: str | None = None
    request: Request | None = None
    per_key: int = 0
    queue: int | None = None
    retry_after: int = 5
    in_flight: str = IN_FLIGHT  # the refusal past `per_key` ({count}: per_key)


@dataclass(eq=False)
class Ticket:
    key: str | None
    granted: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    left: bool = False


class Gate:
    """The admission of one pool of one application (`gate_for`)."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.running = 0
        self.waiting: deque[Ticket] = deque()
        self.held: Counter[str] = Counter()  # running or waiting, by key
        self.active: Counter[str] = Counter()  # running, by key
        self.started = 0  # jobs given a worker
        self.abandoned = 0  # jobs whose client went away before they started: never run
        self._tick = asyncio.Event()

    def enter(self, caller: Caller) -> Ticket:
        """A place for `caller`'s job, now (no await in between: the line's order is the requests' order)."""
        if caller.key is not None and caller.per_key and self.held[caller.key] >= caller.per_key:
            raise RateLimited(
                caller.in_flight, count=caller.per_key, retry_after=caller.retry_after, details={"reason": "in_flight"}
            )
        full = caller.queue is not None and len(self.waiting) >= caller.queue
        if self.running >= self.slots and full:
            raise Busy(caller.retry_after)
        ticket = Ticket(caller.key)
        if caller.key is not None:
            self.held[caller.key] += 1
        self.waiting.append(ticket)
        self._grant()
        return ticket

    async def wait(self, ticket: Ticket, request: Request | None) -> None:
        """Until `ticket` has a worker; ClientGone (the ticket left) when `request`'s client goes away first."""
        try:
            if not ticket.granted.done() and request is not None:
                watch = asyncio.ensure_future(_disconnected(request))
                try:
                    await asyncio.wait({ticket.granted, watch}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    watch.cancel()
                if not ticket.granted.done():
                    raise ClientGone(GONE)
            await ticket.granted
            if request is not None and await request.is_disconnected():
                raise ClientGone(GONE)
        except BaseException as exc:
            if isinstance(exc, ClientGone) or not ticket.granted.done():
                self.abandoned += 1
            self.leave(ticket)
            raise
        self.started += 1
        self._changed()

    def leave(self, ticket: Ticket) -> None:
        """The job is over (or was never started): its place goes to the next in line."""
        if ticket.left:
            return
        ticket.left = True
        if ticket.key is not None:
            self.held[ticket.key] -= 1
            if self.held[ticket.key] <= 0:
                del self.held[ticket.key]
        if ticket.granted.done() and not ticket.granted.cancelled():
            self.running -= 1
            if ticket.key is not None:
                self.active[ticket.key] -= 1
                if self.active[ticket.key] <= 0:
                    del self.active[ticket.key]
        else:
            self.waiting.remove(ticket)
            ticket.granted.cancel()
        self._grant()

    async def until(self, condition: Callable[[Gate], bool]) -> None:
        """Wait for the gate to be in a state (tests, and a look at what it does)."""
        while not condition(self):
            await self._tick.wait()

    def _grant(self) -> None:
        while self.running < self.slots and self.waiting:
            # the first waiting job of the caller with the fewest running (min keeps arrival order among equals)
            ticket = min(self.waiting, key=lambda t: self.active[t.key] if t.key is not None else 0)
            self.waiting.remove(ticket)
            self.running += 1
            if ticket.key is not None:
                self.active[ticket.key] += 1
            ticket.granted.set_result(None)
        self._changed()

    def _changed(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()


async def _disconnected(request: Request) -> None:
    """Returns once the client has closed the connection (the request's body has been read, or there is none)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


_GATES: weakref.WeakKeyDictionary[Any, dict[str, Gate]] = weakref.WeakKeyDictionary()


def gate_for(owner: Any, purpose: str, slots: int) -> Gate:
    """`owner`'s (an application's renderer) gate for the pool `purpose`, made on first use."""
    gates = _GATES.setdefault(owner, {})
    if purpose not in gates:
        gates[purpose] = Gate(slots)
    return gates[purpose]
