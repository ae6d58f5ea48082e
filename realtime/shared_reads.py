"""One database read for many sockets asking the same thing at the same moment.

After a reconnect wave (the hall's Wi-Fi comes back) hundreds of tablets send `meeting:sync` with the same
`since`. Each used to cost a worker-thread hop, a session, the user's and participant's rows and the same
event query. Requests whose answer depends only on the same key now wait for one read in flight.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Hashable


class SharedReads:
    def __init__(self) -> None:
        self.inflight: dict[Hashable, asyncio.Future[Any]] = {}
        self.reads = 0  # how many reads ran (tests, bench)

    async def once(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        fut = self.inflight.get(key)
        if fut is None:
            fut = asyncio.ensure_future(self._run(key, read))
            self.inflight[key] = fut
        return await asyncio.shield(fut)

    async def _run(self, key: Hashable, read: Callable[[], Awaitable[Any]]) -> Any:
        try:
            self.reads += 1
            return await read()
        finally:
            self.inflight.pop(key, None)
