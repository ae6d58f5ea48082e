"""Three `ecabinet serve` processes behind Debian's HAProxy (deploy/haproxy.cfg), one fresh PostgreSQL database,
the real Redis under a random prefix: 27 tablets spread over the nodes through the load balancer.

The tests of this module run in order on one cluster: one change reaching every tablet with one seq, one
online list on every node, the shared login limit, then node B killed with SIGKILL in the middle of a vote
(its tablets come back through HAProxy, resync without gap or duplicate, every acknowledged ballot counted
once), B restarted, and last node C stopped with SIGTERM (draining)."""
from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import socketio

from app.db import Database
from meetings.reducer import apply_event
from tests.cluster_helpers import Cluster, need_services
from tests.factories import Cabinet
from tests.live import LiveClient, login
from tests.pg import fresh_database
from tests.vote_helpers import new_vote, option, present_cabinet

N_MEMBERS = 24  # + chair, secretary, guest = 27 tablets


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Cluster, Cabinet]]:
    need_services()
    with fresh_database() as url:
        db = Database(url)
        c = present_cabinet(db, n_members=N_MEMBERS)
        db.dispose()
        # Our own directory: pytest's basetemp rotation (other runs on this machine) must not remove it meanwhile.
        data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-cluster-"))
        cl = Cluster(url, data_dir)
        try:
            cl.start(3)
            yield cl, c
        finally:
            cl.stop()
            shutil.rmtree(data_dir, ignore_errors=True)


class Tablet(LiveClient):
    """A tablet as the page behaves: reconnects by itself (through the load balancer), joins again and fills
    what it missed with meeting:sync, applying each seq exactly once and in order."""

    def __init__(self, base_url: str, cookie: str, meeting_id: int) -> None:
        super().__init__(base_url, cookie)
        self.meeting_id = meeting_id
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("event", self._on_event)
        self.sio.on("presence", self._on_presence)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.applied: list[int] = []
        self.online: list[int] | None = None
        self.got_presence = asyncio.Event()
        self.drops = 0
        self.errors: list[str] = []
        self.rejoined = asyncio.Event()
        self._buffer: list[dict[str, Any]] = []
        self._resyncing = False
        self._joined = False

    async def connect(self) -> None:
        # A callable: the client library removes the Cookie header from the dict it is given, and a reconnect
        # would then go without it (and be refused).
        cookie = {"Cookie": f"ecabinet_session={self.cookie}"}
        await self.sio.connect(self.base_url, transports=["websocket"], headers=lambda: dict(cookie), wait_timeout=10)

    def _apply(self, env: dict[str, Any]) -> None:
        assert self.state is not None
        self.state = apply_event(self.state, env)
        self.seq = env["seq"]
        self.applied.append(env["seq"])

    async def _on_event(self, env: dict[str, Any]) -> None:
        self.events.append(env)
        if self.state is None or self._resyncing:
            self._buffer.append(env)
        elif env["seq"] == self.seq + 1:
            self._apply(env)
        elif env["seq"] > self.seq + 1:  # a gap: fetch what is missing
            self._buffer.append(env)
            self._spawn(self._resync(rejoin=False))
        self.got_event.set()

    async def _on_presence(self, msg: dict[str, Any]) -> None:
        if msg.get("meeting_id") == self.meeting_id:
            self.online = msg["online"]
            self.got_presence.set()

    async def _on_disconnect(self, *args: Any) -> None:
        self.drops += 1
        self.rejoined.clear()

    async def _on_connect(self) -> None:
        if self._joined:  # a reconnect: the new socket is in no room yet
            self._spawn(self._resync(rejoin=True))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        task.add_done_callback(lambda t: t.cancelled() or t.exception() is None or self.errors.append(repr(t.exception())))

    async def join(self, meeting_id: int) -> dict[str, Any]:
        ack = await super().join(meeting_id)
        self._joined = ack["ok"]
        if ack["ok"]:
            self.online = ack["data"]["online"]
        return ack

    async def _resync(self, *, rejoin: bool) -> None:
        if self._resyncing:
            return
        self._resyncing = True
        try:
            if rejoin:
                ack = await self.call("meeting:join", {"meeting_id": self.meeting_id})
                assert ack["ok"], ack
                self.online = ack["data"]["online"]
            missed = await self.call("meeting:sync", {"meeting_id": self.meeting_id, "since": self.seq})
            assert missed["ok"] and "events" in missed["data"], missed
            for env in missed["data"]["events"]:
                if env["seq"] == self.seq + 1:
                    self._apply(env)
            for env in sorted(self._buffer, key=lambda e: e["seq"]):
                if env["seq"] == self.seq + 1:
                    self._apply(env)
            self._buffer.clear()
        finally:
            self._resyncing = False
        if rejoin:
            self.rejoined.set()


