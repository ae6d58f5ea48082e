"""Private annotations over REST: author only, document access first, strict payloads, the annotated PDF."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest

from tests.annotation_helpers import highlight, ink, note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import login


async def _doc(live: LiveServer, c: Cabinet, **fields: Any) -> int:
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(3), **fields)
        assert r.status_code == 201, r.text
        return r.json()["id"]
    finally:
        await staff.aclose()


async def test_author_creates_lists_edits_and_deletes_and_nobody_else_sees_them(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    author = await login(live_server.url, c.members[0].username)
    other = await login(live_server.url, c.members[1].username)
    staff = await login(live_server.url, c.staff.username)
    try:
        made = []
        for body in (ink(1), highlight(2), note(3, text="Cần làm rõ  nguồn thu ")):
            r = await author.post(f"/api/documents/{doc}/annotations", json=body)
            assert r.status_code == 201, r.text
            made.append(r.json())
        assert made[2]["text"] == "Cần làm rõ  nguồn thu" and made[0]["version"] == 1 and not made[0]["shared"]
        mine = (await author.get(f"/api/documents/{doc}/annotations")).json()
        assert [a["id"] for a in mine] == [a["id"] for a in made]
        assert [a["id"] for a in (await author.get(f"/api/documents/{doc}/annotations?page=2")).json()] == [
            made[1]["id"]
        ]
        # Nobody else, not even the secretariat, lists, edits or deletes them; a stranger's id looks missing.
        for http in (other, staff):
            assert (await http.get(f"/api/documents/{doc}/annotations")).json() == []
            r = await http.patch(f"/api/annotations/{made[2]['id']}", json={"text": "sửa trộm"})
            assert r.status_code == 404 and "Cần làm rõ" not in r.text
            assert (await http.delete(f"/api/annotations/{made[0]['id']}")).status_code == 404
        # The author edits text and geometry, then deletes.
        r = await author.patch(f"/api/annotations/{made[2]['id']}", json={"text": "Đề nghị Bộ Tài chính giải trình"})
        assert r.status_code == 200 and r.json()["text"] == "Đề nghị Bộ Tài chính giải trình"
        moved = ink(1, points=[[0.5, 0.5], [0.9, 0.9]])["data"]
        r = await author.patch(f"/api/annotations/{made[0]['id']}", json={"data": moved})
        assert r.status_code == 200 and r.json()["data"]["strokes"][0]["points"] == [[0.5, 0.5], [0.9, 0.9]]
        assert (await author.delete(f"/api/annotations/{made[1]['id']}")).status_code == 204
        assert (await author.delete(f"/api/annotations/{made[1]['id']}")).status_code == 404
        assert len((await author.get(f"/api/documents/{doc}/annotations")).json()) == 2
    finally:
        for http in (author, other, staff):
            await http.aclose()


@pytest.mark.parametrize(
    "body, field",
    [
        (ink(1, points=[[1.2, 0.1]]), "points"),  # x out of [0, 1]
        (ink(1, points=[[0.1, -0.01]]), "points"),
        (ink(1, points=[[0.1, 0.1]] * 2001), "points"),  # too many points in a stroke
        (ink(1, points=[[0.1]]), "points"),  # a point needs x and y
        (ink(1, points=[["0.1", "0.2"]]), "points"),  # strings are not numbers
        (ink(1, color="red"), "colour"),  # not in the palette
        (ink(1, color="#ffeb3b"), "colour"),  # a highlighter colour for ink
        ({**highlight(1), "kind": "marker"}, "kind"),
        ({**ink(1), "page": "1"}, "page"),
        ({**ink(1), "page": 0}, "page"),
        ({**ink(1), "page": True}, "page"),
        ({**note(1), "text": ""}, "text"),
        ({**note(1), "data": {"x": 0.1, "y": 2}}, "data"),
        ({**ink(1), "text": "ink carries no text"}, "text"),
        ({**ink(1), "author_id": 1}, "author_id"),  # unknown fields are refused
        ({**note(1), "shared": True}, "shared"),
        (
            {
                "page": 1,
                "kind": "ink",
                "data": {"strokes": [{"points": [[0.1, 0.1]], "width": 0.004, "color": "#c62828"}] * 51},
            },
            "strokes",
        ),
    ],
)
async def test_bad_payloads_are_refused_with_422(live_server: LiveServer, body: dict, field: str) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    member = await login(live_server.url, c.members[0].username)
    try:
        r = await member.post(f"/api/documents/{doc}/annotations", json=body)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["error"]["code"] == "validation_failed"
        assert (await member.get(f"/api/documents/{doc}/annotations")).json() == []
        r = await member.post(f"/api/documents/{doc}/annotations", json=ink(4))  # the PDF has 3 pages
        assert r.status_code == 422 and "không có trang 4" in r.json()["error"]["message"]
    finally:
        await member.aclose()


async def test_restricted_document_outside_the_list_is_404_for_annotations_too(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c, restricted=True, allowed_user_ids=[c.members[0].id, c.members[1].id])
    allowed = await login(live_server.url, c.members[0].username)
    outside = await login(live_server.url, c.members[2].username)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await allowed.post(f"/api/documents/{doc}/annotations", json=ink(1))
        assert r.status_code == 201
        mine = r.json()["id"]
        for method, url, body in (
            ("GET", f"/api/documents/{doc}/annotations", None),
            ("POST", f"/api/documents/{doc}/annotations", ink(1)),
            ("GET", f"/api/documents/{doc}/annotated.pdf", None),
        ):
            r = await outside.request(method, url, json=body)
            assert r.status_code == 404 and r.json()["error"]["message"] == "Không tìm thấy tài liệu.", url
        # Taken off the list: the author's own notes on it are out of reach too.
        r = await staff.patch(f"/api/documents/{doc}", json={"allowed_user_ids": [c.members[1].id]})
        assert r.status_code == 200
        assert (await allowed.get(f"/api/documents/{doc}/annotations")).status_code == 404
        assert (await allowed.patch(f"/api/annotations/{mine}", json={"text": "x"})).status_code == 404
        assert (await allowed.delete(f"/api/annotations/{mine}")).status_code == 404
    finally:
        for http in (allowed, outside, staff):
            await http.aclose()


async def test_annotated_pdf_has_only_my_notes_and_is_refused_for_restricted(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    secret = await _doc(live_server, c, title="Tài liệu mật", restricted=True, allowed_user_ids=[c.members[0].id])
    me = await login(live_server.url, c.members[0].username)
    other = await login(live_server.url, c.members[1].username)
    try:
        await me.post(f"/api/documents/{doc}/annotations", json=ink(2))
        await me.post(f"/api/documents/{doc}/annotations", json=note(2, text="Ghi chú riêng của tôi"))
        await other.post(f"/api/documents/{doc}/annotations", json=note(1, text="Ghi chú của người khác"))
        r = await me.get(f"/api/documents/{doc}/annotated.pdf")
        assert (
            r.status_code == 200 and r.content.startswith(b"%PDF") and r.headers["cache-control"] == "private, no-store"
        )
        with pikepdf.open(io.BytesIO(r.content)) as pdf:
            assert len(pdf.pages) == 3
        reds = [_red_pixels(r.content, i) for i in range(3)]
        assert reds[1] > 20 and reds[0] == 0 and reds[2] == 0  # the red ink is on page 2 only
        text = _pdf_text(r.content)
        assert "Ghi chú riêng của tôi" in text[1] and "người khác" not in "".join(text)
        r = await me.get(f"/api/documents/{secret}/annotated.pdf")
        assert r.status_code == 403 and not r.content.startswith(b"%PDF")
        assert "không tệp PDF nào của tài liệu hạn chế được rời máy chủ" in r.json()["error"]["message"]
    finally:
        await me.aclose()
        await other.aclose()


def _red_pixels(content: bytes, index: int) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(content)
    try:
        image = doc[index].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    w, h = image.size  # only where the stroke was drawn: (0.1, 0.1) to (0.3, 0.2) of the page
    box = image.crop((int(w * 0.08), int(h * 0.08), int(w * 0.32), int(h * 0.22)))
    raw = box.tobytes()
    return sum(1 for i in range(0, len(raw), 3) if raw[i] > 170 and raw[i + 1] < 80 and raw[i + 2] < 80)


def _pdf_text(content: bytes) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(content)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


async def test_openapi_documents_the_annotation_routes(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, n_members=1)
    http = await login(live_server.url, c.members[0].username)
    try:
        paths = (await http.get("/api/openapi.json")).json()["paths"]
        assert {"get", "post"} <= set(paths["/api/documents/{document_id}/annotations"])
        assert {"patch", "delete"} <= set(paths["/api/annotations/{annotation_id}"])
    finally:
        await http.aclose()
