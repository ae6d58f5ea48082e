"""The page turn (documents/stamped_pages.py, documents/prewarm.py) over the real server: the presenter's next
page is stamped ahead for exactly the followers who may read it, a pre-warmed page is the same watermarked
image a request would make, a restricted page stays `no-store`, and the cache never answers someone who
lost the right to read."""

from __future__ import annotations

import asyncio
import io
import time

import httpx
from PIL import Image

from documents import prewarm as prewarm_module
from documents import services, stamped_pages, storage, watermark
from documents.routes import renderer_for
from documents.watermark import stamp_image
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, scanlines, upload
from tests.factories import make_cabinet
from tests.live import live_client, login
from tests.waiting import eventually


async def _ready(staff, c, **fields) -> int:
    r = await upload(staff, c.meeting_id, make_pdf(4), **fields)
    assert r.status_code == 201, r.text
    doc = r.json()["id"]

    async def pages_ready() -> bool:
        return bool((await staff.get(f"/api/documents/{doc}")).json()["pages_ready"])

    await eventually(pages_ready, "the document's pages to be ready")
    return doc


def _minute() -> int:
    return int(time.time() // 60)


async def _settled(prewarm, before: int, count: int) -> None:
    await eventually(
        lambda: prewarm.warmed - before >= count and not prewarm.tasks and not prewarm.ahead,
        f"{count} pages pre-warmed and nothing left to do",
    )


async def test_the_presenters_next_page_is_stamped_ahead_for_the_followers_who_may_read_it(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, n_members=2, start=True)
    staff = await login(live_server.url, c.staff.username)
    doc = await _ready(staff, c, title="Tờ trình dự toán")  # not shared with guests
    people = [await live_client(live_server.url, u.username) for u in (c.chair, *c.members, c.guest)]
    prewarm = live_server.app.state.prewarm
    try:
        for t, _ in people:
            assert (await t.join(c.meeting_id))["ok"]
        before, made = prewarm.warmed, stamped_pages.PAGES.made
        ack = await people[0][0].call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 2})
        assert ack["ok"], ack
        await _settled(prewarm, before, 6)
        assert prewarm.warmed - before == 6  # pages 3 and 1 for the chair and the two members; not the guest
        assert stamped_pages.PAGES.made - made == 6
        hits = stamped_pages.PAGES.hits
        for n in (3, 1):  # the next page, and the one before (the presenter going back)
            page = await people[1][1].get(f"/api/documents/{doc}/pages/{n}")
            assert page.status_code == 200 and page.headers["cache-control"] == "private, no-cache"
        assert stamped_pages.PAGES.hits == hits + 2  # answered from the pre-warmed images
        assert (await people[3][1].get(f"/api/documents/{doc}/pages/3")).status_code == 404  # the guest
    finally:
        for t, http in people:
            await t.close()
            await http.aclose()
        await staff.aclose()


async def test_a_reader_of_a_restricted_document_gets_the_next_page_ready_and_never_cached_by_the_browser(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, n_members=2)
    staff = await login(live_server.url, c.staff.username)
    doc = await _ready(
        staff, c, title="Tờ trình hạn chế", restricted=True, allowed_user_ids=[c.members[0].id, c.members[1].id]
    )
    reader = await login(live_server.url, c.members[0].username)
    prewarm = live_server.app.state.prewarm
    try:
        before = prewarm.warmed
        first = await reader.get(f"/api/documents/{doc}/pages/1")
        assert first.status_code == 200 and first.headers["cache-control"] == "private, no-store"
        await _settled(prewarm, before, 1)
        hits = stamped_pages.PAGES.hits
        second = await reader.get(f"/api/documents/{doc}/pages/2")
        assert second.status_code == 200 and second.headers["cache-control"] == "private, no-store"
        assert stamped_pages.PAGES.hits == hits + 1  # read ahead while page 1 was read
        with Image.open(io.BytesIO(second.content)) as img:
            assert img.format == "PNG"
        # Taken off the list: the cached image of their next pages is never handed out again.
        r = await staff.patch(f"/api/documents/{doc}", json={"allowed_user_ids": [c.members[1].id]})
        assert r.status_code == 200, r.text
        assert (await reader.get(f"/api/documents/{doc}/pages/2")).status_code == 404
        assert (await reader.get(f"/api/documents/{doc}/pages/3")).status_code == 404
    finally:
        await reader.aclose()
        await staff.aclose()


