"""Remote media across a cluster: a meeting's media lives on one node (the node that first served an rtc:*
event for it while no live node held it: Redis key <prefix>:media:<meeting>), and rtc:* signalling that
arrives at any other node is relayed to it over Redis and answered back.

The media node runs the same RemoteMedia handlers (realtime/rtc.py) for a socket held by another node; what
it sends to that socket (rtc:muted, rtc:ended...) reaches it through the cluster's socket.io manager. When
that socket disconnects, its node says so; when its node dies (no heartbeat), the media node notices by
itself: either way the participant's sessions get the usual grace, and an rtc:resume (or rtc:join) through
any node within it takes them over, the peer connection untouched. If the media node itself dies, the next
rtc:join through any node makes that node the meeting's media node, and each of its sessions (recorded in
Redis) is claimed by a live node that ends it after the grace unless the participant joined again.

While Redis is unreachable nothing can be relayed or claimed: rtc:* for a meeting whose media is known to live
on this node is served as usual, any other is refused with media_unavailable (503: try again), never claimed
(two nodes could both take it); sessions started or ended meanwhile are recorded once Redis answers again."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import asdict
from typing import Any, Awaitable, Callable

from pydantic import BaseModel
from redis.exceptions import RedisError

from core.actor import Actor
from accounts.models import GlobalRole
from infra.cluster import Cluster, Subscription
from core.errors import DomainError

log = logging.getLogger("ecabinet.rtc")
_DOWN = (RedisError, OSError, TimeoutError)  # Redis unreachable, restarting or refusing
_UNAVAILABLE: dict[str, Any] = {
    "code": "media_unavailable",
    "status": 503,
    "message": "Máy chủ truyền hình trực tuyến chưa sẵn sàng; vui lòng thử lại.",
}
Handler = Callable[[str, Actor, Any], Awaitable[Any]]

# The meeting's media node: the one recorded while it is alive, else this one (no TTL: liveness decides).
_OWNER = """
local current = redis.call('GET', KEYS[1])
if current and redis.call('EXISTS', ARGV[2] .. ':node:' .. current) == 1 then return current end
if ARGV[3] == '0' then return false end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""


# Remote participants' sessions, cluster-wide: hash <prefix>:rtc-sessions, "meeting|user" -> {node, actor,
# expiring?}. A session whose media node is dead is claimed by a live node (at its heartbeat), which ends it
# after the grace unless it was joined again meanwhile (a fresh entry replaces the claimed one).
_CLAIM_LOST = """
local claimed = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local entry = cjson.decode(all[i + 1])
  if redis.call('EXISTS', ARGV[1] .. ':node:' .. entry.node) == 0 then
    entry.node = ARGV[2]
    entry.expiring = true
    local encoded = cjson.encode(entry)
    redis.call('HSET', KEYS[1], all[i], encoded)
    table.insert(claimed, all[i])
    table.insert(claimed, encoded)
  end
end
return claimed
"""
# Remove the entry if it is still this node's (ARGV[2] = "1": and still the claimed, expiring one).
_END_IF_MINE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.node ~= ARGV[3] then return 0 end
if ARGV[2] == '1' and not entry.expiring then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""


def _relayed_error(body: dict[str, Any]) -> DomainError:
    message = str(body.get("message", ""))  # the media node's own error message (a catalogue text), passed on as it is
    err = DomainError(message, details=body.get("details"))
    err.code, err.status = body.get("code", "error"), int(body.get("status", 400))
    return err