async def _tablets(base_url: str, c: Cabinet) -> list[tuple[Tablet, httpx.AsyncClient]]:
    people = [c.chair, c.secretary, c.guest, *c.members]
    https = [await login(base_url, p.username) for p in people]  # logins first, then sockets: spread evenly
    out = []
    for http in https:
        tablet = Tablet(base_url, http.cookies["ecabinet_session"], c.meeting_id)
        await tablet.connect()
        out.append((tablet, http))
    return out


async def _close(tablets: list[tuple[Tablet, httpx.AsyncClient]]) -> None:
    for tablet, http in tablets:
        await tablet.close()
        await http.aclose()


async def _until(predicate: Any, timeout: float = 15) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


async def test_a_change_on_node_a_reaches_all_27_tablets_with_one_seq_and_every_node_shows_one_online_list(cluster) -> None:  # type: ignore[no-untyped-def]
    cl, c = cluster
    tablets = await _tablets(cl.url, c)
    observers = []  # the secretariat's console open once on each node directly
    try:
        acks = await asyncio.gather(*(t.join(c.meeting_id) for t, _ in tablets))
        assert all(a["ok"] for a in acks)
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        assert len(everyone) == 27
        # Every tablet ends with the same list, whichever node it is on.
        await _until(lambda: all(t.online == everyone for t, _ in tablets))
        for node in cl.nodes:
            staff = await login(node.url, c.staff.username)
            watcher = Tablet(node.url, staff.cookies["ecabinet_session"], c.meeting_id)
            await watcher.connect()
            observers.append((watcher, staff))
            ack = await watcher.join(c.meeting_id)
            assert ack["ok"] and set(ack["data"]["online"]) >= set(everyone)
        with_staff = sorted([*everyone, c.staff.id])
        await _until(lambda: all(t.online == with_staff for t, _ in tablets + observers))

        chair = await login(cl.nodes[0].url, c.chair.username)  # the chair's console on node A
        try:
            before = {t.seq for t, _ in tablets}
            assert len(before) == 1
            r = await chair.post(f"/api/meetings/{c.meeting_id}/next")
            assert r.status_code == 200, r.text
            seqs = await asyncio.gather(*(t.wait_for(lambda e: e["type"] == "agenda.current_changed", 10) for t, _ in tablets))
            assert {e["seq"] for e in seqs} == {before.pop() + 1}
            assert all(t.state["meeting"]["current_item_id"] == c.item_ids[1] for t, _ in tablets)
        finally:
            await chair.aclose()

        # A tablet that leaves is gone from the list on every node.
        gone, gone_http = tablets.pop()
        await gone.close()
        await gone_http.aclose()
        rest = [u for u in with_staff if u != c.members[-1].id]
        await _until(lambda: all(t.online == rest for t, _ in tablets + observers))
    finally:
        await _close(tablets + observers)


async def test_six_wrong_logins_spread_over_the_nodes_hit_the_shared_limit(cluster) -> None:  # type: ignore[no-untyped-def]
    cl, c = cluster
    target = c.outsider.username  # an account no tablet of the later tests uses
    answers = []
    for i in range(6):
        node = cl.nodes[i % 3]
        async with httpx.AsyncClient(base_url=node.url, timeout=20) as client:
            r = await client.post("/api/auth/login", json={"username": target, "password": "sai-mật-khẩu-%d" % i})
            answers.append(r.status_code)
    assert answers[:5] == [401] * 5 and answers[5] == 429, answers
    # The limit holds on every node, and it holds for the right password too until the window passes.
    for node in cl.nodes:
        async with httpx.AsyncClient(base_url=node.url, timeout=20) as client:
            r = await client.post("/api/auth/login", json={"username": target, "password": "sai"})
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


