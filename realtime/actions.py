"""The socket edge's plumbing: who each socket is, how many sockets a user holds and the event rate they share,
and the ack-returning wrapper every client -> server event goes through. Domain handler modules register their
events on it."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any, Awaitable, Callable, TypeVar

import socketio
from pydantic import BaseModel

from core.actor import Actor
from infra.batched import BatchedReads
from infra.context import AppContext
from web.auth import lookup_many
from web.http import validate
from infra.ratelimit import TokenBucket
from meetings.display_rules import token_id_of, working_ids
from core.errors import DomainError, Forbidden, RateLimited, Unauthenticated, ValidationFailed
from core.i18n import DEFAULT_LANG, N_, translate
from realtime.audience import Rooms
from realtime.connect_limit import Known
from realtime.direct import spawn
from realtime.guarded import MAX_FRAME_BYTES
from realtime.shared_reads import SharedReads
from web.i18n import environ_lang
from web.sockets import INTERNAL, Handler

log = logging.getLogger("ecabinet.realtime")
ENDED = N_("Phiên đăng nhập đã kết thúc hoặc tài khoản đã thay đổi; vui lòng đăng nhập lại.")
K = TypeVar("K", int, str)
# What a user's sockets may send, in bytes a second, charged as each frame arrives and before it is decoded
# (realtime/guarded.py): decoding costs per byte, so the event budget alone, consulted after, bounded nothing. The
# burst lets two of the largest frames through at once; a presenter drawing sends a few KB a second.
FRAME_BYTES_PER_SECOND = 64 * 1024
FRAME_BYTES_BURST = 2 * MAX_FRAME_BYTES
ENDED_KEPT = 4096  # how many sockets closed for an ended login session are remembered (SocketActions.ended)
TOO_MANY = N_(
    "Tài khoản này đang mở {limit} kết nối trực tiếp, mức tối đa; hãy đóng bớt thẻ hoặc thiết bị khác rồi thử lại."
)
TOO_MANY_SCREENS = N_(
    "Liên kết màn hình phòng họp này đang mở {limit} kết nối trực tiếp, mức tối đa; hãy đóng bớt màn hình đang "
    "dùng liên kết này rồi thử lại."
)
SCREEN_ENDED = N_("Mã màn hình không hợp lệ, đã hết hạn hoặc đã bị thu hồi; xin Văn phòng cấp mã mới.")
EXTRA_ARGS = N_("Mỗi sự kiện nhận tối đa một đối số (dữ liệu của nó); đã gửi {sent}.")
# All a room display (Actor.is_display) may do; the services then limit it to its one meeting.
DISPLAY_EVENTS = frozenset({"meeting:join", "meeting:sync", "meeting:leave"})
# Every event the server sends to clients (docs/realtime-protocol.md "Server -> client"; tests/test_protocol_doc.py
# checks the doc and every emit in the code against it). What clients may send is SocketActions.accepted.
SERVER_EVENTS = frozenset(
    {
        "event",
        "presence",
        "annotation",
        "poll",
        "documents",
        "notification",
        "notices",
        "pointer",
        "rtc:muted",
        "rtc:layer",
        "rtc:ended",
        "rtc:publish",
    }
)


class SocketActions:
    """The socket edge: implements web/sockets.py's SocketActions, what the domains' socket modules register on."""

    def __init__(self, sio: socketio.AsyncServer, ctx: AppContext) -> None:
        self.sio = sio
        self.ctx = ctx
        self.actors: dict[str, Actor] = {}
        # sid -> its event budget: a login user's sockets share one (user_buckets), so more sockets are not more
        # throughput; so do a room display's sockets of one link (screen_buckets, by the display actor's name).
        self.buckets: dict[str, TokenBucket] = {}
        self.user_buckets: dict[int, TokenBucket] = {}
        self.screen_buckets: dict[str, TokenBucket] = {}
        # sid -> its byte budget, shared by a user's (a link's) sockets the same way (user_bytes, screen_bytes)
        self.frame_bytes: dict[str, TokenBucket] = {}
        self.user_bytes: dict[int, TokenBucket] = {}
        self.screen_bytes: dict[str, TokenBucket] = {}
        self.sockets_of: dict[int, set[str]] = {}  # user id -> its login sockets on this node (the per-user cap)
        self.screens_of: dict[str, set[str]] = {}  # display actor's name (one per token) -> its sockets here
        self.rooms = Rooms(sio, ctx, self.actors)  # which meetings each socket follows, with which audiences
        self.session_of: dict[str, str] = {}  # sid -> login session key (SHA-256 of the cookie)
        # sid -> the session cookie it connected with: its session and user are read again before every event the
        # socket sends and every few seconds while it only listens (realtime/recheck.py), as every HTTP request is.
        self.tokens: dict[str, str] = {}
        # The cookies of sockets connecting or acting together: one read per batch (infra/batched.py).
        self.logins = BatchedReads(lambda tokens: ctx.read(partial(lookup_many, ctx), tokens=tokens))
        # The session keys (and display links) whose read lately found them valid: their connects may still read
        # when their address's connect budget is spent (realtime/connect_limit.py). Forgotten as a session ends.
        self.known = Known()
        self.screens = BatchedReads(self._links_work)  # the same for hall displays' links (their events are few)
        self.langs: dict[str, str] = {}  # sid -> the language its acks' messages are in (app/i18n.environ_lang)
        self.on_disconnect: list[Callable[[str], None]] = []  # e.g. remote attendance's grace (realtime/rtc.py)
        # Sockets closed because their login session ended (logout, a replaced login, the account locked, its
        # password reset or its role changed: end_session, still), the most recent ENDED_KEPT (sids are never
        # reused): what hangs on them ends at once instead of waiting for them to come back (realtime/rtc.py:
        # remote media gets no reconnect grace). Kept past the disconnect: a handler that finds its socket gone
        # after an await asks too.
        self.ended: dict[str, None] = {}
        # Told of every committed envelope this node delivers (whichever node recorded it): caches kept by the
        # domains' socket modules drop what an event may have changed (annotations/socket.py: the pointer's check).
        self.on_event: list[Callable[[dict[str, Any]], None]] = []
        self.accepted: dict[str, type[BaseModel] | None] = {}  # client -> server event -> its payload model
        self.shared_reads = SharedReads()  # many sockets asking the same at once: one read (meeting:sync)
        # Sends to a meeting room; the app factory sets the broadcaster's fast fan-out (realtime/broadcast.py).
        self.to_room: Callable[[str, Any, str], Awaitable[None]] = self._emit
        if hasattr(sio, "frame_gate"):  # realtime/guarded.py: a signed-in socket's frames, before decoding
            sio.frame_gate = self.frame_admitted

    async def _emit(self, event: str, data: Any, to: str) -> None:
        await self.sio.emit(event, data, room=to)

    def connected(self, sid: str, actor: Actor, session_key: str | None = None, token: str | None = None) -> None:
        """Admit a socket of `actor` (a login user when `token` is given, else a room display). A user already at
        `sockets_per_user` sockets on this node, or a display token at `sockets_per_display`, is refused
        (ConnectionRefusedError: the client's connect_error): whoever holds a cookie or a hall's display link
        cannot open sockets without bound."""
        if token:
            mine = self.sockets_of.setdefault(actor.id, set())
            self._admit(sid, mine, self.ctx.settings.sockets_per_user, TOO_MANY)
            mine.add(sid)
            self.tokens[sid] = token
            self.buckets[sid] = self._user_bucket(actor.id)
            self.frame_bytes[sid] = self._shared(self.user_bytes, actor.id, _byte_bucket)
        else:
            screens = self.screens_of.setdefault(actor.username, set())
            self._admit(sid, screens, self.ctx.settings.sockets_per_display, TOO_MANY_SCREENS)
            screens.add(sid)
            self.buckets[sid] = self._shared(self.screen_buckets, actor.username, self._bucket, self.screens_of)
            self.frame_bytes[sid] = self._shared(self.screen_bytes, actor.username, _byte_bucket, self.screens_of)
        if session_key:
            self.session_of[sid] = session_key
        self.actors[sid] = actor

    def _admit(self, sid: str, held: set[str], limit: int, refusal: str) -> None:
        if limit and len(held) >= limit:  # (so `held` is not empty: nothing is left behind)
            lang = environ_lang(self.sio.get_environ(sid) or {})
            message = translate(refusal, lang, limit=limit)
            # socket.io's connect_error: err.message, and err.data as the client pages read it (data.message)
            error = {"code": "too_many_connections", "message": message}
            raise socketio.exceptions.ConnectionRefusedError(message, error)

    def _bucket(self) -> TokenBucket:
        rate = self.ctx.settings.socket_rate_per_second
        return TokenBucket(rate, burst=rate * 2)

    def _user_bucket(self, user_id: int) -> TokenBucket:
        return self._shared(self.user_buckets, user_id, self._bucket)

    def _shared(
        self,
        table: dict[K, TokenBucket],
        key: K,
        make: Callable[[], TokenBucket],
        held: dict[K, set[str]] | None = None,
    ) -> TokenBucket:
        """The budget a user's sockets share (a display link's: `held` is screens_of). It outlives the last socket
        until it has refilled (a reconnect does not bring a fresh burst). Those of users gone whose budgets have
        refilled are dropped as the table grows: the same as new ones."""
        live: dict[Any, set[str]] = self.sockets_of if held is None else held
        bucket = table.get(key)
        if bucket is None:
            if len(table) > 2 * len(live) + 64:
                now = time.monotonic()
                for gone in [k for k, b in table.items() if k not in live and _full(b, now)]:
                    del table[gone]
            bucket = table[key] = make()
        return bucket

    def frame_admitted(self, sid: str, size: int) -> bool:
        """Whether `sid`'s user may send a frame of `size` bytes now (charged if so); before it is decoded."""
        bucket = self.frame_bytes.get(sid)
        return bucket is None or _take(bucket, size)

    def lang(self, sid: str) -> str:
        return self.langs.get(sid, DEFAULT_LANG)

    def disconnected(self, sid: str) -> Actor | None:
        self.session_of.pop(sid, None)
        self.tokens.pop(sid, None)
        self.langs.pop(sid, None)
        self.buckets.pop(sid, None)
        self.frame_bytes.pop(sid, None)
        gone = self.actors.pop(sid, None)
        if gone is not None and gone.is_display:
            _release(self.screens_of, gone.username, sid)
        elif gone is not None:
            _release(self.sockets_of, gone.id, sid)
        for hook in self.on_disconnect:
            hook(sid)
        return gone

    async def end_session(self, session_key: str) -> None:
        """Logout: the sockets opened with that login session close too (a shared tablet stops following)."""
        self.known.forget(session_key)  # its connects have only their address's budget again
        for sid in [sid for sid, key in self.session_of.items() if key == session_key]:
            self._mark_ended(sid)
            await self.sio.disconnect(sid)

    def close_ended(self, sid: str) -> None:
        """Close `sid`: what let it in has ended (a login session, a display link)."""
        self._mark_ended(sid)
        spawn(self.sio.disconnect(sid))

    def _mark_ended(self, sid: str) -> None:
        """`sid` is closed because its login session ended (see `ended`)."""
        self.ended[sid] = None
        while len(self.ended) > ENDED_KEPT:
            del self.ended[next(iter(self.ended))]

    def session_ended(self, sid: str) -> bool:
        """Whether `sid` was closed because its login session ended (not a dropped network or a closed tab)."""
        return sid in self.ended

    async def current(self, sid: str, actor: Actor) -> Actor:
        """The socket's user as the database has it now (one read for the sockets asking together). A session
        that ended (logged out elsewhere, expired, its account deactivated) or whose user changed role closes the
        socket; the event is refused. So does a room display whose link no longer works (meetings/display_rules.py:
        its lifetime over, its creator deactivated...), from that moment, not only at the next recheck."""
        token = self.tokens.get(sid)
        if token is None:  # a room display: its link must still work (meetings/display_rules.py), not only at join
            if not await self.screens.call(token_id_of(actor)):
                self.close_ended(sid)
                raise Unauthenticated(SCREEN_ENDED)
            return actor
        if not self.still(sid, await self.logins.call(token)):
            raise Unauthenticated(ENDED)
        return self.actors.get(sid, actor)

    async def _links_work(self, token_ids: list[int | None]) -> list[tuple[bool, bool]]:
        tz = self.ctx.settings.timezone
        alive = await self.ctx.read(working_ids, token_ids={t for t in token_ids if t is not None}, timezone=tz)
        return [(True, t in alive) for t in token_ids]

    def still(self, sid: str, found: tuple[Actor, str] | None) -> bool:
        """Whether the socket's session, as just read (`found`), still admits it; if not, the socket is closed.
        A user whose role changed is closed too (its rooms were granted for the old role: the client connects
        again and joins afresh); a new name or unit is simply taken."""
        actor = self.actors.get(sid)
        if actor is None:  # gone meanwhile
            return False
        if found is None or (found[0].id, found[0].role) != (actor.id, actor.role):
            log.info("closing socket %s: its login session ended or its user changed", sid)
            self.known.forget(self.session_of.get(sid))
            self._mark_ended(sid)
            spawn(self.sio.disconnect(sid))
            return False
        if (key := self.session_of.get(sid)) is not None:
            self.known.seen(key)  # read again and still valid: known for a while longer
        self.actors[sid] = found[0]
        return True

    def in_meeting(self, sid: str, meeting_id: int) -> bool:
        return self.rooms.has(sid, meeting_id)

    def admit(self, sid: str, name: str) -> Actor:
        """The socket's user, if it may send `name` now: signed in, not a display (beyond its events), within its
        user's rate. Every event goes through this before anything else, whatever it carries."""
        actor = self.actors.get(sid)
        if actor is None:
            raise Unauthenticated("Phiên kết nối chưa xác thực.")
        if actor.is_display and name not in DISPLAY_EVENTS:
            raise Forbidden("Màn hình phòng họp chỉ hiển thị; không được thực hiện thao tác này.")
        if not self.buckets[sid].take():
            raise RateLimited("Gửi quá nhiều yêu cầu; vui lòng chậm lại.")
        return actor

    def action(self, name: str, model: type[BaseModel] | None, fn: Handler) -> None:
        """Register `name`: check the socket's user and rate, validate the payload, run, ack.
        Any failure becomes an error ack; the connection and the server carry on. python-socketio calls a
        handler with every argument the client sent: more than one (the payload) is refused, after the rate."""

        async def handler(sid: str, *args: Any) -> dict[str, Any]:
            try:
                actor = self.admit(sid, name)
                if len(args) > 1:
                    raise ValidationFailed(EXTRA_ARGS, sent=len(args))
                actor = await self.current(sid, actor)
                data = args[0] if args else None
                payload = validate(model, data) if model is not None else data
                return {"ok": True, "data": await fn(sid, actor, payload)}
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict(self.lang(sid))}
            except Exception:
                log.exception("socket event %s failed", name)
                return {
                    "ok": False,
                    "error": {"code": "internal_error", "message": translate(INTERNAL, self.lang(sid))},
                }

        self._register(name, model, handler)

    def raw(self, name: str, model: type[BaseModel] | None, handler: Callable[..., Awaitable[Any]]) -> None:
        """Register a socket.io handler as is (it does its own checks and acks), recorded with the others. It is
        given the one payload; more arguments are refused here, counted against the user's general rate."""

        async def one_payload(sid: str, *args: Any) -> Any:
            if len(args) <= 1:
                return await handler(sid, *args)
            try:
                self.admit(sid, name)
                raise ValidationFailed(EXTRA_ARGS, sent=len(args))
            except DomainError as exc:
                return {"ok": False, "error": exc.to_dict(self.lang(sid))}

        self._register(name, model, one_payload)

    def _register(self, name: str, model: type[BaseModel] | None, handler: Callable[..., Awaitable[Any]]) -> None:
        handler.payload_model = model  # type: ignore[attr-defined]  # what the payload fuzz test generates from
        self.accepted[name] = model
        self.sio.on(name, handler)


def _release(held: dict[K, set[str]], key: K, sid: str) -> None:
    if (mine := held.get(key)) is not None:
        mine.discard(sid)
        if not mine:
            del held[key]


def _full(bucket: TokenBucket, now: float) -> bool:
    """Whether the bucket has refilled (the same as a new one)."""
    return bucket.tokens + (now - bucket.stamp) * bucket.rate >= bucket.burst


def _byte_bucket() -> TokenBucket:
    return TokenBucket(FRAME_BYTES_PER_SECOND, burst=FRAME_BYTES_BURST)


def _take(bucket: TokenBucket, amount: int) -> bool:
    """TokenBucket.take for `amount` tokens at once (a frame's bytes)."""
    now = time.monotonic()
    bucket.tokens = min(bucket.burst, bucket.tokens + (now - bucket.stamp) * bucket.rate)
    bucket.stamp = now
    if bucket.tokens >= amount:
        bucket.tokens -= amount
        return True
    return False
