"""The socket edge's limits on the connection itself, against the real uvicorn with real clients and raw
websockets: a socket that never signs in is closed, a malformed frame closes its connection (answered when its
ack id can be read) with one short log line, an event with extra arguments is refused and rate-limited like any
other, and one login user has a bounded number of sockets sharing one event budget."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest
import socketio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.db import Database
from infra.settings import Settings
from realtime import guarded
from tests.conftest import LiveServer, running
from display import services as display
from tests.factories import call, make_cabinet
from tests.live import live_client, login
from tests.waiting import eventually


async def raw_socket(url: str, cookie: str | None = None, signed_in: bool = False) -> ClientConnection:
    """An Engine.IO websocket written by hand (Engine.IO's OPEN read); `signed_in`: Socket.IO's connect done."""
    headers = {"Cookie": f"ecabinet_session={cookie}"} if cookie else {}
    ws = await connect(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", additional_headers=headers)
    assert str(await ws.recv()).startswith("0{")
    if signed_in:
        await ws.send("40")
        assert str(await ws.recv()).startswith("40{"), "the Socket.IO connect was refused"
    return ws


async def until_closed(ws: ClientConnection, timeout: float = 5) -> list[str]:
    """Every frame the server sends until it closes the connection (fails if it is still open after `timeout`)."""
    got: list[str] = []
    async with asyncio.timeout(timeout):
        try:
            async for message in ws:
                got.append(str(message))
        except ConnectionClosed:
            pass
    return got


def acks(frames: list[str]) -> dict[str, str]:
    return {f[2 : f.index("[")]: f for f in frames if f.startswith("43")}


async def test_a_socket_that_is_not_signed_in_is_closed_at_the_connect_timeout(
    settings: Settings, db: Database
) -> None:
    async with running(settings.with_(socket_connect_timeout_seconds=1)) as live:
        c = make_cabinet(live.db, start=True)
        tablet, http = await live_client(live.url, c.members[0].username)
        try:
            loop = asyncio.get_running_loop()
            opened = loop.time()
            silent = await raw_socket(live.url)  # never sends Socket.IO's connect
            refused = await raw_socket(live.url)  # no cookie: its connect is refused, and the websocket closed
            await refused.send("40")
            assert str(await refused.recv()).startswith("44{")
            left = await raw_socket(live.url, http.cookies["ecabinet_session"], signed_in=True)
            await left.send("41")  # leaves the namespace, keeps the websocket
            for ws in (silent, refused, left):
                await until_closed(ws)
            assert loop.time() - opened >= 0.9, "closed before the deadline"
            # the signed-in tablet, older than the deadline, stays and acts
            assert tablet.sio.connected and (await tablet.join(c.meeting_id))["ok"]
        finally:
            await tablet.close()
            await http.aclose()


async def test_malformed_frames_close_the_connection_with_one_short_log_line(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guarded, "faults", guarded.FaultLog(limit=5))  # the bound, fresh for this test
    caplog.set_level(logging.INFO)
    flood = await raw_socket(live_server.url)  # before any login
    with contextlib.suppress(ConnectionClosed):  # the first one closes it; the rest may be written before that shows
        for _ in range(2000):
            await flood.send("4x")  # a Socket.IO packet of no type
    await until_closed(flood)
    bad = ["", "9xyz", "0", "4", "42abc[]", "43", "44{}", "451-[]", "4" + '2["meeting:join",' + "[" * 100_000]
    for frame in bad:
        ws = await raw_socket(live_server.url)
        await ws.send(frame)
        await until_closed(ws)
    lines = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert 1 <= len(lines) <= 5 + 1, [r.getMessage() for r in lines]  # the bound, and the count of the others
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text[:3000]
    assert len(caplog.text) < 5000
    # the server carries on
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    try:
        assert (await tablet.join(c.meeting_id))["ok"]
    finally:
        await tablet.close()
        await http.aclose()


async def test_a_malformed_frame_is_answered_when_its_ack_id_reads_and_calls_before_it_are_answered(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    c = make_cabinet(live_server.db, start=True)
    http = await login(live_server.url, c.members[0].username)
    cookie = http.cookies["ecabinet_session"]
    broken = {
        "nested past the parser": '421["meeting:join",' + "[" * 20_000 + "]" * 20_000 + "]",
        "5000-digit integer": '421["meeting:join",{"meeting_id":' + "9" * 5000 + "}]",
        "truncated JSON": '421["meeting:join",{"meeting_id":1',
        # one meaning per packet (core/strict_json.py): a proxy reading the first key would see another meeting
        "a key given twice": '421["meeting:join",{"meeting_id":1,"meeting_id":2}]',
        "a key given twice, nested": '421["meeting:join",{"a":{"b":1,"b":1}}]',
    }
    try:
        for what, frame in broken.items():
            ws = await raw_socket(live_server.url, cookie, signed_in=True)
            await ws.send(frame)
            answer = acks(await until_closed(ws)).get("1", "")
            assert '"ok":false' in answer and '"code":"validation_failed"' in answer, (what, answer)
        # a call in flight is answered before the connection closes for the broken frame that follows it
        ws = await raw_socket(live_server.url, cookie, signed_in=True)
        await ws.send(f'424["meeting:join",{{"meeting_id":{c.meeting_id}}}]')
        await ws.send('42["meeting:join",{"meeting_id"')
        assert '"ok":true' in acks(await until_closed(ws)).get("4", ""), "the join before the broken frame"
        assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    finally:
        await http.aclose()


async def test_extra_arguments_are_refused_and_counted_and_a_users_sockets_share_one_budget(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(settings.with_(socket_rate_per_second=2)) as live:  # bursts of 4
        c = make_cabinet(live.db, start=True)
        pairs = [await live_client(live.url, c.members[0].username) for _ in range(3)]
        tablets = [tablet for tablet, _ in pairs]
        try:
            three = await asyncio.gather(
                *(t.sio.call("meeting:join", ({"meeting_id": c.meeting_id}, 2, 3), timeout=5) for t in tablets)
            )
            for ack in three:
                assert ack["ok"] is False and ack["error"]["code"] == "validation_failed", ack
            assert "3" in three[0]["error"]["message"]
            pointer = await tablets[0].sio.call("presenter:pointer", ({"meeting_id": 1, "x": 0, "y": 0}, 1), timeout=5)
            assert pointer["ok"] is False and pointer["error"]["code"] in ("validation_failed", "rate_limited"), pointer
            # four calls from each of three sockets: one user's budget (4 at once, 2 a second), not three
            burst = await asyncio.gather(*(t.call("meeting:sync", {}) for t in tablets for _ in range(4)))
            codes = [a["error"]["code"] for a in burst]
            assert codes.count("rate_limited") >= 6, codes
            assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], caplog.text[:3000]
        finally:
            for tablet, http in pairs:
                await tablet.close()
                await http.aclose()


async def _connect(url: str, cookie: str, lang: str = "vi") -> tuple[socketio.AsyncClient, Any]:
    """A client, and the connect_error it got (None when it connected)."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", errors.append)
    headers = {"Cookie": f"ecabinet_session={cookie}", "Accept-Language": lang}
    try:
        await client.connect(url, transports=["websocket"], headers=headers, wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return client, errors[0] if errors else "refused without a reason"
    return client, None


async def test_one_user_opens_at_most_sockets_per_user_sockets(settings: Settings, db: Database) -> None:
    async with running(settings.with_(sockets_per_user=3)) as live:
        c = make_cabinet(live.db, start=True)
        https = [await login(live.url, u.username) for u in (c.members[0], c.members[0], c.members[1])]
        cookies = [h.cookies["ecabinet_session"] for h in https]
        clients: list[socketio.AsyncClient] = []
        try:
            for cookie in (cookies[0], cookies[0], cookies[1]):  # two logins of the same person
                client, error = await _connect(live.url, cookie)
                clients.append(client)
                assert error is None, error
            _, error = await _connect(live.url, cookies[0])
            message = (
                "Tài khoản này đang mở 3 kết nối trực tiếp, mức tối đa; "
                + "hãy đóng bớt thẻ hoặc thiết bị khác rồi thử lại."
            )
            # what the pages show (live-connection.js: err.data.message)
            assert error == {"message": message, "data": {"code": "too_many_connections", "message": message}}
            _, error = await _connect(live.url, cookies[1], lang="en")
            assert error["data"]["message"] == (
                "This account already has 3 live connections open, the most allowed; "
                "close some other tabs or devices and try again."
            )
            other, error = await _connect(live.url, cookies[2])  # another member is not counted with them
            clients.append(other)
            assert error is None
            await clients[0].disconnect()

            async def one_more() -> bool:
                client, error = await _connect(live.url, cookies[0])
                clients.append(client)
                return error is None

            await eventually(one_more, "a socket again once one of the three closed")
        finally:
            for client in clients:
                if client.connected:
                    await client.disconnect()
            for h in https:
                await h.aclose()


async def test_one_display_link_opens_at_most_sockets_per_display_sockets(settings: Settings, db: Database) -> None:
    """A hall's display link is shown on screens in the room (and may be copied): it is no way to open sockets
    without bound either. Another meeting's link is counted apart."""
    async with running(settings.with_(sockets_per_display=2)) as live:
        c = make_cabinet(live.db, start=True)
        link = call(live.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
        other = call(live.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
        screens: list[socketio.AsyncClient] = []

        async def screen(token: str, lang: str = "vi") -> Any:
            client = socketio.AsyncClient(reconnection=False)
            errors: list[Any] = []
            client.on("connect_error", errors.append)
            screens.append(client)
            try:
                await client.connect(
                    live.url,
                    transports=["websocket"],
                    auth={"display_token": token},
                    headers={"Accept-Language": lang},
                    wait_timeout=10,
                )
            except socketio.exceptions.ConnectionError:
                return errors[0] if errors else "refused without a reason"
            return None

        try:
            assert await screen(link) is None and await screen(link) is None
            error = await screen(link)
            assert error["data"]["code"] == "too_many_connections"
            assert error["data"]["message"].startswith("Liên kết màn hình phòng họp này đang mở 2 kết nối")
            error = await screen(link, lang="en")
            assert error["data"]["message"].startswith("This meeting-room display link already has 2 live")
            assert await screen(other) is None  # another link (another screen of the hall) is not counted with it
            await screens[0].disconnect()
            await eventually(lambda: _connected(screen, link), "a screen again once one of the two closed")
        finally:
            for client in screens:
                if client.connected:
                    await client.disconnect()


async def _connected(screen: Any, token: str) -> bool:
    return await screen(token) is None
