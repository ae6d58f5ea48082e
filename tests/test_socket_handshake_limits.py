"""What a websocket may do before and around Socket.IO's connect, against the real uvicorn with raw websockets
(realtime/guarded.py, realtime/direct.py, realtime/connect_limit.py): one CONNECT per Engine.IO connection and a
refused one closes it; connect attempts are limited per client address (in Redis across nodes) while a hall of
tablets behind one address still connects; Engine.IO's own packets (UPGRADE, stray PONGs) close the connection
instead of being answered for ever; binary packets are refused (nothing is held pending); a hall display link's
sockets share one byte budget."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any, AsyncIterator

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from app.cli import server_options
from app.db import Database
from display import services as display
from infra.settings import Settings
from realtime import actions as socket_actions
from realtime import connect_limit, direct, guarded, handlers
from tests.cluster_helpers import REDIS_URL, need_services
from tests.conftest import LiveServer, free_port, running
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.test_socket_edge_limits import acks, raw_socket, until_closed
from tests.test_socket_frames import _padded
from tests.waiting import eventually

BOGUS_TOKEN = "40" + json.dumps({"display_token": "A" * 43})


def _count_admits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The connect handler's reads (a display token or a session cookie looked up), counted; unchanged."""
    reads: list[int] = []
    real = handlers._admit

    async def counted(*args: Any) -> None:
        reads.append(1)
        await real(*args)

    monkeypatch.setattr(handlers, "_admit", counted)
    return reads


async def _closed(ws: ClientConnection) -> list[str]:
    with contextlib.suppress(ConnectionClosed):
        return await until_closed(ws)
    return []


async def _attempt(url: str, frame: str = BOGUS_TOKEN, cookie: str | None = None) -> str:
    """One connect on a websocket of its own: the connect_error's code ("" when admitted); the socket is closed."""
    ws = await raw_socket(url, cookie)
    try:
        await ws.send(frame)
        answer = str(await ws.recv())
    finally:
        await ws.close()
    return json.loads(answer[2:])["data"]["code"] if answer.startswith("44") else ""


async def test_one_connect_per_connection_and_a_refused_one_closes_it(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db)
    http = await login(live_server.url, c.members[0].username)
    try:
        for headers, frame in ((None, BOGUS_TOKEN), ("x" * 43, "40")):  # a display token, a session cookie
            ws = await raw_socket(live_server.url, headers)
            with contextlib.suppress(ConnectionClosed):
                for _ in range(200):  # the probe's flood: 1 700 read a second on one socket
                    await ws.send(frame)
            got = await _closed(ws)
            assert [f for f in got if f.startswith("44")][:1] and '"unauthenticated"' in got[0], got
            assert len([f for f in got if f.startswith("44")]) == 1, got
        assert len(reads) == 2, reads  # one read per connection
        # a signed-in socket that sends a second CONNECT is closed too, and its place is given back
        ws = await raw_socket(live_server.url, http.cookies["ecabinet_session"], signed_in=True)
        await ws.send("40")
        await _closed(ws)
        actions = live_server.app.state.actions
        await eventually(lambda: not actions.sockets_of, "the closed socket forgotten")
        tablet, tablet_http = await live_client(live_server.url, c.members[1].username)  # a normal client
        try:
            assert (await tablet.join(c.meeting_id))["ok"]
        finally:
            await tablet.close()
            await tablet_http.aclose()
    finally:
        await http.aclose()


