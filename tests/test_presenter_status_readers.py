"""GET /api/meetings/{id}/presenter answers each caller what their snapshot says: a presentation of a paper the
caller may not read (a members-only paper to a guest, a restricted paper to a member off its list) is, to them,
no presentation (null: not its id, page or presenter). Those who may read it see it. Real server."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import select

from documents.models import Document, DocumentAccess
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login
from tests.test_annotations_live import _doc, tablet


async def test_the_presenter_status_tells_only_those_who_may_read_the_paper(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    shared = await _doc(live_server, c, share_with_guests=True)
    members_only = await _doc(live_server, c)
    mid = c.meeting_id
    chair = await tablet(live_server, c.chair.username, mid)
    guest = await login(live_server.url, c.guest.username)
    listed = await login(live_server.url, c.members[0].username)
    outside = await login(live_server.url, c.members[1].username)
    staff = await login(live_server.url, c.staff.username)

    async def seen(who: httpx.AsyncClient) -> Any:
        r = await who.get(f"/api/meetings/{mid}/presenter")
        assert r.status_code == 200, r.text
        return r.json()["presenter"]

    async def snapshot_presenter(who: httpx.AsyncClient) -> Any:
        r = await who.get(f"/api/meetings/{mid}/snapshot")
        assert r.status_code == 200, r.text
        return r.json()["snapshot"]["presenter"]

    try:
        # a paper shared with guests: everyone is told
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": shared, "page": 2}))["ok"]
        for who in (guest, listed, outside, staff):
            got = await seen(who)
            assert isinstance(got, dict) and got["document_id"] == shared and got["page"] == 2

        # a members-only paper: the members are told; the guest gets null, as its snapshot says
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": members_only, "page": 3}))["ok"]
        for who in (listed, outside, staff):
            got = await seen(who)
            assert isinstance(got, dict) and got["document_id"] == members_only and got["page"] == 3
        assert await seen(guest) is None
        assert await snapshot_presenter(guest) is None

        # a restricted paper still on the room's tablets (the row left as it was: the presenter state names it):
        # the member on its list and the secretariat are told, the member off the list and the guest get null
        with live_server.db.write_session() as s:
            doc = s.exec(select(Document).where(Document.id == members_only)).one()
            doc.restricted = True
            s.add(doc)
            s.add(DocumentAccess(document_id=members_only, user_id=c.members[0].id))
            s.commit()
        for who in (listed, staff):
            got = await seen(who)
            assert isinstance(got, dict) and got["document_id"] == members_only
        assert await seen(outside) is None
        assert await seen(guest) is None
    finally:
        await chair.close()
        for client in (guest, listed, outside, staff):
            await client.aclose()
