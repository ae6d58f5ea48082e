"""The fast fan-out path (realtime/broadcast.py + realtime/wire.py) against the real uvicorn and engine.io:
the internals it relies on are still there, events arrive exactly once and in order while acks interleave,
a tablet that stops reading is dropped without holding up the others, and several nodes sharing Redis fan
out locally on the same path."""

from __future__ import annotations

import asyncio
import json
import os
import select
import socket
import time
import types
from typing import Any

import pytest
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from infra.gctune import trimmer
from realtime import direct, wire
from websockets.protocol import Protocol as WebSocketProtocol
from realtime.broadcast import Broadcaster
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import LiveClient, live_client, login
from tests.test_multinode import two_nodes  # noqa: F401  (fixture)
from tests.waiting import eventually


def _broadcaster(live: LiveServer) -> Broadcaster:
    return live.app.state.broadcaster


def _coro_name(task: asyncio.Task[Any]) -> str:
    """The qualified name of the coroutine the task runs (typeshed's Coroutine does not declare it)."""
    coro = task.get_coro()
    assert isinstance(coro, types.CoroutineType), coro
    return coro.__qualname__


def _engine_socket(live: LiveServer, user_id: int) -> Any:
    """The server-side Engine.IO socket of a user's (only) connection."""
    sio = live.app.state.sio
    actions = live.app.state.rooms
    sid = next(s for s, a in actions.actors.items() if a.id == user_id)
    eio_sid = sio.manager.eio_sid_from_sid(sid, "/")
    return sio.eio.sockets[eio_sid], sio.environ[eio_sid]


async def test_the_fast_path_still_finds_what_it_relies_on_in_uvicorn_and_engineio(live_server: LiveServer) -> None:
    """Fails when an upgrade of uvicorn, engine.io or python-socketio changes the internals realtime/wire.py uses:
    then the fan-out would silently fall back to the slow queue (or, worse, write out of order)."""
    from engineio.async_drivers import asgi as eio_asgi
    from engineio.async_socket import AsyncSocket

    c = make_cabinet(live_server.db, start=True)
    sio = live_server.app.state.sio
    # engine.io builds its websocket wrapper from the server's driver table, with the socket's bound handler.
    assert sio.eio._async["websocket"] is direct.DirectWebSocket
    assert sio.eio.handlers["connect"].__qualname__ == "install.<locals>.connected"
    assert eio_asgi._async["websocket"] is eio_asgi.WebSocket, "the driver table shared by every server was changed"
    for name in ("send", "schedule_ping", "check_ping_timeout", "receive", "close", "_websocket_handler"):
        assert callable(getattr(AsyncSocket, name, None)), name
    # An envelope is encoded without python-socketio's search for bytes (binary=False, realtime/broadcast.py):
    # the packet stays a plain EVENT whatever the data, and encodes as the same text as after the search.
    plain = sio.packet_class(sio_packet.EVENT, data=["event", {"x": "đ"}], binary=False)
    assert plain.packet_type == sio_packet.EVENT and not plain.attachments
    assert (
        plain.encode()
        == sio.packet_class(sio_packet.EVENT, data=["event", {"x": "đ"}]).encode()
        == '2["event",{"x":"đ"}]'
    )
    tablet, tablet_http = await live_client(live_server.url, c.members[0].username)
    chair = await login(live_server.url, c.chair.username)
    try:
        ack = await tablet.join(c.meeting_id)
        sock, environ = _engine_socket(live_server, c.members[0].id)
        proto = wire.protocol_of(sock, environ)
        assert proto is not None and type(proto) is wire.SANSIO, "uvicorn's websocket protocol was not found"
        for name in ("transport", "conn", "writable", "close_sent", "disconnected", "send", "request", "response"):
            assert hasattr(proto, name), name
        assert proto.handshake_complete and proto.response is None  # what the handshake kept is freed
        assert proto.ping_timer is None  # no websocket-level keepalive (Engine.IO pings)
        assert type(proto.queue) is direct.InboxQueue and callable(proto.receive)
        assert type(sock) is direct.DirectSocket and type(sock.queue) is direct.DirectQueue, "not a direct socket"
        assert sock.upgraded and sock.connected and not sock.closed and hasattr(sock, "last_ping")
        assert "wsgi.input" not in environ
        # Nothing of the handshake outlives it: no header (the cookie least of all), no handshake parser.
        assert "HTTP_COOKIE" not in environ and proto.scope["headers"] == [] and environ["REMOTE_ADDR"]
        assert proto.conn.parser.gi_code is WebSocketProtocol.parse.__code__
        assert type(proto.writable) is direct.WritableFlag and proto.writable.is_set()
        sender = _broadcaster(live_server).sender
        before = sender.direct
        assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
        env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert env["seq"] == ack["data"]["seq"] + 1  # the hand-written frame decodes as the same event
        assert tablet.state is not None and tablet.state["meeting"]["current_item_id"] == c.item_ids[1]
        assert sender.direct == before + 1, "the event did not take the direct path"
        # engine.io's ping/pong keeps going on the timer (the client answers, the next ping is scheduled).
        sock.last_ping = time.time()
        sock.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
        await eventually(lambda: sock.last_ping is None, "the client's PONG")
    finally:
        await tablet.close()
        await tablet_http.aclose()
        await chair.aclose()