async def test_tablets_asking_at_once_share_one_stamping_of_the_same_image(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, n_members=1)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        doc = (await upload(staff, c.meeting_id, make_pdf(2))).json()["id"]
        made = stamped_pages.PAGES.made
        pages = await asyncio.gather(*(member.get(f"/api/documents/{doc}/pages/1") for _ in range(4)))
        assert all(p.status_code == 200 and p.content == pages[0].content for p in pages)
        assert pages[0].headers["cache-control"] == "private, no-cache"
        assert stamped_pages.PAGES.made - made <= 2  # one stamping (two if the minute turned meanwhile)
        src = live_server.db.run_read(
            services.page_source, actor=c.members[0], document_id=doc, page=1, timezone=live_server.settings.timezone
        )
        base = await renderer_for(live_server.app.state.ctx).ensure(
            storage.blob_path(live_server.settings.data_dir, src.sha256), src.sha256, "tablet", 1
        )
        with (
            Image.open(io.BytesIO(pages[-1].content)) as got,
            Image.open(io.BytesIO(stamp_image(base, src.viewer))) as fresh,
        ):
            assert got.size == fresh.size and got.tobytes() == fresh.tobytes()  # the same watermark, same pixels
    finally:
        await staff.aclose()
        await member.aclose()


async def test_the_next_page_is_stamped_again_when_the_minute_on_the_watermark_turns(
    live_server: LiveServer, monkeypatch
) -> None:
    c = make_cabinet(live_server.db, n_members=1, start=True)
    staff = await login(live_server.url, c.staff.username)
    doc = await _ready(staff, c, title="Tờ trình dự toán")
    people = [await live_client(live_server.url, u.username) for u in (c.chair, c.members[0])]
    prewarm = live_server.app.state.prewarm
    monkeypatch.setattr(prewarm_module, "until_next_minute", lambda: 0.2)  # a minute turns every 0.2 s
    try:
        for t, _ in people:
            assert (await t.join(c.meeting_id))["ok"]
        before = prewarm.refreshed
        assert (
            await people[0][0].call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 2})
        )["ok"]
        await eventually(
            lambda: prewarm.refreshed - before >= 8, "the chair's and the member's pages 3 and 1 stamped twice more"
        )
        first = prewarm.refresh[("meeting", c.meeting_id)]
        assert (await people[0][0].call("presenter:page", {"meeting_id": c.meeting_id, "page": 3}))["ok"]
        await eventually(lambda: first.done(), "the refresh for the page the room left stopped")
        await eventually(lambda: ("meeting", c.meeting_id) in prewarm.refresh, "page 4 refreshed in its place")
    finally:
        for t, http in people:
            await t.close()
            await http.aclose()
        await staff.aclose()


