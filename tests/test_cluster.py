"""Three `ecabinet serve` processes behind Debian's HAProxy (deploy/haproxy.cfg), one fresh PostgreSQL database,
the real Redis under a random prefix: 27 tablets spread over the nodes through the load balancer.

The tests of this module run in order on one cluster: one change reaching every tablet with one seq, one
online list on every node, the shared login limit, then node B killed with SIGKILL in the middle of a vote
(its tablets come back through HAProxy, resync without gap or duplicate, every acknowledged ballot counted
once), B restarted, and last node C stopped with SIGTERM (draining)."""

from __future__ import annotations

import asyncio
import signal
from typing import Iterator

import httpx
import pytest

from tests.cluster_helpers import Cluster, Tablet, running_cluster
from tests.factories import Cabinet
from tests.live import live_client, login
from tests.vote_helpers import option, present_cabinet
from tests.waiting import eventually

N_MEMBERS = 24  # + chair, secretary, guest = 27 tablets


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Cluster, Cabinet]]:
    with running_cluster(lambda db: present_cabinet(db, n_members=N_MEMBERS)) as running:
        yield running


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


async def test_a_change_on_node_a_reaches_all_27_tablets_with_one_seq_and_every_node_shows_one_online_list(
    cluster,
) -> None:
    cl, c = cluster
    tablets = await _tablets(cl.url, c)
    observers = []  # the secretariat's console open once on each node directly
    try:
        acks = await asyncio.gather(*(t.join(c.meeting_id) for t, _ in tablets))
        assert all(a["ok"] for a in acks)
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        assert len(everyone) == 27
        # Every tablet ends with the same list, whichever node it is on.
        await eventually(lambda: all(t.online == everyone for t, _ in tablets), timeout=15)
        for node in cl.nodes:
            staff = await login(node.url, c.staff.username)
            watcher = Tablet(node.url, staff.cookies["ecabinet_session"], c.meeting_id)
            await watcher.connect()
            observers.append((watcher, staff))
            ack = await watcher.join(c.meeting_id)
            assert ack["ok"] and set(ack["data"]["online"]) >= set(everyone)
        with_staff = sorted([*everyone, c.staff.id])
        await eventually(lambda: all(t.online == with_staff for t, _ in tablets + observers), timeout=15)

        chair = await login(cl.nodes[0].url, c.chair.username)  # the chair's console on node A
        try:
            before = {t.seq for t, _ in tablets}
            assert len(before) == 1
            r = await chair.post(f"/api/meetings/{c.meeting_id}/next")
            assert r.status_code == 200, r.text
            seqs = await asyncio.gather(
                *(t.wait_for(lambda e: e["type"] == "agenda.current_changed", 10) for t, _ in tablets)
            )
            assert {e["seq"] for e in seqs} == {before.pop() + 1}
            assert all(
                t.state is not None and t.state["meeting"]["current_item_id"] == c.item_ids[1] for t, _ in tablets
            )
        finally:
            await chair.aclose()

        # A tablet that leaves is gone from the list on every node.
        gone, gone_http = tablets.pop()
        await gone.close()
        await gone_http.aclose()
        rest = [u for u in with_staff if u != c.members[-1].id]
        await eventually(lambda: all(t.online == rest for t, _ in tablets + observers), timeout=15)
    finally:
        await _close(tablets + observers)


async def test_six_wrong_logins_spread_over_the_nodes_hit_the_shared_limit(cluster) -> None:
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