class RtcRelay:
    def __init__(self, cluster: Cluster, remote: Any) -> None:
        self.cluster = cluster
        self.remote = remote  # realtime.rtc.RemoteMedia
        self.redis = cluster.redis
        self._owner = self.redis.register_script(_OWNER)
        self._claim_lost = self.redis.register_script(_CLAIM_LOST)
        self._end_if_mine = self.redis.register_script(_END_IF_MINE)
        self.sessions_key = cluster.key("rtc-sessions")
        self.handlers: dict[str, tuple[type[BaseModel], Handler]] = {}
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.origin: dict[str, str] = {}  # socket held by another node -> that node (sockets we host media for)
        self.forwarded: dict[str, set[str]] = {}  # our socket -> media nodes that know it
        self.owners: dict[int, str] = {}  # meeting -> its media node as Redis last said (served on in an outage)
        self.unwritten: dict[str, dict[str, Any] | None] = {}  # sessions' entries to write (None: to remove)
        self.untold: list[tuple[str, dict[str, Any]]] = []  # messages to send once Redis answers again
        remote.route = self.route
        remote.relay = self
        remote.is_remote = lambda sid: sid in self.origin
        cluster.services.append(Subscription(self.redis, self.channel(cluster.node_id), self._serve, concurrent=True))
        cluster.on_beat(self._write_pending)
        cluster.on_beat(self._check_origins)
        cluster.on_beat(self._claim_lost_sessions)

    def channel(self, node: str) -> str:
        return self.cluster.key("rtc", node)

    async def owner(self, meeting_id: int, *, claim: bool = True) -> str | None:
        """The meeting's media node (claimed for this node when none is alive). Redis unreachable: this node if
        it was, else refused when claiming (media_unavailable) and None otherwise (nothing can be relayed)."""
        c = self.cluster
        if c.reachable:
            try:
                raw = await self._owner(
                    keys=[c.key("media", meeting_id)], args=[c.node_id, c.prefix, "1" if claim else "0"]
                )
            except _DOWN as exc:
                c.lost(exc)
            else:
                node = raw.decode() if isinstance(raw, bytes) else raw
                if node:
                    self.owners[meeting_id] = node
                return node
        # Nobody takes a meeting over from this node meanwhile: that needs its liveness key to expire in Redis.
        if self.owners.get(meeting_id) == c.node_id:
            return c.node_id
        if claim:
            raise _relayed_error(_UNAVAILABLE)
        return None

    # --- the web side: an rtc:* event from one of our sockets ---------------------------------------
    def route(self, name: str, model: type[BaseModel], fn: Handler) -> Handler:
        self.handlers[name] = (model, fn)

        async def routed(sid: str, actor: Actor, p: Any) -> Any:
            node = await self.owner(p.meeting_id)
            assert node is not None  # a claiming owner() is never None: this node takes a meeting without one
            if node == self.cluster.node_id:
                return await fn(sid, actor, p)
            self.forwarded.setdefault(sid, set()).add(node)
            return await self._ask(
                node, {"op": name, "sid": sid, "actor": _actor_json(actor), "payload": p.model_dump()}
            )

        return routed

    async def _ask(self, node: str, message: dict[str, Any], timeout: float = 20) -> Any:
        rid = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        message = {**message, "id": rid, "from": self.cluster.node_id}
        try:
            await self.redis.publish(self.channel(node), json.dumps(message))
            reply = await asyncio.wait_for(future, timeout)
        except _DOWN as exc:
            if isinstance(exc, RedisError):
                self.cluster.lost(exc)
            raise _relayed_error(_UNAVAILABLE) from None
        finally:
            self.pending.pop(rid, None)
        if not reply["ok"]:
            raise _relayed_error(reply["error"])
        return reply["data"]

    def socket_gone(self, sid: str) -> None:
        """One of our sockets disconnected: the media nodes that host its sessions start their grace (or, when its
        login session ended, end them at once: `ended`)."""
        ended = self.remote.session_ended(sid)
        for node in self.forwarded.pop(sid, ()):
            message = {"op": "socket_gone", "sid": sid, "ended": ended, "from": self.cluster.node_id}
            asyncio.ensure_future(self._tell(node, message, keep=True))

    async def _tell(self, node: str, message: dict[str, Any], *, keep: bool = False) -> None:
        """A message no one awaits. Redis unreachable: sent again at the first heartbeat it answers when `keep`
        (a socket gone: its sessions' grace must start), else dropped (a reply the asker stopped waiting for)."""
        try:
            await self.redis.publish(self.channel(node), json.dumps(message))
        except _DOWN as exc:
            self.cluster.lost(exc)
            log.info("rtc %s to node %s not sent: %s", message.get("op"), node, exc)
            if keep:
                self.untold.append((node, message))

    async def observe(self, events: list[dict[str, Any]]) -> None:
        """The floor and the end of a meeting, committed here, reach the meeting's media node elsewhere."""
        for mid in {env["meeting_id"] for env in events if isinstance(env.get("meeting_id"), int)}:
            node = await self.owner(mid, claim=False)
            if node and node != self.cluster.node_id:
                mine = [env for env in events if env.get("meeting_id") == mid]
                message = {"op": "observe", "events": mine, "from": self.cluster.node_id}
                await self._tell(node, message)

    # --- the media side: a request relayed from another node ---------------------------------------
    async def _serve(self, message: dict[str, Any]) -> None:
        if "reply_to" in message:
            if (future := self.pending.get(message["reply_to"])) and not future.done():
                future.set_result(message)
            return
        op, sender = message.get("op"), message.get("from", "")
        if op == "socket_gone":
            if self.origin.pop(message["sid"], None) is not None:
                self.remote.socket_gone(message["sid"], ended=bool(message.get("ended")))
            return
        if op == "observe":
            await self.remote.observe(message["events"], relayed=True)
            return
        reply: dict[str, Any] = {"reply_to": message.get("id")}
        try:
            model, fn = self.handlers[str(op)]
            self.origin[message["sid"]] = sender
            reply.update(
                ok=True,
                data=await fn(message["sid"], _actor(message["actor"]), model.model_validate(message["payload"])),
            )
        except DomainError as exc:
            reply.update(ok=False, error={**exc.to_dict(), "status": exc.status})
        except Exception:
            log.exception("relayed %s failed", op)
            reply.update(
                ok=False, error={"code": "internal_error", "status": 500, "message": "Lỗi hệ thống; vui lòng thử lại."}
            )
        await self._tell(sender, reply)  # lost with Redis: the asking node answers media_unavailable on its timeout

    # --- sessions whose media node died ----------------------------------------------------------
    async def session_started(self, key: tuple[int, int, bool], actor: Actor) -> None:
        """Recorded for a takeover should this node die; Redis unreachable: at the first heartbeat it answers
        (the join itself goes on)."""
        field = f"{key[0]}|{key[1]}"
        self.unwritten[field] = {"node": self.cluster.node_id, "actor": _actor_json(actor)}
        await self._write(field)

    async def session_ended(self, key: tuple[int, int, bool]) -> None:
        field = f"{key[0]}|{key[1]}"
        self.unwritten[field] = None
        await self._write(field)

    async def _write(self, field: str) -> None:
        if not self.cluster.reachable or field not in self.unwritten:
            return
        entry = self.unwritten[field]
        try:
            if entry is None:
                await self._end_if_mine(keys=[self.sessions_key], args=[field, "0", self.cluster.node_id])
            else:
                await self.redis.hset(self.sessions_key, field, json.dumps(entry))
        except _DOWN as exc:
            self.cluster.lost(exc)
            return
        if self.unwritten.get(field) is entry:  # not changed meanwhile
            del self.unwritten[field]

    async def _write_pending(self) -> None:
        for field in list(self.unwritten):
            await self._write(field)
        untold, self.untold = self.untold, []
        for node, message in untold:
            await self._tell(node, message, keep=True)

    async def _claim_lost_sessions(self) -> None:
        claimed = await self._claim_lost(keys=[self.sessions_key], args=[self.cluster.prefix, self.cluster.node_id])
        for field, raw in zip(claimed[::2], claimed[1::2]):
            field = field.decode() if isinstance(field, bytes) else field
            asyncio.ensure_future(self._end_lost(field, json.loads(raw)))

    async def _end_lost(self, field: str, entry: dict[str, Any]) -> None:
        """The media node died with this session: after the grace, unless joined again, the video is lost."""
        from meetings.models import AttendanceSource

        await asyncio.sleep(self.cluster.settings.rtc_grace_seconds)
        if await self._end_if_mine(keys=[self.sessions_key], args=[field, "1", self.cluster.node_id]):
            meeting_id = int(field.split("|")[0])
            log.info("remote session %s: its media node died and it did not come back; leaving", field)
            await self.remote._presence(_actor(entry["actor"]), meeting_id, False, source=AttendanceSource.video_lost)

    async def _check_origins(self) -> None:
        """Sockets held by a node that died: as if each had disconnected (grace, then leave)."""
        for node in set(self.origin.values()):
            if not await self.redis.exists(self.cluster.key("node", node)):
                for sid in [s for s, n in self.origin.items() if n == node]:
                    del self.origin[sid]
                    self.remote.socket_gone(sid)


def _actor_json(actor: Actor) -> dict[str, Any]:
    data = asdict(actor)
    data["role"] = actor.role.value
    return data


def _actor(data: dict[str, Any]) -> Actor:
    return Actor(**{**data, "role": GlobalRole(data["role"])})