async def test_readers_of_a_restricted_page_asking_at_once_each_get_their_own_watermark_and_no_one_else_gets_it(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, n_members=4)
    readers, outsider = c.members[:3], c.members[3]
    staff = await login(live_server.url, c.staff.username)
    doc = await _ready(staff, c, title="Tờ trình hạn chế", restricted=True, allowed_user_ids=[m.id for m in readers])
    https = [await login(live_server.url, m.username) for m in (*readers, outsider)]
    anonymous = httpx.AsyncClient(base_url=live_server.url)
    settings = live_server.settings

    def sources() -> list[services.FileSource]:
        return [
            live_server.db.run_read(services.page_source, actor=m, document_id=doc, page=2, timezone=settings.timezone)
            for m in readers
        ]

    try:
        before = sources()
        # every reader three times, the outsider and a request without a session, all at the same moment
        asks = [h.get(f"/api/documents/{doc}/pages/2") for h in https[:3] for _ in range(3)]
        got = await asyncio.gather(
            *asks, https[3].get(f"/api/documents/{doc}/pages/2"), anonymous.get(f"/api/documents/{doc}/pages/2")
        )
        *pages, refused, unauthenticated = got
        assert refused.status_code == 404 and refused.headers["content-type"] != "image/png"
        assert unauthenticated.status_code == 401 and unauthenticated.headers["content-type"] != "image/png"
        assert all(p.status_code == 200 and p.headers["cache-control"] == "private, no-store" for p in pages)
        bodies = [[scanlines(p.content) for p in pages[i * 3 : i * 3 + 3]] for i in range(3)]
        assert len({b for per in bodies for b in per}) in (3, 4, 5, 6)  # one image a reader (a minute may turn)
        assert all(not set(bodies[i]) & set(bodies[j]) for i in range(3) for j in range(3) if i != j)
        base = await renderer_for(live_server.app.state.ctx).ensure(
            storage.blob_path(settings.data_dir, before[0].sha256), before[0].sha256, "tablet", 2
        )
        after = sources()
        for i, (src, again) in enumerate(zip(before, after)):
            if src.viewer.stamp == again.viewer.stamp:  # the watermark's minute did not turn meanwhile
                assert set(bodies[i]) == {scanlines(stamp_image(base, src.viewer))}  # their own name and time
        # who is not logged in hears that before anything about the request's other mistakes
        for query in ("?size=huge", "?version=x"):
            assert (await anonymous.get(f"/api/documents/{doc}/pages/2{query}")).status_code == 401
            assert (await https[0].get(f"/api/documents/{doc}/pages/2{query}")).status_code == 422
    finally:
        for h in (*https, anonymous, staff):
            await h.aclose()


async def test_a_followers_watermark_is_drawn_when_they_join_so_the_first_page_they_open_is_only_composed(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, n_members=2, start=True)
    staff = await login(live_server.url, c.staff.username)
    doc = await _ready(staff, c, title="Tờ trình hạn chế", restricted=True, allowed_user_ids=[m.id for m in c.members])
    people = [await live_client(live_server.url, u.username) for u in (c.chair, *c.members)]
    bare = make_cabinet(live_server.db, n_members=2, start=True)  # a meeting without papers turns no page
    elsewhere = [await live_client(live_server.url, u.username) for u in (bare.chair, *bare.members)]
    prewarm = live_server.app.state.prewarm
    try:
        before, minute = prewarm.marks_drawn, _minute()
        for t, _ in elsewhere:
            assert (await t.join(bare.meeting_id))["ok"]
        for t, _ in people:
            assert (await t.join(c.meeting_id))["ok"]
        # the two readers on the list of the meeting's one document (restricted), not the chair: this minute's,
        # and the next minute's too when it is a few seconds away; none for the meeting without documents, whose
        # followers joined first
        await eventually(
            lambda: prewarm.marks_drawn - before >= 2 and not prewarm.pending and not prewarm.marking,
            "the followers' marks drawn ahead",
        )
        assert prewarm.marks_drawn - before in (2, 4)
        misses = watermark.mark.cache_info().misses
        pages = await asyncio.gather(*(http.get(f"/api/documents/{doc}/pages/2") for _, http in people[1:]))
        assert all(p.status_code == 200 and p.headers["cache-control"] == "private, no-store" for p in pages)
        assert pages[0].content != pages[1].content  # each reader's own
        if _minute() == minute:  # (a new minute's marks are drawn by the pass just before it: not this test's)
            assert watermark.mark.cache_info().misses == misses  # no mark drawn while they waited
        assert (await people[0][1].get(f"/api/documents/{doc}/pages/2")).status_code == 404  # the chair may not
    finally:
        for t, http in (*people, *elsewhere):
            await t.close()
            await http.aclose()
        await staff.aclose()