async def test_node_b_killed_mid_vote_loses_no_acknowledged_ballot_and_rejoins(cluster) -> None:
    cl, c = cluster
    node_b = cl.nodes[1]
    tablets = await _tablets(cl.url, c)
    try:
        assert all(a["ok"] for a in await asyncio.gather(*(t.join(c.meeting_id) for t, _ in tablets)))
        # The secretariat's console open on node B only, with no way back: it must drop out of the list.
        lone, lone_http = await live_client(node_b.url, c.staff.username)
        assert (await lone.join(c.meeting_id))["ok"]
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        with_staff = sorted([*everyone, c.staff.id])
        await eventually(lambda: all(t.online == with_staff for t, _ in tablets), timeout=15)
        secretary_http = next(h for t, h in tablets if t is tablets[1][0])
        r = await secretary_http.post(
            f"/api/meetings/{c.meeting_id}/votes",
            json={"agenda_item_id": c.item_ids[0], "question": "Thông qua dự toán năm 2027?", "kind": "open"},
        )
        assert r.status_code == 201, r.text
        vote = r.json()
        chair_http = tablets[0][1]
        r = await chair_http.post(f"/api/votes/{vote['id']}/open", json={})
        assert r.status_code == 200, r.text
        yes = option(vote, "yes")
        voters = [
            (t, h) for t, h in tablets if t is not tablets[1][0] and t is not tablets[2][0]
        ]  # not secretary, guest
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
        await eventually(lambda: len(acked) >= len(voters) // 3, "a third of the ballots acknowledged")
        node_b.kill(signal.SIGKILL)  # mid-vote
        await asyncio.gather(*casting)
        proc = node_b.proc
        assert proc is not None
        await eventually(lambda: proc.poll() is not None, timeout=10)
        assert proc.returncode == -signal.SIGKILL

        # B's tablets lost their socket, came back through HAProxy (to A or C) and resynced.
        dropped = [t for t, _ in tablets if t.drops]
        assert dropped, "no tablet was on node B"
        await eventually(lambda: all(t.rejoined.is_set() or t.errors for t in dropped), timeout=20)
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

        # No gap, no duplicate: every tablet applied each seq once, in order, up to the vote's close (a tablet back
        # on a new socket takes that socket's snapshot for what happened while it was away).
        closed = await tablets[0][0].wait_for(lambda e: e["type"] == "vote.closed", 10)
        await eventually(lambda: all(t.seq >= closed["seq"] for t, _ in tablets), timeout=15)
        for t, _ in tablets:
            assert t.in_order(), (t.applied, t.jumps)
        first = {t.applied[0] - 1 for t, _ in tablets}
        assert len(first) == 1  # all joined at the same seq
        for t, _ in tablets:  # the state built from events equals a fresh snapshot
            fresh = await t.call("meeting:join", {"meeting_id": c.meeting_id})
            assert fresh["data"]["seq"] >= t.seq
            if fresh["data"]["seq"] == t.seq:
                assert t.state == fresh["data"]["snapshot"]

        # B's entries expire with its heartbeat: the console that was only on B is gone from the list on
        # every node; B's tablets, back through A and C, are in it.
        await eventually(lambda: all(t.online == everyone for t, _ in tablets), timeout=20)
        await lone.close()
        await lone_http.aclose()

        # B restarted rejoins: it answers its health check, serves sockets, and shows the same list.
        cl.restart(node_b)
        staff = await login(node_b.url, c.staff.username)
        watcher = Tablet(node_b.url, staff.cookies["ecabinet_session"], c.meeting_id)
        await watcher.connect()
        tablets.append((watcher, staff))
        ack = await watcher.join(c.meeting_id)
        assert ack["ok"] and ack["data"]["seq"] == tablets[0][0].seq
        await eventually(lambda: all(t.online == with_staff for t, _ in tablets), timeout=15)
    finally:
        await _close(tablets)


async def test_sigterm_drains_node_c_its_tablets_move_to_other_nodes(cluster) -> None:
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
        try:  # drained, then stopped (uvicorn re-raises SIGTERM)
            await eventually(lambda: proc.poll() is not None, "node C to stop after draining", timeout=30)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- node C's log ---\n{node_c.tail()}") from None
        assert proc.returncode in (0, -signal.SIGTERM)
        moved = await eventually(lambda: [t for t, _ in tablets if t.drops], "node C's tablets to lose their socket")
        await asyncio.gather(*(asyncio.wait_for(t.rejoined.wait(), 20) for t in moved))
        everyone = sorted([c.chair.id, c.secretary.id, c.guest.id, *(m.id for m in c.members)])
        await eventually(lambda: all(t.online == everyone for t, _ in tablets), timeout=15)
        chair = tablets[0][1]
        assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
        changed = await tablets[0][0].wait_for(lambda e: e["type"] == "agenda.current_changed", 10)
        await eventually(lambda: all(t.seq >= changed["seq"] for t, _ in tablets), timeout=15)
    finally:
        await _close(tablets)