async def test_an_idle_joined_tablet_costs_the_server_no_task_beyond_its_connection(live_server: LiveServer) -> None:
    """Memory per connection: no engine.io writer task, no task per pending read, no sleeping ping task; only
    uvicorn's task that runs the ASGI app for the connection."""
    c = make_cabinet(live_server.db, n_members=8, start=True)
    https = [await login(live_server.url, m.username) for m in c.members]
    before = set(asyncio.all_tasks())
    trims = trimmer.trimmed
    tablets = [await StuckTablet.open(live_server.url, h.cookies["ecabinet_session"], c.meeting_id) for h in https]
    try:
        await eventually(lambda: len(live_server.app.state.rooms.grants.get(c.meeting_id, {})) == len(tablets), "joins")
        announcing = lambda: not [t for t in asyncio.all_tasks() if _coro_name(t) == "Announcer._later"]
        await eventually(announcing, "the presence announcer's pending message")
        # one each for the whole server: engine.io's monitor of every socket and its wait; the drawer of the
        # followers' watermarks (documents/prewarm.py), started by the first join
        shared = {"AsyncServer._service_task", "Event.wait", "Prewarm._keep_marks"}
        added = [_coro_name(t) for t in asyncio.all_tasks() - before]
        added = [name for name in added if name not in shared]
        # After the burst of connections the C heap's free pages went back to the system (glibc's malloc_trim).
        await eventually(lambda: trimmer.trim is None or trimmer.trimmed > trims, "malloc_trim after the burst")
        assert len(added) <= len(tablets), f"{len(added)} tasks for {len(tablets)} idle tablets: {sorted(added)}"
    finally:
        for t in tablets:
            t.close()
        for h in https:
            await h.aclose()