async def test_node_b_killed_mid_vote_loses_no_acknowledged_ballot_and_rejoins(cluster) -> None:  # type: ignore[no-untyped-def]
    cl, c = cluster
    node_b = cl.nodes[1]
    tablets = await _tablets(cl.url, c)
    try:
        assert all(a["ok"] for a in await asyncio.gather(*(t.join(c.meeting_id) for t, _ in tablets)))
        secretary_http = next(h for t, h in tablets if t is tablets[1][0])
        r = await secretary_http.post(f"/api/meetings/{c.meeting_id}/votes",
                                      json={"agenda_item_id": c.item_ids[0], "question": "Thông qua dự toán năm 2027?", "kind": "open"})  # fmt: skip
        assert r.status_code == 201, r.text
        vote = r.json()
        chair_http = tablets[0][1]
        r = await chair_http.post(f"/api/votes/{vote['id']}/open", json={})
        assert r.status_code == 200, r.text
        yes = option(vote, "yes")
        voters = [(t, h) for t, h in tablets if t is not tablets[1][0] and t is not tablets[2][0]]  # not secretary, guest
        assert len(voters) == N_MEMBERS + 1

        acked: dict[int, int] = {}  # voter index -> status of the acknowledged answer (200 or 409 already voted)

        async def cast(i: int, http: httpx.AsyncClient) -> None:
            await asyncio.sleep(0.03 * i)  # spread over the kill
            try:
                r = await http.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": yes})
            except httpx.HTTPError:
                return
            if r.status_code == 200:
                acked[i] = 200

        casting = [asyncio.ensure_future(cast(i, h)) for i, (_, h) in enumerate(voters)]
        await asyncio.sleep(0.3)
        node_b.kill(signal.SIGKILL)  # mid-vote
        await asyncio.gather(*casting)
        proc = node_b.proc
        assert proc is not None
        await _until(lambda: proc.poll() is not None, 10)
        assert proc.returncode == -signal.SIGKILL

        # B's tablets lost their socket, came back through HAProxy (to A or C) and resynced.
        dropped = [t for t, _ in tablets if t.drops]
        assert dropped, "no tablet was on node B"
        await _until(lambda: all(t.rejoined.is_set() or t.errors for t in dropped), 20)
        assert not [t.errors for t in dropped if t.errors]

        # Every ballot not acknowledged is sent again, as the page does: 200, or 409 when B had committed it.
        for i, (_, http) in enumerate(voters):
            if i not in acked:
                r = await http.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": yes})
                assert r.status_code in (200, 409), r.text
                if r.status_code == 409:
                    assert r.json()["error"]["code"] == "already_voted"
        r = await chair_http.post(f"/api/votes/{vote['id']}/close")
        assert r.status_code == 200, r.text
        result = r.json()["result"]
        assert result["counts"][str(yes)] == len(voters)  # each voter exactly once, acknowledged ones included
        assert sum(result["counts"].values()) == len(voters)

        # No gap, no duplicate: every tablet applied each seq once, in order, up to the vote's close.
        closed = await tablets[0][0].wait_for(lambda e: e["type"] == "vote.closed", 10)
        await _until(lambda: all(t.seq >= closed["seq"] for t, _ in tablets))
        for t, _ in tablets:
            assert t.applied == list(range(t.applied[0], t.applied[0] + len(t.applied))), t.applied
        first = {t.applied[0] - 1 for t, _ in tablets}
        assert len(first) == 1  # all joined at the same seq
        for t, _ in tablets:  # the state built from events equals a fresh snapshot
            fresh = await t.call("meeting:join", {"meeting_id": c.meeting_id})
            assert fresh["data"]["seq"] >= t.seq
            if fresh["data"]["seq"] == t.seq:
                assert t.state == fresh["data"]["snapshot"]

        # B's entries expire with its heartbeat: the online list is everyone still connected, on every node.
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        await _until(lambda: all(t.online == everyone for t, _ in tablets), 20)

        # B restarted rejoins: it answers its health check, serves sockets, and shows the same list.
        cl.restart(node_b)
        staff = await login(node_b.url, c.staff.username)
        watcher = Tablet(node_b.url, staff.cookies["ecabinet_session"], c.meeting_id)
        await watcher.connect()
        tablets.append((watcher, staff))
        ack = await watcher.join(c.meeting_id)
        assert ack["ok"] and ack["data"]["seq"] == tablets[0][0].seq
        with_staff = sorted([*everyone, c.staff.id])
        await _until(lambda: all(t.online == with_staff for t, _ in tablets))
    finally:
        await _close(tablets)


async def test_sigterm_drains_node_c_its_tablets_move_to_other_nodes(cluster) -> None:  # type: ignore[no-untyped-def]
    cl, c = cluster
    node_c = cl.nodes[2]
    tablets = await _tablets(cl.url, c)
    try:
        assert all(a["ok"] for a in await asyncio.gather(*(t.join(c.meeting_id) for t, _ in tablets)))
        node_c.kill(signal.SIGTERM)
        async with httpx.AsyncClient(base_url=node_c.url, timeout=5) as client:
            r = await client.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "draining"
        proc = node_c.proc
        assert proc is not None
        await _until(lambda: proc.poll() is not None, 30)  # drained, then stopped (uvicorn re-raises SIGTERM)
        assert proc.returncode in (0, -signal.SIGTERM)
        await asyncio.sleep(0.5)
        moved = [t for t, _ in tablets if t.drops]
        assert moved, "no tablet was on node C"
        await asyncio.gather(*(asyncio.wait_for(t.rejoined.wait(), 20) for t in moved))
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        await _until(lambda: all(t.online == everyone for t, _ in tablets))
        chair = tablets[0][1]
        assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
        changed = await tablets[0][0].wait_for(lambda e: e["type"] == "agenda.current_changed", 10)
        await _until(lambda: all(t.seq >= changed["seq"] for t, _ in tablets))
    finally:
        await _close(tablets)
