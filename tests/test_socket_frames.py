"""What a socket frame may cost before it is decoded (realtime/guarded.py), against the real uvicorn with raw
websockets: a frame larger than the largest event fails its connection at its header (signed in or not), a
socket not signed in that sends anything but the handshake is closed without its frame being decoded, a
signed-in user's frames past its byte budget are refused undecoded, a chair's move still reaches the tablets,
and the largest events the viewer and the schemas produce still pass."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from annotations.schemas import MAX_POINTS, MAX_POINTS_PER_STROKE, MAX_STROKES, SocketCreate
from app.db import Database
from infra.settings import Settings
from realtime import actions as socket_actions
from realtime.guarded import MAX_FRAME_BYTES
from realtime.rtc_payloads import Offer
from tests.annotation_helpers import ink
from tests.conftest import LiveServer, running
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import live_client, login
from tests.test_socket_edge_limits import acks, raw_socket, until_closed

COORD = 0.1234  # the viewer's coordinates: 4 decimals (viewer-ink.js round)


def _stroke(points: int) -> dict[str, Any]:
    return {"points": [[COORD, 0.5678, 0.3719]] * points, "width": 0.0035, "color": "#1c2430"}


def _frame(event: str, payload: Any, ack_id: int | None = None) -> str:
    """An EVENT frame as socket.io-client writes it (Engine.IO MESSAGE 4, Socket.IO EVENT 2, compact JSON)."""
    return f"42{'' if ack_id is None else ack_id}" + json.dumps([event, payload], separators=(",", ":"))


def _padded(meeting_id: int, size: int, ack_id: int) -> str:
    """A meeting:sync of about `size` characters (an array of zeros no handler takes)."""
    frame = _frame("meeting:sync", {"meeting_id": meeting_id, "since": 0, "x": []}, ack_id)
    zeros = ",".join(["0"] * ((size - len(frame)) // 2))
    return frame.replace('"x":[]', f'"x":[{zeros}]')


async def _closed_code(ws: Any) -> int | None:
    with contextlib.suppress(ConnectionClosed):
        await until_closed(ws)
    return ws.close_code


def _count_decodes(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The server's own decoder, counted (its behaviour unchanged): the sizes of the frames it decoded."""
    sio = live.app.state.sio
    decoded: list[int] = []
    real = sio._decode

    def counted(eio_sid: str, data: Any) -> Any:
        decoded.append(len(data))
        return real(eio_sid, data)

    monkeypatch.setattr(sio, "_decode", counted)
    return decoded


def test_the_largest_events_the_schemas_admit_fit_in_a_frame() -> None:
    """Fails when a schema grows past the frame limit (raise MAX_FRAME_BYTES with it, with reason)."""
    per_stroke = MAX_POINTS // MAX_STROKES
    assert per_stroke <= MAX_POINTS_PER_STROKE
    biggest = {"document_id": 2**31 - 1, "page": 100_000, "kind": "ink", "version": 2**31 - 1, "shared": True}
    biggest["data"] = {"strokes": [_stroke(per_stroke) for _ in range(MAX_STROKES)]}
    SocketCreate.model_validate(biggest)  # schema-valid, as large as the schema allows at the viewer's precision
    assert len(_frame("annotation:create", biggest, 2**31).encode()) < MAX_FRAME_BYTES * 0.95
    longest = next(m.max_length for m in Offer.model_fields["sdp"].metadata if hasattr(m, "max_length"))
    sdp = ("a=candidate:1 1 udp 2122260223 192.168.100.100 54321 typ host\r\n" * longest)[:longest]
    join = {"meeting_id": 2**31 - 1, "offer": {"sdp": sdp, "type": "offer"}, "hall": True}
    assert len(_frame("rtc:join", join, 2**31).encode()) < MAX_FRAME_BYTES * 0.95


async def _shared_doc(live: LiveServer, c: Cabinet) -> int:
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(2))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])
    finally:
        await staff.aclose()


async def test_the_largest_legitimate_events_pass(live_server: LiveServer) -> None:
    """The viewer's largest (a 2 000-point shared stroke) and the schema's (a 5 000-point annotation) arrive."""
    c = make_cabinet(live_server.db, start=True)
    doc = await _shared_doc(live_server, c)
    chair, http = await live_client(live_server.url, c.chair.username)
    member, member_http = await live_client(live_server.url, c.members[0].username)
    try:
        assert (await chair.join(c.meeting_id))["ok"]
        ack = await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 1})
        assert ack["ok"], ack
        stroke = {"strokes": [_stroke(MAX_POINTS_PER_STROKE)]}
        ack = await chair.call("presenter:ink", {"meeting_id": c.meeting_id, "page": 1, "data": stroke})
        assert ack["ok"], ack
        per_stroke = MAX_POINTS // MAX_STROKES
        data = {"strokes": [_stroke(per_stroke) for _ in range(MAX_STROKES)]}
        ack = await member.call("annotation:create", {"document_id": doc, **ink(1), "data": data})
        assert ack["ok"], ack
        assert member.sio.connected and chair.sio.connected
    finally:
        for client, h in ((chair, http), (member, member_http)):
            await client.close()
            await h.aclose()


