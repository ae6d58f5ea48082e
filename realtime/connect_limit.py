"""Socket.IO connects per client address: each one reads the database (the session cookie, or a hall display's
token), so one address may have at most PER_ADDRESS of them refused, or still being checked, in WINDOW_SECONDS.
An attempt is counted before its read (the same failure budget as sign-in, infra/ratelimit.py: in Redis when
several nodes share the work, this node's own count while Redis is unreachable) and forgotten once it is admitted:
a hall of tablets behind one address connects without limit as long as their logins are good; only the refused
ones, and those in flight at the same moment, count. One attempt per Engine.IO connection (realtime/guarded.py)
means each attempt also costs the client a new websocket.

Sizing: a hall of 1 000 tablets reconnecting at once (a node restarted, the Wi-Fi back) has a few hundred
connects in flight at the worst moment when the database is slow (socket.io spreads the reconnects over about a
second; a batch of cookies is one read, realtime/actions.py `logins`); its refusals (an expired login, a revoked
display link) are a handful, and the client does not retry a refused connect. 600 a minute leaves that hall its
margin and holds a flood to 10 reads a second per address (one socket had 1 700). The price: someone behind the
same address who sends that many bad connects keeps the address's connects refused (rate_limited, with the
seconds to wait) until the window passes; the first refusal of each window is logged with the address."""

from __future__ import annotations

import logging
import time
from typing import Any

import socketio

from core.errors import RateLimited
from core.i18n import N_
from infra.ratelimit import FailureBudget, Reservation, failure_budget
from infra.settings import Settings

log = logging.getLogger("ecabinet.realtime")
WINDOW_SECONDS = 60.0
PER_ADDRESS = 600
TOO_MANY = N_("Có quá nhiều lần kết nối trực tiếp bị từ chối từ địa chỉ này; vui lòng thử lại sau {seconds} giây.")


class ConnectLimit:
    """The connect attempts of each client address (see the module). A background loop of the app (`start`,
    `stop`: its Redis connection is closed with the app)."""

    def __init__(self, settings: Settings) -> None:
        self.budget: FailureBudget = failure_budget(WINDOW_SECONDS, settings.redis_url, settings.redis_channel)
        self.logged: dict[str, float] = {}  # address -> when its refusal was last logged (once per window)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.budget.close()

    async def reserve(self, environ: dict[str, Any], lang: str) -> Reservation:
        """Counts one connect of the socket's address (release it once admitted), or refuses it: socket.io's
        connect_error with `data: {code: "rate_limited", message}` in the socket's language."""
        address = str(environ.get("REMOTE_ADDR") or "?")
        try:
            return await self.budget.reserve({f"socket:addr:{address}": PER_ADDRESS}, TOO_MANY)
        except RateLimited as exc:
            self._log(address)
            error = exc.to_dict(lang)
            raise socketio.exceptions.ConnectionRefusedError(error["message"], error) from None

    def _log(self, address: str) -> None:
        now = time.monotonic()
        if now - self.logged.get(address, -WINDOW_SECONDS) >= WINDOW_SECONDS:
            if len(self.logged) > 1024:
                self.logged = {a: t for a, t in self.logged.items() if now - t < WINDOW_SECONDS}
            self.logged[address] = now
            log.warning(
                "socket connects from %s refused: %d refused or in flight within %.0f s",
                address,
                PER_ADDRESS,
                WINDOW_SECONDS,
            )
