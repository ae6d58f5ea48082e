"""Search inside one document costs what its answer needs (documents/textsearch.py), over real HTTP.

A short term found on every page stops at the limit (`more` says so) after the pages that filled it, not after
the whole document; and one user runs one search at a time: a newer one supersedes the older (409 `superseded`)
while another user's search goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.db import Database
from documents import textsearch
from infra.settings import Settings
from tests.conftest import LiveServer, free_port, running
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login
from tests.pg import fresh_database
from tests.waiting import eventually

PAGES = 60


async def test_a_short_term_on_every_page_stops_at_the_limit_and_says_there_is_more(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(PAGES, heading="Giao lô đất số 7"))
        assert r.status_code == 201, r.text
        doc = r.json()["id"]

        # "ng" is on every page dozens of times ("Dòng", "thống", "ngân"...): 5 matches a page fill the 200.
        before = textsearch.STATS.pages_scanned
        found = (await member.get(f"/api/documents/{doc}/text", params={"q": "ng"})).json()
        scanned = textsearch.STATS.pages_scanned - before
        assert len(found["matches"]) == textsearch.LIMIT and found["more"] is True
        assert scanned == textsearch.LIMIT // textsearch.PER_PAGE  # 40 pages of 60, then no further
        assert [m["page"] for m in found["matches"]] == [p for p in range(1, 41) for _ in range(5)]
        assert all(m["match"].lower() == "ng" for m in found["matches"])

        # Two characters of Vietnamese are a legitimate term; once a page here, so every page, and no more.
        found = (await member.get(f"/api/documents/{doc}/text", params={"q": "lô"})).json()
        assert [m["page"] for m in found["matches"]] == list(range(1, PAGES + 1)) and found["more"] is False
        assert {m["match"] for m in found["matches"]} == {"lô"}
        assert "Giao lô đất số 7" in found["matches"][0]["snippet"]
        # Without diacritics too, and a phrase across words.
        found = (await member.get(f"/api/documents/{doc}/text", params={"q": "NGAN SACH"})).json()
        assert found["matches"][0]["match"] == "ngân sách" and found["more"] is False
    finally:
        await staff.aclose()
        await member.aclose()


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    with fresh_database() as url:
        yield Settings(data_dir=tmp_path / "data", database_url=url, port=free_port(), socket_rate_per_second=200)


async def test_a_newer_search_by_the_same_user_supersedes_the_older_while_another_users_runs(
    pg_settings: Settings,
) -> None:
    """The searches are held at their page query by a table lock (PostgreSQL), so all three are in flight at
    once; when it is released the older search of the same user stops before its first page."""
    db = Database(pg_settings.effective_database_url)
    locker = create_engine(pg_settings.effective_database_url)
    try:
        c = make_cabinet(db)
        async with running(pg_settings) as live:
            staff = await login(live.url, c.staff.username)
            a = await login(live.url, c.members[0].username)
            b = await login(live.url, c.members[1].username)
            try:
                r = await upload(staff, c.meeting_id, make_pdf(3))
                assert r.status_code == 201, r.text
                url = f"/api/documents/{r.json()['id']}/text"
                with locker.connect() as conn, conn.begin():
                    conn.execute(text("LOCK TABLE document_page IN ACCESS EXCLUSIVE MODE"))
                    a1 = asyncio.create_task(a.get(url, params={"q": "ngân sách"}))
                    found = await eventually(lambda: getattr(live.app.state, "doc_search_gate", None), "a gate")
                    assert isinstance(found, textsearch.SearchGate)
                    gate = found
                    await eventually(lambda: (s := gate.slots.get(c.members[0].id)) and s.running, "a's first")
                    b1 = asyncio.create_task(b.get(url, params={"q": "ngân sách"}))
                    await eventually(lambda: (s := gate.slots.get(c.members[1].id)) and s.running, "b's search")
                    a2 = asyncio.create_task(a.get(url, params={"q": "dự toán"}))
                    await eventually(lambda: gate.slots[c.members[0].id].users == 2, "a's second to wait")
                    told = gate.slots[c.members[0].id].running
                    assert told is not None and told.is_set()  # the first is told to stop
                    assert not a1.done() and not b1.done()
                first, second, other = await asyncio.gather(a1, a2, b1)
                assert first.status_code == 409 and first.json()["error"]["code"] == "superseded"
                assert second.status_code == 200 and second.json()["matches"][0]["match"] == "dự toán"
                assert other.status_code == 200 and other.json()["matches"][0]["match"] == "ngân sách"
                assert gate.slots == {}  # nothing kept once the searches are over
            finally:
                for client in (staff, a, b):
                    await client.aclose()
    finally:
        locker.dispose()
        db.dispose()
