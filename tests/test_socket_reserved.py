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


# The python-socketio methods realtime/guarded.py overrides or replaces, each with the digest of the upstream
# source it was written against: an upgrade that changes one fails here, so that the override is read again
# (a changed dispatch could let a malformed frame, a reserved name or an anonymous socket through).
UPSTREAM = {
    "_handle_eio_message": "bef50fc0e1635921",
    "_handle_eio_connect": "76704886d944a7e6",
    "_handle_disconnect": "c0b32ada5b371230",
    "_handle_event": "65178105ef8b593d",
    "_handle_event_internal": "472e8b723a12d507",
    "disconnect": "7d2f76686c12cc23",
}


def test_the_guarded_server_was_written_against_this_python_socketio() -> None:
    import hashlib
    import inspect

    from socketio import async_server

    from realtime.guarded import GuardedServer

    found = {
        name: hashlib.sha256(inspect.getsource(getattr(async_server.AsyncServer, name)).encode()).hexdigest()[:16]
        for name in UPSTREAM
    }
    assert found == UPSTREAM, "python-socketio changed what realtime/guarded.py overrides: read it again"
    for name in ("_handle_connect", "_handle_ack", "_send_packet", "_handle_eio_message"):
        assert callable(getattr(GuardedServer, name, None)), name
    server = GuardedServer(async_mode="asgi")
    assert isinstance(server._binary_packet, dict) and callable(server.manager.is_pre_connected)
    assert server.reason.CLIENT_DISCONNECT