async def test_refused_connects_per_address_are_limited_and_a_hall_behind_it_still_connects(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", 20)
    reads = _count_admits(monkeypatch)
    c = make_cabinet(live_server.db, n_members=10)
    https = [await login(live_server.url, m.username) for m in c.members]
    cookies = [h.cookies["ecabinet_session"] for h in https]
    try:
        # a hall: 3x the limit in connects from one address, 10 at a time: admitted ones are not counted
        for wave in range(6):
            codes = await asyncio.gather(*(_attempt(live_server.url, "40", cookie) for cookie in cookies))
            assert codes == [""] * 10, (wave, codes)
        reads.clear()
        codes = [await _attempt(live_server.url) for _ in range(25)]
        assert codes == ["unauthenticated"] * 20 + ["rate_limited"] * 5, codes
        assert len(reads) == 20, len(reads)  # past the limit, nothing is read
        ws = await raw_socket(live_server.url)
        await ws.send(BOGUS_TOKEN)
        refusal = json.loads(str(await ws.recv())[2:])
        assert refusal["data"]["message"].startswith("Có quá nhiều lần kết nối trực tiếp bị từ chối từ địa chỉ này")
        await _closed(ws)
        # a login this node has seen work still connects (its own budget, realtime/connect_limit.py); a flood not
        assert await _attempt(live_server.url, "40", cookies[0]) == ""
        assert await _attempt(live_server.url) == "rate_limited"
    finally:
        for h in https:
            await h.aclose()


async def test_a_hall_of_200_sockets_behind_one_address_connects_at_once(live_server: LiveServer) -> None:
    """The shipped limit (connect_limit.PER_ADDRESS), 200 sockets of 25 users opening and connecting at once."""
    c = make_cabinet(live_server.db, n_members=25)
    https = [await login(live_server.url, m.username) for m in c.members]
    cookies = [h.cookies["ecabinet_session"] for h in https]
    sockets: list[ClientConnection] = []
    try:
        sockets = await asyncio.gather(*(raw_socket(live_server.url, cookie) for cookie in cookies * 8))
        await asyncio.gather(*(ws.send("40") for ws in sockets))
        answers = await asyncio.gather(*(ws.recv() for ws in sockets))
        assert all(str(a).startswith("40{") for a in answers), [a for a in answers if not str(a).startswith("40")]
        tablet, http = await live_client(live_server.url, c.chair.username)
        try:
            assert (await tablet.join(c.meeting_id))["ok"]
        finally:
            await tablet.close()
            await http.aclose()
    finally:
        for ws in sockets:
            await ws.close()
        for h in https:
            await h.aclose()


async def test_refused_connects_are_counted_across_nodes_sharing_redis(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_services()
    monkeypatch.setattr(connect_limit, "PER_ADDRESS", 6)
    shared = settings.with_(redis_url=REDIS_URL, redis_channel=f"ecabinet-test-{uuid.uuid4().hex[:8]}")
    async with running(shared) as a, running(shared.with_(port=free_port())) as b:
        codes = [await _attempt((a, b)[i % 2].url) for i in range(8)]
        assert codes == ["unauthenticated"] * 6 + ["rate_limited"] * 2, codes


async def test_engine_io_upgrade_closes_the_connection_signed_in_or_not(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    http = await login(live_server.url, c.members[0].username)
    try:
        for signed_in in (False, True):
            ws = await raw_socket(live_server.url, http.cookies["ecabinet_session"], signed_in=signed_in)
            with contextlib.suppress(ConnectionClosed):
                for _ in range(500):
                    await ws.send("5")
            got = await _closed(ws)
            assert "6" not in got, got.count("6")  # no NOOP answered
    finally:
        await http.aclose()


async def test_stray_pongs_close_the_connection_and_answered_pings_keep_it(live_server: LiveServer) -> None:
    live_server.app.state.sio.eio.ping_interval = 0.2  # pings come quickly (read at each ping)
    c = make_cabinet(live_server.db, start=True)
    http = await login(live_server.url, c.members[0].username)
    cookie = http.cookies["ecabinet_session"]
    try:
        for signed_in in (False, True):  # pongs that answer nothing: STRAY_PONGS let pass, then closed
            ws = await raw_socket(live_server.url, cookie, signed_in=signed_in)
            with contextlib.suppress(ConnectionClosed):
                for _ in range(guarded.STRAY_PONGS + 50):
                    await ws.send("3")
            await _closed(ws)
        ws = await raw_socket(live_server.url, cookie)  # before sign-in: at most HANDSHAKE_FRAMES frames
        with contextlib.suppress(ConnectionClosed):
            for _ in range(guarded.HANDSHAKE_FRAMES + 1):
                await ws.send("41")
        await _closed(ws)
        # a client that answers each PING with one PONG stays, signed in, and is answered
        ws = await raw_socket(live_server.url, cookie, signed_in=True)
        pings = 0
        async with asyncio.timeout(10):
            while pings < 5:
                if str(await ws.recv()) == "2":
                    pings += 1
                    await ws.send("3")
        await ws.send(f'421["meeting:join",{{"meeting_id":{c.meeting_id}}}]')
        got: list[str] = []
        async with asyncio.timeout(10):
            while "1" not in acks(got):
                frame = str(await ws.recv())
                if frame == "2":
                    await ws.send("3")
                got.append(frame)
        assert '"ok":true' in acks(got)["1"]
        await ws.close()
    finally:
        await http.aclose()


async def test_binary_packets_close_the_connection_and_nothing_is_held(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    http = await login(live_server.url, c.members[0].username)
    cookie = http.cookies["ecabinet_session"]
    sio = live_server.app.state.sio
    try:
        announce = '45999999999-7["meeting:join",{"_placeholder":true,"num":0}]'
        for first in (announce, '461-7[{"_placeholder":true,"num":0}]'):
            ws = await raw_socket(live_server.url, cookie, signed_in=True)
            with contextlib.suppress(ConnectionClosed):
                await ws.send(first)
                for _ in range(5):
                    await ws.send(b"\0" * 32 * 1024)
            got = await _closed(ws)
            assert not sio._binary_packet
            if first is announce:  # its ack id reads: answered
                assert '"validation_failed"' in acks(got).get("7", ""), got
        ws = await raw_socket(live_server.url, cookie, signed_in=True)  # a binary frame alone
        with contextlib.suppress(ConnectionClosed):
            await ws.send(b"\0" * 1024)
        await _closed(ws)
        assert not sio._binary_packet
    finally:
        await http.aclose()


async def test_the_sockets_of_one_display_link_share_one_byte_budget(live_server: LiveServer) -> None:
    """A link shown on the hall's screens opens up to sockets_per_display sockets: one budget between them, as a
    user's sockets share one (another link has its own)."""
    c = make_cabinet(live_server.db, start=True)
    link = call(live_server.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    other = call(live_server.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    screens = []
    for token in (link, link, other):
        ws = await raw_socket(live_server.url)
        await ws.send("40" + json.dumps({"display_token": token}))
        assert str(await ws.recv()).startswith("40{")
        screens.append(ws)
    try:
        per_screen = 3
        for n in range(per_screen):  # large frames from each screen in turn
            for i, ws in enumerate(screens):
                await ws.send(_padded(c.meeting_id, 100_000, 10 * i + n + 1))
        answers: list[dict[str, str]] = []
        for ws in screens:
            got: list[str] = []
            async with asyncio.timeout(10):
                while len(acks(got)) < per_screen:
                    got.append(str(await ws.recv()))
            answers.append({k: json.loads(v[v.index("[") :])[0]["error"]["code"] for k, v in acks(got).items()})
        burst = socket_actions.FRAME_BYTES_BURST // 100_000
        shared = [code for screen in answers[:2] for code in screen.values()]
        assert shared.count("validation_failed") <= burst + 1, answers  # decoded: one burst for both screens
        assert shared.count("rate_limited") >= 2 * per_screen - burst - 1, answers
        assert list(answers[2].values()).count("validation_failed") >= burst, answers  # the other link's own
    finally:
        for ws in screens:
            await ws.close()


@contextlib.asynccontextmanager
async def _served_by_wsproto(settings: Settings) -> AsyncIterator[LiveServer]:
    """The app under uvicorn's wsproto websockets: no direct sockets, engine.io's own read loop."""
    live = LiveServer(settings)
    options = server_options(settings)
    options["ws"] = "wsproto"
    server = uvicorn.Server(uvicorn.Config(live.app, log_level="warning", **options))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, "uvicorn to start")
    try:
        yield live
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_engine_io_packets_are_checked_on_sockets_that_are_not_direct_too(
    settings: Settings, db: Database
) -> None:
    async with _served_by_wsproto(settings) as live:
        c = make_cabinet(live.db, start=True)
        http = await login(live.url, c.members[0].username)
        cookie = http.cookies["ecabinet_session"]
        try:
            for frames in (["5"] * 50, ["3"] * (guarded.STRAY_PONGS + 50), [BOGUS_TOKEN] * 50):
                ws = await raw_socket(live.url, cookie if frames[0] != BOGUS_TOKEN else None)
                sock = next(iter(live.app.state.sio.eio.sockets.values()))
                assert type(sock) is direct.GuardedSocket
                with contextlib.suppress(ConnectionClosed):
                    for frame in frames:
                        await ws.send(frame)
                got = await _closed(ws)
                assert "6" not in got and len([f for f in got if f.startswith("44")]) <= 1, got
            tablet, tablet_http = await live_client(live.url, c.members[1].username)  # a normal client
            try:
                assert (await tablet.join(c.meeting_id))["ok"]
            finally:
                await tablet.close()
                await tablet_http.aclose()
        finally:
            await http.aclose()
