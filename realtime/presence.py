"""Who has a live page open, per meeting (ephemeral; attendance is the durable record).

`Presence` counts this process's sockets per (meeting, user). A board turns its changes into the online list
the meeting's viewers see ("presence" {meeting_id, online, version}):
- `LocalBoard`: one process holds every socket; the list is its own.
- `SharedBoard` (ECABINET_REDIS_URL): each node writes "<node>|<user>" into the meeting's Redis hash and, in
  the same Lua script, bumps the meeting's presence version, computes the list (users of live nodes only)
  and PUBLISHes it. Redis runs scripts one at a time and delivers a channel's messages in order, so every
  node forwards the same lists in the same order to its own sockets: one consistent list on every node,
  and an older list never overwrites a newer one. A dead node's entries stop counting when its liveness
  key expires and are removed by the node that reaps it (infra/cluster.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any

import socketio

from infra.cluster import Cluster, Subscription
from realtime.broadcast import room

log = logging.getLogger("ecabinet.realtime")


class Presence:
    def __init__(self) -> None:
        self._sockets: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))

    def add(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """True when this is the user's first open page for the meeting."""
        sockets = self._sockets[meeting_id][user_id]
        first = not sockets
        sockets.add(sid)
        return first

    def remove(self, meeting_id: int, user_id: int, sid: str) -> bool:
        """True when the user has no open page left for the meeting."""
        users = self._sockets.get(meeting_id)
        if not users or sid not in users.get(user_id, ()):
            return False
        users[user_id].discard(sid)
        if users[user_id]:
            return False
        del users[user_id]
        if not users:
            del self._sockets[meeting_id]
        return True

    def online(self, meeting_id: int) -> list[int]:
        return sorted(self._sockets.get(meeting_id, {}))

    def entries(self) -> list[tuple[int, int]]:
        return [(mid, uid) for mid, users in self._sockets.items() for uid in users]


PRESENCE_EVERY = 0.25  # seconds between two presence messages of one meeting on one node


async def emit_here(sio: socketio.AsyncServer, meeting_id: int, data: dict[str, Any]) -> None:
    """To this node's sockets of the meeting only (the base manager's emit, never the cluster's)."""
    await socketio.AsyncManager.emit(sio.manager, "presence", data, namespace="/", room=room(meeting_id))


class Announcer:
    """At most one presence message per meeting every PRESENCE_EVERY: each carries the whole list, so when 500
    tablets join at once the last list says it all (otherwise 500 x 500 messages of up to 500 ids). A list
    that arrives while one is waiting replaces it; the first change after a quiet spell goes out at once."""

    def __init__(self, sio: socketio.AsyncServer, every: float = PRESENCE_EVERY) -> None:
        self.sio, self.every = sio, every
        self.sent: dict[int, float] = {}  # meeting -> loop time of its last message
        self.due: dict[int, dict[str, Any]] = {}  # meeting -> the newest list waiting for its turn
        self.tasks: set[asyncio.Task[None]] = set()

    async def send(self, meeting_id: int, data: dict[str, Any]) -> None:
        if meeting_id in self.due:
            self.due[meeting_id] = data
            return
        loop = asyncio.get_running_loop()
        wait = self.sent.get(meeting_id, float("-inf")) + self.every - loop.time()
        if wait <= 0:
            self.sent[meeting_id] = loop.time()
            await emit_here(self.sio, meeting_id, data)
            return
        self.due[meeting_id] = data
        task = loop.create_task(self._later(meeting_id, wait))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _later(self, meeting_id: int, wait: float) -> None:
        await asyncio.sleep(wait)
        data = self.due.pop(meeting_id)
        self.sent[meeting_id] = asyncio.get_running_loop().time()
        await emit_here(self.sio, meeting_id, data)

    def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()


