"""What one member's annotations may hold: a stroke keeps what a pen draws (not 16-digit float noise), and an
author's annotations on one document version share a budget, refused with a 409 past it, so that listing them
and the annotated PDF stay quick (they reached ~1.5 GB per member, a 65 MB listing and a 16 s PDF)."""

from __future__ import annotations

import random
from typing import Any

from annotations import services
from annotations.schemas import AnnotationCreate
from core.errors import Conflict
from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import login

FULL = (
    "Chưa lưu: ghi chú của bạn trên tài liệu này sẽ vượt giới hạn dung lượng 1000 kB; "
    "hãy xóa bớt nét vẽ hoặc ghi chú trước khi thêm."
)


async def _doc(live: LiveServer, c: Cabinet) -> int:
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(3))
        assert r.status_code == 201, r.text
        return r.json()["id"]
    finally:
        await staff.aclose()


def _stroke(rng: random.Random, n: int = 2000) -> dict[str, Any]:
    """A pen stroke as a tablet could report it: full float precision, pressure included."""
    points = [[rng.random(), rng.random(), rng.random()] for _ in range(n)]
    return {"points": points, "width": 0.0035, "color": "#c62828"}


def _fill(live: LiveServer, c: Cabinet, doc: int) -> int:
    """Member 0 draws 2 000-point strokes on the document until one is refused, then smaller ones, then one-letter
    notes, until nothing more fits; how many were kept."""
    rng = random.Random(1)
    made = 0
    for size in (2000, 100, 1, 0):
        for _ in range(200):
            stroke = {"page": 1 + made % 3, "kind": "ink", "data": {"strokes": [_stroke(rng, size)]}} if size else None
            try:
                live.db.run_write(
                    services.create_annotation,
                    actor=c.members[0],
                    document_id=doc,
                    data=AnnotationCreate.model_validate(stroke or note(text="x")),
                )
            except Conflict:
                break
            made += 1
        else:
            raise AssertionError(f"200 strokes of {size} points taken, none refused")
    return made


async def test_a_stroke_keeps_four_decimals_not_float_noise(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    author = await login(live_server.url, c.members[0].username)
    try:
        rng = random.Random(2)
        strokes = [_stroke(rng), _stroke(rng), _stroke(rng, 1000)]
        r = await author.post(f"/api/documents/{doc}/annotations", json=ink(1) | {"data": {"strokes": strokes}})
        assert r.status_code == 201, r.text
        sent = strokes[0]["points"]
        kept = r.json()["data"]["strokes"][0]["points"]
        assert kept[:3] == [[round(x, 4), round(y, 4), round(pressure, 2)] for x, y, pressure in sent[:3]]
        listed = await author.get(f"/api/documents/{doc}/annotations")
        assert len(listed.content) < 140_000  # 5 000 points; 310 kB with every digit of a float
    finally:
        await author.aclose()


async def test_an_author_s_annotations_on_a_document_share_a_budget(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    author = await login(live_server.url, c.members[0].username)
    other = await login(live_server.url, c.members[1].username)
    try:
        r = await author.post(f"/api/documents/{doc}/annotations", json=note(2, text="Cần làm rõ nguồn thu"))
        kept_note = r.json()["id"]
        made = _fill(live_server, c, doc)
        assert made >= 19  # ~38 000 points of pen: hundreds of handwritten words, not millions
        for body in (ink(1), note(3, text="Thêm một ý")):
            r = await author.post(f"/api/documents/{doc}/annotations", json=body)
            assert r.status_code == 409, r.text
            assert r.json()["error"]["message"] == FULL
        # An edit that adds is refused as well; one that removes is kept.
        r = await author.patch(f"/api/annotations/{kept_note}", json={"text": "Cần làm rõ nguồn thu " + "x" * 1900})
        assert r.status_code == 409 and r.json()["error"]["message"] == FULL
        r = await author.patch(f"/api/annotations/{kept_note}", json={"text": "Rõ"})
        assert r.status_code == 200, r.text
        # What a full budget costs to read back stays small: a couple of megabytes, and the PDF is made.
        listed = await author.get(f"/api/documents/{doc}/annotations")
        assert listed.status_code == 200 and len(listed.json()) == made + 1  # the note, and what _fill made
        assert len(listed.content) < services.BUDGET
        pdf = await author.get(f"/api/documents/{doc}/annotated.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        # The budget is the author's: another member draws freely; deleting frees room.
        assert (await other.post(f"/api/documents/{doc}/annotations", json=ink(1))).status_code == 201
        first = listed.json()[0]["id"]
        assert (await author.delete(f"/api/annotations/{first}")).status_code == 204
        assert (await author.post(f"/api/documents/{doc}/annotations", json=ink(1))).status_code == 201
    finally:
        await author.aclose()
        await other.aclose()
