"""A refusal's details speak the reader's language too, not only its message: Vietnamese by default, English for
an English reader (annotations' palette and shape, polls' voters). Real uvicorn."""

from __future__ import annotations

from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login
from tests.test_annotations_live import _doc


async def test_an_annotation_refused_says_why_in_the_readers_language(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    member = await login(live_server.url, c.members[0].username)
    url = f"/api/documents/{doc}/annotations"
    try:
        for body, vi, en in (
            (ink(1, color="#123456"), "màu của nét ink phải là một trong", "ink colour must be one of"),
            ({**note(1), "text": ""}, "ghi chú cần có nội dung", "a note needs its text"),
            ({**ink(1), "text": "chữ"}, "chỉ ghi chú mới có nội dung chữ", "only notes carry text"),
        ):
            said = {}
            for lang in ("vi", "en"):
                r = await member.post(url, json=body, headers={"Accept-Language": lang})
                assert r.status_code == 422, r.text
                said[lang] = " ".join(d["message"] for d in r.json()["error"]["details"])
            assert vi in said["vi"] and en in said["en"], said
    finally:
        await member.aclose()
