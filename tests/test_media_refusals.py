"""The media worker's side of "the client's error" (finding F6), in this process and without a network: an offer
aiortc cannot parse reaches the worker only if the edge let it through, and then it is answered `refused` (the web
process turns that into validation_failed, tests/media/test_rtc_refusals.py), logged as no error, and leaves no room
behind; a peer closed while aiortc was still connecting it is no error of the worker either."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest
from aiortc.exceptions import InvalidStateError

from realtime.media.config import MediaConfig
from realtime.media.worker import Worker, _closed_while_connecting
from tests.sdp_offers import OFFERS


async def _answer(worker: Worker, msg: dict[str, object]) -> dict[str, object]:
    """Worker._answer over a real socket pair, as the web process reads it."""
    ours, theirs = socket.socketpair()
    reader, our_writer = await asyncio.open_connection(sock=ours)
    their_reader, writer = await asyncio.open_connection(sock=theirs)
    try:
        await worker._answer(msg, writer)
        return json.loads(await asyncio.wait_for(reader.readline(), 10))
    finally:
        writer.close()
        our_writer.close()


async def test_an_offer_aiortc_cannot_read_is_answered_refused_and_leaves_no_room(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Worker(MediaConfig())
    broken = OFFERS["chrome_120_publish"].replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:xx opus/48000/2")
    with caplog.at_level(logging.DEBUG):
        reply = await _answer(
            worker,
            {
                "id": 7,
                "op": "join",
                "meeting_id": 3,
                "user_id": 5,
                "label": "x",
                "offer": {"sdp": broken, "type": "offer"},
            },
        )
        assert reply["id"] == 7 and reply["ok"] is False and reply["refused"] is True
        assert str(reply["error"]).startswith("offer: ValueError")
        assert worker.rooms == {}  # the room made for this join is closed again: nothing stays
        ours = await _answer(worker, {"id": 8, "op": "join", "meeting_id": 3, "user_id": 5})  # no label: our bug
        assert ours["ok"] is False and "refused" not in ours and worker.rooms == {}  # our own failure stays one
    await worker.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [(r.getMessage(), r.exc_info is not None) for r in errors] == [("media op join failed", True)]


def test_a_peer_closed_while_connecting_is_not_logged_as_an_error(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.INFO):
            _closed_while_connecting(
                loop, {"message": "x", "exception": InvalidStateError("RTCIceTransport is closed")}
            )
            assert [(r.levelno, r.exc_info) for r in caplog.records] == [(logging.INFO, None)]
            _closed_while_connecting(
                loop, {"message": "Task exception was never retrieved", "exception": KeyError("x")}
            )
        assert [r.levelno for r in caplog.records] == [logging.INFO, logging.ERROR]
    finally:
        loop.close()
