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
margin and holds a flood to 10 reads a second per address (one socket had 1 700).

One device behind the hall's address (its Wi-Fi, a ministry's NAT) sending that many bad connects spends the
address's budget for everyone behind it. So the credentials this node has lately seen work (`Known`: a login
session's key, a display link's digest; only a database read that admitted a socket, or found its session still
valid, puts one there) are let through to their read even then, each within its own budget: PER_CREDENTIAL
connects a minute, every one counted, admitted or not (a stolen cookie's reconnect storm stays a trickle). The
read stays the authority: a credential it refuses is forgotten at once, and so is a session that ends on this node
(logout, a replaced login, a password change or reset, a deactivation, a new role: SocketActions.end_session) or
that a recheck finds ended (SocketActions.still: another node ended it). A credential never seen, or forgotten,
has only the address's budget: a flood of made-up or revoked ones reads nothing past it. The known credentials are
this node's own (a tablet whose reconnect reaches another node is new there) and at most KNOWN_MOST, each for
KNOWN_SECONDS after its last good read (a connected socket's session is read again every few seconds,
realtime/recheck.py). Past either budget a connect is refused without a read (rate_limited, with the seconds to
wait); the first refusal of each window is logged with the address."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import socketio

from accounts.services import session_key
from core.errors import RateLimited
from core.i18n import N_
from infra.ratelimit import FailureBudget, Reservation, failure_budget
from infra.settings import Settings
from web.auth import cookie_from_header, cookie_name

log = logging.getLogger("ecabinet.realtime")
WINDOW_SECONDS = 60.0
PER_ADDRESS = 600
# Connects a minute of one known credential once its address's budget is spent: a tablet's reconnects and page
# loads, or the screens of one display link (ECABINET_SOCKETS_PER_DISPLAY, 8) coming back together, with margin.
PER_CREDENTIAL = 30
# A working day (a login lasts ECABINET_SESSION_TTL_HOURS, 12; a display link until its meeting's day ends): a
# screen connected all morning is still known when it drops. A credential kept too long costs one read: refused, it
# is forgotten.
KNOWN_SECONDS = 12 * 3600.0
KNOWN_MOST = 20_000  # credentials remembered (only ones a read found valid are): the oldest go first
TOO_MANY = N_("Có quá nhiều lần kết nối trực tiếp bị từ chối từ địa chỉ này; vui lòng thử lại sau {seconds} giây.")
TOO_MANY_SAME = N_(
    "Có quá nhiều lần kết nối trực tiếp bằng cùng phiên đăng nhập hoặc mã màn hình này; vui lòng thử lại sau "
    "{seconds} giây."
)


class Known:
    """The credentials this node's database reads lately found valid: digest -> until when (monotonic), oldest
    first. A session's digest is its session key (accounts/services.py session_key), as SocketActions files its
    sockets under; a display link's is `display_digest`."""

    def __init__(self) -> None:
        self.until: dict[str, float] = {}

    def seen(self, digest: str) -> None:
        self.until.pop(digest, None)  # to the end: the oldest are dropped first
        self.until[digest] = time.monotonic() + KNOWN_SECONDS
        while len(self.until) > KNOWN_MOST:
            del self.until[next(iter(self.until))]

    def forget(self, digest: str | None) -> None:
        if digest is not None:
            self.until.pop(digest, None)

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, str) or (until := self.until.get(digest)) is None:
            return False
        if until <= time.monotonic():
            del self.until[digest]
            return False
        return True


def display_digest(token: str) -> str:
    return "display:" + hashlib.sha256(token.encode()).hexdigest()


