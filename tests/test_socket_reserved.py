"""A client cannot fire the server's own connection handlers by sending an event named `connect` or `disconnect`,
and an event no handler takes is answered, not left hanging (realtime/guarded.py). Real uvicorn and clients."""

from __future__ import annotations

import socketio

from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import live_client, login
from tests.waiting import eventually


async def test_reserved_and_unknown_events_are_refused_and_the_socket_stays_itself(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    try:
        assert (await tablet.join(c.meeting_id))["ok"]
        for name, payload in (("disconnect", None), ("connect", "x"), ("connect", {"display_token": "x"}), ("nope", 1)):
            ack = await tablet.call(name, payload)
            assert ack["ok"] is False and ack["error"]["code"] == "unknown_event", (name, ack)
        # still the same signed-in socket in its meeting: it acts, and logout closes it
        synced = await tablet.call("meeting:sync", {"meeting_id": c.meeting_id, "since": tablet.seq})
        assert synced["ok"], synced
        assert (await http.post("/api/auth/logout")).status_code == 200
        await eventually(lambda: not tablet.sio.connected, "the logged-out tablet's socket to close")
    finally:
        await tablet.close()
        await http.aclose()


async def test_the_refusal_speaks_the_sockets_language(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    http = await login(live_server.url, c.members[0].username)
    english = socketio.AsyncClient(reconnection=False)
    try:
        cookie = http.cookies["ecabinet_session"]
        await english.connect(
            live_server.url,
            transports=["websocket"],
            headers={"Cookie": f"ecabinet_session={cookie}", "Accept-Language": "en"},
            wait_timeout=10,
        )
        ack = await english.call("disconnect", None, timeout=10)
        assert ack["error"] == {"code": "unknown_event", "message": "This event is not supported."}
    finally:
        await english.disconnect()
        await http.aclose()
