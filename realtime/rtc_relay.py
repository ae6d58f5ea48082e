"""Remote media across a cluster: a meeting's media lives on one node (the node that first served an rtc:*
event for it while no live node held it: Redis key <prefix>:media:<meeting>), and rtc:* signalling that
arrives at any other node is relayed to it over Redis and answered back.

The media node runs the same RemoteMedia handlers (realtime/rtc.py) for a socket held by another node; what
it sends to that socket (rtc:muted, rtc:ended...) reaches it through the cluster's socket.io manager. When
that socket disconnects, its node says so; when its node dies (no heartbeat), the media node notices by
itself: either way the participant's sessions get the usual grace, and an rtc:resume (or rtc:join) through
any node within it takes them over, the peer connection untouched. If the media node itself dies, the next
rtc:join through any node makes that node the meeting's media node."""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
from dataclasses import asdict
from typing import Any, Awaitable, Callable

from pydantic import BaseModel

from accounts.actor import Actor
from accounts.models import GlobalRole
from app.cluster import Cluster, Subscription
from core.errors import DomainError

log = logging.getLogger("ecabinet.rtc")
Handler = Callable[[str, Actor, Any], Awaitable[Any]]

# The meeting's media node: the one recorded while it is alive, else this one (no TTL: liveness decides).
_OWNER = """
local current = redis.call('GET', KEYS[1])
if current and redis.call('EXISTS', ARGV[2] .. ':node:' .. current) == 1 then return current end
if ARGV[3] == '0' then return false end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""


def _relayed_error(body: dict[str, Any]) -> DomainError:
    err = DomainError(body.get("message", ""), details=body.get("details"))
    err.code, err.status = body.get("code", "error"), int(body.get("status", 400))
    return err


class RtcRelay:
    def __init__(self, cluster: Cluster, remote: Any) -> None:
        self.cluster = cluster
        self.remote = remote  # realtime.rtc.RemoteMedia
        self.redis = cluster.redis
        self._owner = self.redis.register_script(_OWNER)
        self.handlers: dict[str, tuple[type[BaseModel], Handler]] = {}
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.origin: dict[str, str] = {}  # socket held by another node -> that node (sockets we host media for)
        self.forwarded: dict[str, set[str]] = {}  # our socket -> media nodes that know it
        remote.route = self.route
        remote.relay = self
        remote.is_remote = lambda sid: sid in self.origin
        cluster.services.append(Subscription(self.redis, self.channel(cluster.node_id), self._serve, concurrent=True))
        cluster.on_beat(self._check_origins)

    def channel(self, node: str) -> str:
        return self.cluster.key("rtc", node)

    async def owner(self, meeting_id: int, *, claim: bool = True) -> str | None:
        c = self.cluster
        raw = await self._owner(keys=[c.key("media", meeting_id)], args=[c.node_id, c.prefix, "1" if claim else "0"])
        return raw.decode() if isinstance(raw, bytes) else raw

    # --- the web side: an rtc:* event from one of our sockets ---------------------------------------
    def route(self, name: str, model: type[BaseModel], fn: Handler) -> Handler:
        self.handlers[name] = (model, fn)

        async def routed(sid: str, actor: Actor, p: Any) -> Any:
            node = await self.owner(p.meeting_id)
            if node == self.cluster.node_id:
                return await fn(sid, actor, p)
            self.forwarded.setdefault(sid, set()).add(node)  # type: ignore[arg-type]
            return await self._ask(node, {"op": name, "sid": sid, "actor": _actor_json(actor), "payload": p.model_dump()})  # type: ignore[arg-type]

        return routed

    async def _ask(self, node: str, message: dict[str, Any], timeout: float = 20) -> Any:
        rid = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        message = {**message, "id": rid, "from": self.cluster.node_id}
        try:
            await self.redis.publish(self.channel(node), json.dumps(message))
            reply = await asyncio.wait_for(future, timeout)
        except (TimeoutError, OSError):
            raise _relayed_error({"code": "media_unavailable", "status": 503,
                                  "message": "Máy chủ truyền hình trực tuyến chưa sẵn sàng; vui lòng thử lại."}) from None  # fmt: skip
        finally:
            self.pending.pop(rid, None)
        if not reply["ok"]:
            raise _relayed_error(reply["error"])
        return reply["data"]

    def socket_gone(self, sid: str) -> None:
        """One of our sockets disconnected: the media nodes that host its sessions start their grace."""
        for node in self.forwarded.pop(sid, ()):
            message = {"op": "socket_gone", "sid": sid, "from": self.cluster.node_id}
            asyncio.ensure_future(self.redis.publish(self.channel(node), json.dumps(message)))

    async def observe(self, events: list[dict[str, Any]]) -> None:
        """The floor and the end of a meeting, committed here, reach the meeting's media node elsewhere."""
        for mid in {env.get("meeting_id") for env in events if isinstance(env.get("meeting_id"), int)}:
            node = await self.owner(mid, claim=False)
            if node and node != self.cluster.node_id:
                mine = [env for env in events if env.get("meeting_id") == mid]
                message = {"op": "observe", "events": mine, "from": self.cluster.node_id}
                await self.redis.publish(self.channel(node), json.dumps(message))

    # --- the media side: a request relayed from another node ---------------------------------------
    async def _serve(self, message: dict[str, Any]) -> None:
        if "reply_to" in message:
            if (future := self.pending.get(message["reply_to"])) and not future.done():
                future.set_result(message)
            return
        op, sender = message.get("op"), message.get("from", "")
        if op == "socket_gone":
            if self.origin.pop(message["sid"], None) is not None:
                self.remote.socket_gone(message["sid"])
            return
        if op == "observe":
            await self.remote.observe(message["events"], relayed=True)
            return
        reply: dict[str, Any] = {"reply_to": message.get("id")}
        try:
            model, fn = self.handlers[str(op)]
            self.origin[message["sid"]] = sender
            reply.update(ok=True, data=await fn(message["sid"], _actor(message["actor"]), model.model_validate(message["payload"])))
        except DomainError as exc:
            reply.update(ok=False, error={**exc.to_dict(), "status": exc.status})
        except Exception:
            log.exception("relayed %s failed", op)
            reply.update(ok=False, error={"code": "internal_error", "status": 500, "message": "Lỗi hệ thống; vui lòng thử lại."})
        await self.redis.publish(self.channel(sender), json.dumps(reply))

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