class Attempt:
    """One connect let through to its read. `admitted` or `refused` once the read answered, `release` when it
    failed otherwise (e.g. the database was busy): an address's attempt is then forgotten, not counted as a
    refusal. An attempt let through on its credential's budget stays counted there whatever happens."""

    def __init__(self, limit: "ConnectLimit", held: Reservation | None, credential: str | None) -> None:
        self.limit, self.held, self.credential = limit, held, credential

    async def release(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            await held.release()

    async def admitted(self) -> None:
        await self.release()
        if self.credential is not None:
            self.limit.known.seen(self.credential)

    def refused(self, exc: socketio.exceptions.ConnectionRefusedError) -> None:
        """The read refused the connect: a credential that no longer works is forgotten (one over its socket cap,
        too_many_connections, still works)."""
        data = exc.error_args.get("data")
        if not (isinstance(data, dict) and data.get("code") == "too_many_connections"):
            self.limit.known.forget(self.credential)


class ConnectLimit:
    """The connect attempts of each client address, and of each known credential (see the module). A background
    loop of the app (`start`, `stop`: its Redis connection is closed with the app)."""

    def __init__(self, settings: Settings, known: Known | None = None) -> None:
        self.budget: FailureBudget = failure_budget(WINDOW_SECONDS, settings.redis_url, settings.redis_channel)
        self.cookie = cookie_name(settings)
        self.known = known if known is not None else Known()
        self.logged: dict[str, float] = {}  # address (or address|credential) -> when its refusal was last logged

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.budget.close()

    async def reserve(self, environ: dict[str, Any], lang: str, auth: Any = None) -> Attempt:
        """Counts one connect of the socket's address (release it once admitted), or, past the address's budget,
        of its credential if known; or refuses it: socket.io's connect_error with `data: {code: "rate_limited",
        message}` in the socket's language. `auth`: what the client sent with its CONNECT (a display token)."""
        address = str(environ.get("REMOTE_ADDR") or "?")
        credential = self._credential(environ, auth)
        try:
            held = await self.budget.reserve({f"socket:addr:{address}": PER_ADDRESS}, TOO_MANY)
            return Attempt(self, held, credential)
        except RateLimited as exc:
            refusal, which = exc, ""
        if credential is not None and credential in self.known:
            try:
                await self.budget.reserve({_budget_key(credential): PER_CREDENTIAL}, TOO_MANY_SAME)
                return Attempt(self, None, credential)  # counted for good: never released
            except RateLimited as exc:
                refusal, which = exc, "one login or display link"
        self._log(address, which)
        error = refusal.to_dict(lang)
        raise socketio.exceptions.ConnectionRefusedError(error["message"], error) from None

    def _credential(self, environ: dict[str, Any], auth: Any) -> str | None:
        """The digest of what the connect will be read by, as realtime/handlers.py `_admit` chooses it: the display
        token sent with the CONNECT, else the session cookie."""
        display_token = auth.get("display_token") if isinstance(auth, dict) else None
        if display_token is not None:
            return display_digest(str(display_token))
        token = cookie_from_header(environ.get("HTTP_COOKIE"), self.cookie)
        return session_key(token) if token else None

    def _log(self, address: str, which: str) -> None:
        now = time.monotonic()
        key = f"{address}|{which}"
        if now - self.logged.get(key, -WINDOW_SECONDS) >= WINDOW_SECONDS:
            if len(self.logged) > 1024:
                self.logged = {a: t for a, t in self.logged.items() if now - t < WINDOW_SECONDS}
            self.logged[key] = now
            if which:
                log.warning(
                    "socket connects from %s refused: %d of %s within %.0f s",
                    address,
                    PER_CREDENTIAL,
                    which,
                    WINDOW_SECONDS,
                )
            else:
                log.warning(
                    "socket connects from %s refused: %d refused or in flight within %.0f s",
                    address,
                    PER_ADDRESS,
                    WINDOW_SECONDS,
                )


def _budget_key(credential: str) -> str:
    """A known credential's budget key: not its session key (what the database stores), which Redis need not hold."""
    return "socket:cred:" + hashlib.sha256(b"ecabinet-connect\0" + credential.encode()).hexdigest()[:32]