@pytest.fixture(params=["c", "transport"])
def last_hop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fan-out's last hop: the batch sent in C (realtime/_fastsend.c), or every socket through its transport
    (an install without a C compiler): the same behaviour either way."""
    if request.param == "transport":
        monkeypatch.setattr(wire, "SEND_ALL", None)
    else:
        assert wire.SEND_ALL is not None, "realtime/_fastsend.c was not built (pip install builds it)"
    return str(request.param)


async def test_many_tablets_get_every_event_once_and_in_order_while_their_own_calls_are_answered(
    live_server: LiveServer, last_hop: str
) -> None:
    c = make_cabinet(live_server.db, n_members=12, n_items=4, start=True)
    tablets: list[tuple[LiveClient, Any]] = []
    for i in range(36):  # several tablets per member
        tablets.append(await live_client(live_server.url, c.members[i % 12].username))
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    moves = 40
    try:
        seqs = [(await t.join(c.meeting_id))["data"]["seq"] for t, _ in tablets]
        await chair.join(c.meeting_id)
        stop = asyncio.Event()
        answered = [0] * len(tablets)

        async def busy(i: int, t: LiveClient) -> None:  # acks interleave with the fan-out on every socket
            while not stop.is_set():
                ack = await t.call("meeting:sync", {"meeting_id": c.meeting_id, "since": seqs[i]})
                assert ack["ok"], ack
                answered[i] += 1

        readers = [asyncio.create_task(busy(i, t)) for i, (t, _) in enumerate(tablets)]
        for k in range(moves):
            ack = await chair.call("agenda:next" if k % 2 == 0 else "agenda:previous", {"meeting_id": c.meeting_id})
            assert ack["ok"], ack
        last = seqs[0] + moves
        for t, _ in tablets:
            await t.wait_for(lambda e, last=last: e["seq"] == last, timeout=20)
        stop.set()
        await asyncio.gather(*readers)
        fresh = (await chair.call("meeting:join", {"meeting_id": c.meeting_id}))["data"]
        for (t, _), seq in zip(tablets, seqs):
            got = [e["seq"] for e in t.events if e["seq"] is not None and e["seq"] > seq]
            assert got == list(range(seq + 1, seq + moves + 1))  # none lost, none doubled, in order
            assert t.state == fresh["snapshot"]
        assert all(answered)
        assert _broadcaster(live_server).sender.direct > 0
    finally:
        for t, http in [*tablets, (chair, chair_http)]:
            await t.close()
            await http.aclose()


class StuckTablet:
    """A raw Engine.IO/Socket.IO client that joins and then never reads again (a frozen tablet)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str, cookie: str, meeting_id: int) -> "StuckTablet":
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny receive window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        writer.write(
            (
                f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nCookie: ecabinet_session={cookie}\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 101 " in head.split(b"\r\n")[0], head
        me = cls(reader, writer)
        assert (await me.recv()).startswith("0")
        me.send("40")
        assert (await me.recv()).startswith("40")
        me.send("421" + json.dumps(["meeting:join", {"meeting_id": meeting_id}]))
        while True:  # presence messages may come first
            text = await me.recv()
            if text.startswith("431"):
                assert json.loads(text[3:])[0]["ok"], text
                return me

    def send(self, text: str) -> None:
        data, mask = text.encode(), os.urandom(4)
        n = len(data)
        head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        self.writer.write(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    async def recv(self) -> str:
        b0, b1 = await self.reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(await self.reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await self.reader.readexactly(8), "big")
        return (await self.reader.readexactly(n)).decode()

    def close(self) -> None:
        self.writer.transport.abort()


async def test_a_tablet_that_stops_reading_is_dropped_and_the_others_get_everything(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, last_hop: str
) -> None:
    monkeypatch.setattr(wire, "MAX_BUFFERED", 32 * 1024)
    monkeypatch.setattr(direct, "MAX_BUFFERED", 32 * 1024)
    monkeypatch.setattr(wire, "MAX_QUEUED", 16)
    c = make_cabinet(live_server.db, n_members=4, n_items=8, start=True)
    stuck_http = await login(live_server.url, c.members[0].username)
    stuck = await StuckTablet.open(live_server.url, stuck_http.cookies["ecabinet_session"], c.meeting_id)
    tablets = [await live_client(live_server.url, m.username) for m in c.members[1:]]
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    sio = live_server.app.state.sio
    try:
        seqs = [(await t.join(c.meeting_id))["data"]["seq"] for t, _ in tablets]
        await chair.join(c.meeting_id)
        sock, environ = _engine_socket(live_server, c.members[0].id)
        proto = wire.protocol_of(sock, environ)
        # A slow network: the server's kernel buffer towards this tablet is small too.
        proto.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        sender = _broadcaster(live_server).sender
        moves, peak_queue = 0, 0
        while sock.sid in sio.eio.sockets and moves < 400:
            ack = await chair.call("agenda:next" if moves % 2 == 0 else "agenda:previous", {"meeting_id": c.meeting_id})
            assert ack["ok"], ack
            moves += 1
            peak_queue = max(peak_queue, sock.queue.qsize())
            assert proto.transport.get_write_buffer_size() <= direct.MAX_BUFFERED + 64 * 1024  # never unbounded
        await eventually(
            lambda: sock.sid not in sio.eio.sockets, f"the stuck tablet to be dropped after {moves} events", timeout=4
        )
        assert sender.dropped >= 1 and peak_queue <= wire.MAX_QUEUED
        assert c.members[0].id not in {a.id for a in live_server.app.state.rooms.actors.values()}
        last = seqs[0] + moves
        for (t, _), seq in zip(tablets, seqs):  # the others were never held up and lost nothing
            await t.wait_for(lambda e, last=last: e["seq"] == last, timeout=20)
            assert [e["seq"] for e in t.events if e["seq"] is not None and e["seq"] > seq] == list(
                range(seq + 1, last + 1)
            )
        # The dropped tablet resyncs as any reconnecting client does: a fresh snapshot at the current seq.
        back = LiveClient(live_server.url, stuck_http.cookies["ecabinet_session"])
        await back.connect()
        again = await back.join(c.meeting_id)
        assert again["ok"] and again["data"]["seq"] == last
        await back.close()
    finally:
        stuck.close()
        await stuck_http.aclose()
        for t, http in [*tablets, (chair, chair_http)]:
            await t.close()
            await http.aclose()


async def test_nodes_sharing_redis_each_fan_out_locally_once_and_in_order(
    two_nodes: tuple[LiveServer, LiveServer],
) -> None:
    node_a, node_b = two_nodes
    c = make_cabinet(node_a.db, n_members=6, start=True)
    tablets = [await live_client((node_a if i % 2 else node_b).url, m.username) for i, m in enumerate(c.members)]
    chair = await login(node_a.url, c.chair.username)
    moves = 20
    direct_b = _broadcaster(node_b).sender.direct
    try:
        seqs = [(await t.join(c.meeting_id))["data"]["seq"] for t, _ in tablets]
        for k in range(moves):
            r = await chair.post(f"/api/meetings/{c.meeting_id}/{'next' if k % 2 == 0 else 'previous'}")
            assert r.status_code == 200
        last = seqs[0] + moves
        for (t, _), seq in zip(tablets, seqs):
            await t.wait_for(lambda e, last=last: e["seq"] == last, timeout=20)
            assert [e["seq"] for e in t.events if e["seq"] is not None and e["seq"] > seq] == list(
                range(seq + 1, last + 1)
            )
        assert _broadcaster(node_b).sender.direct - direct_b >= moves  # node B fanned out on the fast path itself
    finally:
        for t, http in tablets:
            await t.close()
            await http.aclose()
        await chair.aclose()


async def test_tablets_resyncing_at_once_share_one_read_and_each_gets_what_it_missed(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, n_members=10, n_items=4, start=True)
    tablets = [await live_client(live_server.url, c.members[i % 10].username) for i in range(30)]
    chair = await login(live_server.url, c.chair.username)
    guest, guest_http = await live_client(live_server.url, c.guest.username)
    try:
        seqs = {(await t.join(c.meeting_id))["data"]["seq"] for t, _ in tablets}
        assert len(seqs) == 1
        since = seqs.pop()
        for step in ("next", "next", "previous"):
            assert (await chair.post(f"/api/meetings/{c.meeting_id}/{step}")).status_code == 200
        shared = live_server.app.state.shared_reads
        before = shared.reads
        acks = await asyncio.gather(
            *(t.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since}) for t, _ in tablets)
        )
        assert all(a["ok"] for a in acks)
        assert [e["seq"] for e in acks[0]["data"]["events"]] == [since + 1, since + 2, since + 3]
        assert all(a["data"] == acks[0]["data"] for a in acks)
        assert shared.reads - before < len(tablets)
        # Not joined: the full path with its own permission check (a guest who joined sees only what guests may).
        assert (await guest.join(c.meeting_id))["ok"]
        assert (await guest.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since}))["ok"]
        outsider, outsider_http = await live_client(live_server.url, c.outsider.username)
        denied = await outsider.call("meeting:sync", {"meeting_id": c.meeting_id, "since": since})
        assert not denied["ok"] and denied["error"]["code"] == "not_found"  # not invited: as if absent
        await outsider.close()
        await outsider_http.aclose()
    finally:
        for t, http in [*tablets, (guest, guest_http)]:
            await t.close()
            await http.aclose()
        await chair.aclose()


