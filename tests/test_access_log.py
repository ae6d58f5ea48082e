"""The access log keeps no display token: a hall display's address carries its only credential, and a real
uvicorn server writes the line with the token's value replaced."""

from __future__ import annotations

import logging

import httpx
import pytest

from display import services as display
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet


async def test_a_display_token_never_reaches_the_access_log(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    c = make_cabinet(live_server.db)
    token = call(live_server.db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)["token"]
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        assert (await client.get(f"/display/{c.meeting_id}?token={token}")).status_code == 200
        await client.get(f"/display/{c.meeting_id}?lang=vi&TOKEN={token}&x=1")  # any spelling of the name
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any(f"/display/{c.meeting_id}?token=***" in line for line in lines), lines
    assert not any(token in line for line in lines)