async def test_an_oversize_frame_closes_its_socket_signed_in_or_not(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="uvicorn")
    decoded = _count_decodes(live_server, monkeypatch)
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    chair = await login(live_server.url, c.chair.username)
    attacker = await login(live_server.url, c.members[1].username)
    try:
        assert (await tablet.join(c.meeting_id))["ok"]
        signed_in = await raw_socket(live_server.url, attacker.cookies["ecabinet_session"], signed_in=True)
        anonymous = await raw_socket(live_server.url)
        for ws in (signed_in, anonymous):
            with contextlib.suppress(ConnectionClosed):
                await ws.send(_padded(c.meeting_id, MAX_FRAME_BYTES + 10, 1))
            assert await _closed_code(ws) == 1009  # "message too big", from the frame's header
        assert max(decoded, default=0) < 1000, decoded
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text[:2000]  # no log line
        # the room carries on: the chair's move reaches the tablet
        r = await chair.post(f"/api/meetings/{c.meeting_id}/agenda/{c.item_ids[1]}/activate")
        assert r.status_code == 200, r.text
        env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert env["data"]["current_item_id"] == c.item_ids[1]
    finally:
        await tablet.close()
        for h in (http, chair, attacker):
            await h.aclose()


async def test_a_socket_not_signed_in_may_send_only_the_handshake(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its event is not decoded: the connection is closed at once (not at the connect timeout)."""
    async with running(settings.with_(socket_connect_timeout_seconds=60)) as live:
        decoded = _count_decodes(live, monkeypatch)
        for frame in (_padded(1, 100_000, 1), '42["meeting:sync",{"meeting_id":1}]', "43[]", "40" + "x" * 600):
            ws = await raw_socket(live.url)
            with contextlib.suppress(ConnectionClosed):
                await ws.send(frame)
            await until_closed(ws)
        assert decoded == [], decoded
        ws = await raw_socket(live.url)  # the handshake itself is read: refused without a login, answered
        await ws.send("40")
        assert str(await ws.recv()).startswith("44{")
        await ws.close()


async def test_frames_past_a_users_byte_budget_are_refused_undecoded_and_the_room_carries_on(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = _count_decodes(live_server, monkeypatch)
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    chair = await login(live_server.url, c.chair.username)
    attacker = await login(live_server.url, c.members[1].username)
    flood = 12
    try:
        assert (await tablet.join(c.meeting_id))["ok"]
        ws = await raw_socket(live_server.url, attacker.cookies["ecabinet_session"], signed_in=True)
        frames = [_padded(c.meeting_id, 100_000, n) for n in range(1, flood + 1)]
        for frame in frames:
            await ws.send(frame)
        r = await chair.post(f"/api/meetings/{c.meeting_id}/agenda/{c.item_ids[1]}/activate")
        assert r.status_code == 200, r.text
        got: list[str] = []
        async with asyncio.timeout(10):
            while len(acks(got)) < flood:
                got.append(str(await ws.recv()))
        codes = [json.loads(a[a.index("[") :])[0]["error"]["code"] for a in acks(got).values()]
        burst = socket_actions.FRAME_BYTES_BURST // 100_000
        assert codes.count("validation_failed") <= burst + 1, codes  # decoded: the burst, and what refilled
        assert codes.count("rate_limited") >= flood - burst - 1, codes
        assert len([n for n in decoded if n > 1000]) <= burst + 1, decoded
        env = await tablet.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert env["data"]["current_item_id"] == c.item_ids[1]
        # the budget refills: the same user may send a large event again a moment later
        await asyncio.sleep(100_000 / socket_actions.FRAME_BYTES_PER_SECOND + 0.2)
        await ws.send(_padded(c.meeting_id, 100_000, 99))
        async with asyncio.timeout(10):
            while "99" not in acks(got):
                got.append(str(await ws.recv()))
        assert '"validation_failed"' in acks(got)["99"]
        await ws.close()
    finally:
        await tablet.close()
        for h in (http, chair, attacker):
            await h.aclose()
