"""The page turn's clients for bench/documents.py, each in a process of its own: the chair and 25 tablets, and a
/healthz probe; what they time is what a user outside the server sees."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from _common import pct


def tablets(conn: Any, url: str, users: list[str], meeting_id: int) -> None:
    """The chair and 25 tablets (a process of their own): log in, join the meeting's sockets, then fetch a page
    at once on each "burst" the parent sends."""
    asyncio.run(_tablets_main(conn, url, users, meeting_id))


async def _tablets_main(conn: Any, url: str, users: list[str], meeting_id: int) -> None:
    import socketio

    from tests.live import login

    https = [await login(url, u) for u in users]
    viewers = https[1:]  # https[0]: the chair, who presents
    sockets = []
    try:
        for http in https:
            sio = socketio.AsyncClient(reconnection=False)
            cookie = f"ecabinet_session={http.cookies['ecabinet_session']}"
            await sio.connect(url, transports=["websocket"], headers={"Cookie": cookie})
            assert (await sio.call("meeting:join", {"meeting_id": meeting_id}, timeout=30))["ok"]
            sockets.append(sio)

        async def fetch(http: Any, doc: int, n: int) -> tuple[float, str, int]:
            t = time.perf_counter()
            r = await http.get(f"/api/documents/{doc}/pages/{n}")
            assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.status_code
            return (time.perf_counter() - t) * 1000, r.headers["cache-control"], len(r.content)

        while True:
            command = await asyncio.to_thread(conn.recv)
            try:
                if command[0] == "quit":
                    return
                if command[0] == "ready":
                    conn.send("ready")
                elif command[0] == "present":
                    ack = await sockets[0].call(command[1], {"meeting_id": meeting_id, **command[2]}, timeout=30)
                    assert ack["ok"], ack
                    conn.send(ack)
                elif command[0] == "burst":
                    t0 = time.perf_counter()
                    got = await asyncio.gather(*(fetch(v, command[1], command[2]) for v in viewers))
                    total = (time.perf_counter() - t0) * 1000
                    kib = sum(g[2] for g in got) // len(got) // 1024
                    conn.send((total, pct([g[0] for g in got], 99), {g[1] for g in got}, kib))
            except Exception as e:
                conn.send(e)
    finally:
        await asyncio.gather(*(s.disconnect() for s in sockets), return_exceptions=True)
        for http in https:
            await http.aclose()


def probe(conn: Any, url: str) -> None:
    """GET /healthz one after the other between "start" and "stop" (a process of its own, its connection open)."""

    async def main() -> None:
        import httpx

        async with httpx.AsyncClient(base_url=url, timeout=60) as h:
            await h.get("/healthz")
            while True:
                command = await asyncio.to_thread(conn.recv)
                if command[0] == "quit":
                    return
                if command[0] == "ready":
                    conn.send("ready")
                    continue
                health: list[float] = []
                conn.send("started")
                while not conn.poll():
                    t = time.perf_counter()
                    await h.get("/healthz")
                    health.append((time.perf_counter() - t) * 1000)
                conn.recv()  # "stop"
                conn.send(health)

    asyncio.run(main())