class LocalBoard:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.local = Presence()
        self.version = 0
        self.announcer = Announcer(sio)

    async def add(self, meeting_id: int, user_id: int, sid: str) -> None:
        if self.local.add(meeting_id, user_id, sid):
            await self._announce(meeting_id)

    async def remove(self, meeting_id: int, user_id: int, sid: str) -> None:
        if self.local.remove(meeting_id, user_id, sid):
            await self._announce(meeting_id)

    async def online(self, meeting_id: int) -> list[int]:
        return self.local.online(meeting_id)

    async def _announce(self, meeting_id: int) -> None:
        self.version += 1
        await self.announcer.send(
            meeting_id, {"meeting_id": meeting_id, "online": self.local.online(meeting_id), "version": self.version}
        )

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.announcer.stop()


# KEYS: the meeting's hash, its version counter, the node's set of meetings. ARGV: node, user, 1|0 (online),
# meeting id, key prefix, channel. Answers the online list as JSON.
_ONLINE = """
local function online(hash, prefix)
  local alive, users, seen = {}, {}, {}
  for _, field in ipairs(redis.call('HKEYS', hash)) do
    local node, user = string.match(field, '^(.*)|(%d+)$')
    if alive[node] == nil then alive[node] = redis.call('EXISTS', prefix .. ':node:' .. node) == 1 end
    if alive[node] and not seen[user] then seen[user] = true; table.insert(users, tonumber(user)) end
  end
  table.sort(users)
  return '[' .. table.concat(users, ',') .. ']'
end
"""
_SET = (
    _ONLINE
    + """
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 1)
  redis.call('SADD', KEYS[3], ARGV[4])
elseif ARGV[3] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1] .. '|' .. ARGV[2])
elseif ARGV[3] == 'node' then  -- every entry of a node that is gone
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then redis.call('HDEL', KEYS[1], field) end
  end
end
local list = online(KEYS[1], ARGV[5])
local version = redis.call('INCR', KEYS[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 172800000) end  -- a meeting nobody opens for two days leaves nothing
redis.call('PUBLISH', ARGV[6], '{"meeting_id":' .. ARGV[4] .. ',"version":' .. version .. ',"online":' .. list .. '}')
return list
"""
)
_READ = _ONLINE + "return online(KEYS[1], ARGV[1])"
# The node's own fields of one meeting made what it holds (KEYS as _SET; ARGV: node, its users there
# comma-separated, meeting id, key prefix, channel): fields it no longer holds go (a removal that failed, a
# previous process of the same node id), those missing are written; a new list is published only on a change.
_ASSERT = (
    _ONLINE
    + """
local want, changed = {}, false
for user in string.gmatch(ARGV[2], '%d+') do want[ARGV[1] .. '|' .. user] = true end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
    if want[field] then want[field] = false else redis.call('HDEL', KEYS[1], field); changed = true end
  end
end
for field, missing in pairs(want) do
  if missing then redis.call('HSET', KEYS[1], field, 1); changed = true end
end
if ARGV[2] == '' then redis.call('SREM', KEYS[3], ARGV[3]) else redis.call('SADD', KEYS[3], ARGV[3]) end
if not changed then return 0 end
local list = online(KEYS[1], ARGV[4])
local version = redis.call('INCR', KEYS[2])
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], 172800000) end
redis.call('PUBLISH', ARGV[5], '{"meeting_id":' .. ARGV[3] .. ',"version":' .. version .. ',"online":' .. list .. '}')
return 1
"""
)


