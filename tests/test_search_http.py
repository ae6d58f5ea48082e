"""GET /api/search over the real server, and the in-document search of a restricted document."""

from __future__ import annotations

from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login


async def test_search_finds_an_uploaded_page_without_diacritics(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        doc = (await upload(staff, c.meeting_id, make_pdf(3), title="Báo cáo dự toán")).json()["id"]
        r = await member.get("/api/search", params={"q": "tong thu can doi"})
        assert r.status_code == 200, r.text
        hit = r.json()["items"][0]
        assert (hit["kind"], hit["document"]["id"], hit["page"]) == ("document", doc, 2) and r.json()["total"] == 1
        assert hit["meeting"] == {"id": c.meeting_id, "title": "Phiên họp thử nghiệm ngân sách", "scheduled_at": None}
        assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["Tổng", "thu", "cân", "đối"]
        for params in ({"q": ""}, {"q": "  ** "}, {}):
            r = await member.get("/api/search", params=params)
            assert r.status_code == 422 and r.json()["error"]["message"] == "Hãy nhập từ cần tìm (chữ hoặc số)."
        invalid: list[dict[str, str | int]] = [
            {"q": "a\x00b"},
            {"q": "x" * 201},
            {"q": "dat", "limit": 51},
            {"q": "dat", "offset": -1},
            {"q": "dat", "limit": "mười"},
        ]
        for bad in invalid:
            assert (await member.get("/api/search", params=bad)).status_code == 422, bad
        assert (await live_server_client(live_server).get("/api/search", params={"q": "dat"})).status_code == 401
    finally:
        await staff.aclose()
        await member.aclose()


def live_server_client(live: LiveServer):
    import httpx

    return httpx.AsyncClient(base_url=live.url)


async def test_restricted_text_never_leaves_the_server_as_text(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    allowed = await login(live_server.url, c.members[0].username)
    try:
        doc = (
            await upload(staff, c.meeting_id, make_pdf(3), restricted=True, allowed_user_ids=[c.members[0].id])
        ).json()["id"]
        for http in (allowed, staff):
            r = await http.get(f"/api/documents/{doc}/text", params={"q": "tong thu can doi"})
            assert r.status_code == 200
            assert (
                r.json()["matches"] == [{"page": 2, "snippet": None, "match": None}] and r.json()["restricted"] is True
            )
            assert "ngân sách" not in r.text and "Tổng thu" not in r.text
            found = (await http.get("/api/search", params={"q": "tong thu can doi"})).json()["items"]
            assert [(h["document"]["id"], h["page"], h["snippet"]) for h in found] == [(doc, 2, None)]
            assert "Tổng thu" not in str(found)
    finally:
        await staff.aclose()
        await allowed.aclose()
