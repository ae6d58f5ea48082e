"""Helpers for tests against the real server: log in over HTTP, connect real python-socketio clients."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import socketio

from meetings.reducer import apply_event
from tests.factories import PASSWORD


async def login(base_url: str, username: str, password: str = PASSWORD) -> httpx.AsyncClient:
    """An HTTP client holding the session cookie and sending the CSRF header, as the pages do."""
    client = httpx.AsyncClient(base_url=base_url, timeout=20)
    r = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


class LiveClient:
    """A tablet: a socket.io client that joins a meeting, applies events and resyncs on gaps."""

    def __init__(self, base_url: str, cookie: str) -> None:
        self.base_url = base_url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.cookie = cookie
        self.events: list[dict[str, Any]] = []
        self.state: dict[str, Any] | None = None
        self.seq = 0
        self.got_event = asyncio.Event()
        self.sio.on("event", self._on_event)

    async def connect(self) -> None:
        await self.sio.connect(
            self.base_url,
            transports=["websocket"],
            headers={"Cookie": f"ecabinet_session={self.cookie}"},
            wait_timeout=10,
        )

    async def _on_event(self, env: dict[str, Any]) -> None:
        self.events.append(env)
        if self.state is not None and env["seq"] == self.seq + 1:
            self.state = apply_event(self.state, env)
            self.seq = env["seq"]
        self.got_event.set()

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        return await self.sio.call(event, data, timeout=10)

    async def join(self, meeting_id: int) -> dict[str, Any]:
        ack = await self.call("meeting:join", {"meeting_id": meeting_id})
        if ack["ok"]:
            self.state, self.seq = ack["data"]["snapshot"], ack["data"]["seq"]
        return ack

    async def wait_for(self, predicate: Any, timeout: float = 5) -> dict[str, Any]:
        async def _wait() -> dict[str, Any]:
            while True:
                for env in self.events:
                    if predicate(env):
                        return env
                self.got_event.clear()
                await self.got_event.wait()

        return await asyncio.wait_for(_wait(), timeout)

    async def close(self) -> None:
        await self.sio.disconnect()


async def live_client(base_url: str, username: str) -> tuple[LiveClient, httpx.AsyncClient]:
    http = await login(base_url, username)
    client = LiveClient(base_url, http.cookies["ecabinet_session"])
    await client.connect()
    return client, http