class SharedBoard:
    def __init__(self, sio: socketio.AsyncServer, cluster: Cluster) -> None:
        self.sio = sio
        self.cluster = cluster
        self.local = Presence()
        self.redis = cluster.redis
        self.channel = cluster.key("presence-channel")
        self._set = self.redis.register_script(_SET)
        self._read = self.redis.register_script(_READ)
        self._assert = self.redis.register_script(_ASSERT)
        self.seen: dict[int, int] = {}  # meeting -> newest version forwarded (never go back)
        self.announcer = Announcer(sio)
        cluster.on_node_dead(self._node_gone)
        cluster.on_rejoin(self.reassert)
        # Every heartbeat the node's entries are made what it holds: an add or a removal that failed (Redis
        # down or restarting) is repaired within a heartbeat of Redis answering again, and Redis emptied by a
        # restart is refilled.
        cluster.on_beat(self.reassert)
        # Subscribed before this node serves, so it misses no list; forwarded in the channel's order.
        self.subscription = Subscription(self.redis, self.channel, self._forward)

    async def start(self) -> None:
        await self.subscription.start()

    async def stop(self) -> None:
        await self.subscription.stop()
        self.announcer.stop()

    async def _write(self, meeting_id: int, user_id: int, what: str, node: str | None = None) -> list[int]:
        c = self.cluster
        node = node or c.node_id
        keys = [c.key("presence", meeting_id), c.key("presence-version", meeting_id), c.key("node-meetings", node)]
        raw = await self._set(keys=keys, args=[node, user_id, what, meeting_id, c.prefix, self.channel])
        return list(json.loads(raw))

    async def add(self, meeting_id: int, user_id: int, sid: str) -> None:
        if self.local.add(meeting_id, user_id, sid):
            await self._write_or_later(meeting_id, user_id, "1")

    async def remove(self, meeting_id: int, user_id: int, sid: str) -> None:
        if self.local.remove(meeting_id, user_id, sid):
            await self._write_or_later(meeting_id, user_id, "0")

    async def _write_or_later(self, meeting_id: int, user_id: int, what: str) -> None:
        """Presence never fails a join or a disconnect: what Redis did not take now, the next heartbeat's
        `reassert` writes (this node's list stays right meanwhile)."""
        if not self.cluster.reachable:  # known down: no join waits on Redis's retries (the heartbeat repairs)
            return
        try:
            await self._write(meeting_id, user_id, what)
        except Exception as exc:  # Redis down or a dropped connection
            self.cluster.lost(exc)  # one warning per outage, not one per join
            log.info("presence of meeting %s not written (%s); the next heartbeat does it", meeting_id, exc)

    async def online(self, meeting_id: int) -> list[int]:
        """The meeting's list across nodes; this node's own while Redis is unreachable (rather than no join)."""
        if not self.cluster.reachable:
            return self.local.online(meeting_id)
        try:
            raw = await self._read(keys=[self.cluster.key("presence", meeting_id)], args=[self.cluster.prefix])
        except Exception as exc:
            self.cluster.lost(exc)
            log.info("presence of meeting %s not read (%s); answering this node's own", meeting_id, exc)
            return self.local.online(meeting_id)
        return list(json.loads(raw))

    async def reassert(self) -> int:
        """This node's fields of every meeting it holds or held made what it holds now (one script per
        meeting); how many meetings' lists changed."""
        c = self.cluster
        held: dict[int, list[int]] = {}
        for meeting_id, user_id in self.local.entries():
            held.setdefault(meeting_id, []).append(user_id)
        for raw in await self.redis.smembers(c.key("node-meetings", c.node_id)):
            held.setdefault(int(raw), [])
        changed, mine = 0, c.key("node-meetings", c.node_id)
        for meeting_id, users in held.items():
            keys = [c.key("presence", meeting_id), c.key("presence-version", meeting_id), mine]
            args = [c.node_id, ",".join(map(str, sorted(users))), meeting_id, c.prefix, self.channel]
            changed += int(await self._assert(keys=keys, args=args))
        return changed

    async def _node_gone(self, node: str) -> None:
        key = self.cluster.key("node-meetings", node)
        for raw in await self.redis.smembers(key):
            await self._write(int(raw), 0, "node", node=node)
        await self.redis.delete(key)

    async def _forward(self, data: dict[str, Any]) -> None:
        meeting_id, version = int(data["meeting_id"]), int(data["version"])
        if version <= self.seen.get(meeting_id, 0):
            return
        self.seen[meeting_id] = version
        await self.announcer.send(meeting_id, data)


def board(sio: socketio.AsyncServer, cluster: Cluster) -> LocalBoard | SharedBoard:
    return SharedBoard(sio, cluster) if cluster.shared else LocalBoard(sio)