async def test_tablets_get_vietnamese_as_utf8_text_not_escapes(live_server: LiveServer) -> None:
    """An event's Vietnamese goes out as the characters themselves: escaped (\\uXXXX) it is ~1.6 times the bytes
    and about twice the parse time on every tablet."""
    c = make_cabinet(live_server.db, n_members=1, start=True)
    http = await login(live_server.url, c.members[0].username)
    tablet = await StuckTablet.open(live_server.url, http.cookies["ecabinet_session"], c.meeting_id)
    chair, chair_http = await live_client(live_server.url, c.chair.username)
    try:
        await chair.join(c.meeting_id)
        assert (await chair.call("agenda:next", {"meeting_id": c.meeting_id}))["ok"]

        async def the_move() -> tuple[str, dict]:
            while True:  # pings, the online list and the chair's joining may come first, in any order
                text = await tablet.recv()
                if text.startswith("42"):
                    name, env = json.loads(text[2:])
                    if name == "event" and env.get("type") == "agenda.current_changed":
                        return text, env

        text, env = await asyncio.wait_for(the_move(), 10)
        assert env["data"]["meeting"]["title"] == "Phiên họp thử nghiệm ngân sách"
        assert "Phiên họp thử nghiệm ngân sách" in text and "\\u" not in text
    finally:
        tablet.close()
        await http.aclose()
        await chair.close()
        await chair_http.aclose()


