"""Property over the socket edge, through a real python-socketio client against the real server: every
event, with hostile payloads (tests/fuzz_values.py), answers an ack {ok: false, error: {code}} (or ok:
true), never an internal error, and the connection and the server carry on."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Iterator

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.db import Database
from app.factory import create_app
from infra.settings import Settings
from tests.factories import PASSWORD, make_cabinet
from tests.fuzz_values import payloads
from tests.live import LiveClient

SKIP = {"connect", "disconnect"}


class Loop:
    """The real server and real python-socketio clients in one event loop on a thread of its own, so that
    hypothesis (synchronous) can drive them: run(coro) waits for the coroutine's result."""

    serving: asyncio.Task[None]  # uvicorn's serve(), set on the loop's thread by __enter__

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.url = f"http://127.0.0.1:{settings.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=settings.port, log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> "Loop":
        self.thread.start()
        self.task = self.loop.call_soon_threadsafe(
            lambda: setattr(self, "serving", self.loop.create_task(self.server.serve()))
        )
        for _ in range(500):
            if self.server.started:
                return self
            self.thread.join(0.02)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.run(asyncio.wait_for(asyncio.shield(self.serving), 15))
        self.run(self._cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(15)

    async def _cancel_rest(self) -> None:
        rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in rest:
            task.cancel()
        await asyncio.gather(*rest, return_exceptions=True)


async def _connect(url: str, username: str) -> LiveClient:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    client = LiveClient(url, r.cookies["ecabinet_session"])
    await client.connect()
    return client


@pytest.fixture
def socket_clients(settings: Settings, db: Database) -> Iterator[tuple[Loop, list[LiveClient], dict[str, Any]]]:
    c = make_cabinet(db, n_members=2, n_items=2, start=True)
    with Loop(settings) as loop:
        clients = [loop.run(_connect(loop.url, user.username)) for user in (c.chair, c.members[0], c.staff)]
        handlers = loop.app.state.sio.handlers["/"]
        events = {name: getattr(h, "payload_model", None) for name, h in handlers.items() if name not in SKIP}
        try:
            yield loop, clients, {"events": events, "meeting_id": c.meeting_id}
        finally:
            for client in clients:
                loop.run(client.close())


@settings(max_examples=250, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_event_answers_hostile_payloads_with_an_error_ack(socket_clients: Any, data: st.DataObject) -> None:
    loop, clients, ctx = socket_clients
    client = clients[data.draw(st.integers(0, len(clients) - 1))]
    event = data.draw(st.sampled_from(sorted(ctx["events"])))
    payload = data.draw(payloads(ctx["events"][event], max_depth=300))
    ack = loop.run(client.call(event, payload))
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), f"{event} {payload!r}: {ack!r}"
    if not ack["ok"]:
        assert ack["error"]["code"] not in ("internal_error", "error"), f"{event} {str(payload)[:300]}: {ack!r}"
    assert client.sio.connected, f"{event} {str(payload)[:300]} disconnected the socket"


def test_the_server_still_serves_after_the_fuzzing(socket_clients: Any) -> None:
    loop, clients, ctx = socket_clients
    hostile: tuple[object, ...] = ({"meeting_id": 2**63}, {"meeting_id": 1, "x": "\x00"}, [[[[[]]]]], "\ud800")
    for event in ctx["events"]:  # a few hostile payloads for every event, whatever hypothesis drew
        for payload in hostile:
            ack = loop.run(clients[1].call(event, payload))
            assert ack["ok"] is False and ack["error"]["code"] != "internal_error", (event, payload, ack)
    ack = loop.run(clients[1].call("meeting:join", {"meeting_id": ctx["meeting_id"]}))
    assert ack["ok"] is True and ack["data"]["snapshot"]["meeting"]["id"] == ctx["meeting_id"]


async def _raw_frames(url: str, cookie: str, frames: list[str]) -> list[str]:
    """Socket.IO frames written by hand (no client encoder in the way): what comes back within a second."""
    import aiohttp

    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(ws_url, headers={"Cookie": f"ecabinet_session={cookie}"}) as ws,
    ):
        await ws.receive(timeout=5)  # engine.io open
        await ws.send_str("40")
        await ws.receive(timeout=5)  # socket.io connect ack
        for frame in frames:
            await ws.send_str(frame)
        got = []  # an undecodable frame closes the connection (realtime/guarded.py): collect until then, or quiet
        with contextlib.suppress(asyncio.TimeoutError):
            while (message := await ws.receive(timeout=3)).type is aiohttp.WSMsgType.TEXT:
                got.append(str(message.data))
        return got


def test_raw_frames_nested_past_the_parser_or_not_json_leave_the_server_answering(socket_clients: Any) -> None:
    loop, clients, ctx = socket_clients
    cookie = clients[1].cookie
    deep = "[" * 50_000 + "]" * 50_000
    frames = [
        '422["meeting:join",{"meeting_id":NaN}]',
        '423["meeting:join",{"meeting_id":1e400}]',
        '424["meeting:join",{"meeting_id":' + str(ctx["meeting_id"]) + "}]",
        '42["meeting:join",{"meeting_id"',
        '421["meeting:join",' + deep + "]",
    ]
    got = loop.run(_raw_frames(loop.url, cookie, frames))
    acks = {g[2:3]: g for g in got if g.startswith("43")}
    assert '"validation_failed"' in acks["2"] and '"validation_failed"' in acks["3"] and '"ok":true' in acks["4"], got
    assert not any("internal_error" in g for g in got), got
    ack = loop.run(clients[1].call("meeting:join", {"meeting_id": ctx["meeting_id"]}))
    assert ack["ok"] is True