def test_a_text_that_cannot_be_utf8_is_still_sent_escaped() -> None:
    """A lone surrogate (refused at input, but never allowed to break a delivery) is written as an escape."""
    from realtime import packet_json

    data = ["event", {"title": "Phiên họp \ud800"}]
    out = packet_json.dumps(data, separators=(",", ":"))
    out.encode()  # UTF-8 text a websocket can carry
    assert json.loads(out) == data and "\\ud800" in out
    assert packet_json.dumps(["event", {"title": "Phiên họp"}]) == '["event", {"title": "Phiên họp"}]'


def test_the_c_batch_sends_whole_frames_and_reports_each_socket_that_did_not_take_one() -> None:
    """realtime/_fastsend.c: one frame to many non-blocking sockets; a full kernel buffer answers how much it took
    (or -EAGAIN), a reset peer its errno, a bad descriptor EBADF; every other socket gets the whole frame once."""
    assert wire.SEND_ALL is not None, "realtime/_fastsend.c was not built (pip install builds it)"
    import array
    import errno

    listener = socket.create_server(("127.0.0.1", 0))
    pairs = []
    for _ in range(4):
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
        server.setblocking(False)
        pairs.append((server, client))
    full, ok, gone, ok2 = (p[0] for p in pairs)
    full.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    pairs[0][1].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        while True:  # fill the stuck tablet's path until the kernel takes no more
            full.send(b"x" * 65536)
    except BlockingIOError:
        pass
    pairs[2][1].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    pairs[2][1].close()  # a reset: the peer is gone
    assert select.select([gone], [], [], 5)[0], "the peer's reset never arrived"  # a reset socket reads
    frame = b"\x81\x05hello" * 400
    fds = array.array("i", [full.fileno(), ok.fileno(), gone.fileno(), ok2.fileno(), 10**6])
    out = dict(wire.SEND_ALL(fds, frame))
    assert set(out) == {0, 2, 4}, out
    assert out[0] == -errno.EAGAIN or 0 < out[0] < len(frame)
    assert out[2] in (-errno.ECONNRESET, -errno.EPIPE)
    assert out[4] == -errno.EBADF
    for index in (1, 3):
        got = b""
        reader = pairs[index][1]
        reader.settimeout(5)
        while len(got) < len(frame):
            got += reader.recv(len(frame))
        assert got == frame
    assert wire.SEND_ALL(array.array("i"), frame) == []
    for server, client in pairs:
        server.close()
        client.close()
    listener.close()


def test_a_tls_transport_is_never_written_around() -> None:
    """Bytes sent on the socket under TLS would not be the stream the peer decrypts: such a transport gets no
    descriptor for the C batch (its frames go through the transport)."""

    class Transport:
        def __init__(self, ssl: object | None) -> None:
            self.sock, self.ssl = socket.socket(), ssl

        def get_extra_info(self, name: str) -> object | None:
            return {"socket": self.sock, "ssl_object": self.ssl}.get(name)

    for ssl, has_fd in ((object(), False), (None, True)):
        transport = Transport(ssl)
        queue = direct.DirectQueue(types.SimpleNamespace(transport=transport))
        assert (queue.fd >= 0) is has_fd
        transport.sock.close()
