"""Restricted documents, guests, per-viewer watermarks, search and versions over the real server."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageChops

from documents.watermark import band_height
from meetings.reducer import apply_event
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import live_client, login


async def _doc(live: LiveServer, c: Cabinet, **fields: Any) -> int:
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(3), **fields)
        assert r.status_code == 201, r.text
        return r.json()["id"]
    finally:
        await staff.aclose()


async def test_member_outside_the_restricted_list_gets_404_everywhere(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c, restricted=True, allowed_user_ids=[c.members[0].id])
    allowed = await login(live_server.url, c.members[0].username)
    other = await login(live_server.url, c.members[1].username)
    try:
        urls = [
            f"/api/documents/{doc}",
            f"/api/documents/{doc}/pages/1",
            f"/api/documents/{doc}/pages/1?size=thumb",
            f"/api/documents/{doc}/text?q=ngan+sach",
            f"/api/documents/{doc}/download",
        ]
        for url in urls:
            r = await other.get(url)  # as a missing document (tests/test_restricted_existence.py)
            assert r.status_code == 404, url
            assert r.json()["error"]["message"] == "Không tìm thấy tài liệu."
        assert [d["id"] for d in (await other.get(f"/api/meetings/{c.meeting_id}/documents")).json()] == []
        assert [d["id"] for d in (await allowed.get(f"/api/meetings/{c.meeting_id}/documents")).json()] == [doc]
        page = await allowed.get(f"/api/documents/{doc}/pages/1")
        assert page.status_code == 200 and page.headers["content-type"] == "image/png"
        assert page.headers["cache-control"] == "private, no-store"
        # No raw PDF ever leaves the server for a restricted document, not even for those on the list.
        r = await allowed.get(f"/api/documents/{doc}/download")
        assert r.status_code == 403 and r.json()["error"]["message"].startswith("Tài liệu hạn chế không được tải về")
        assert not r.content.startswith(b"%PDF")
    finally:
        await allowed.aclose()
        await other.aclose()


async def test_a_guest_sees_only_documents_shared_with_guests(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    shared = await _doc(live_server, c, title="Tài liệu cho khách", share_with_guests=True)
    private = await _doc(live_server, c, title="Tài liệu nội bộ")
    guest = await login(live_server.url, c.guest.username)
    member = await login(live_server.url, c.members[0].username)
    try:
        assert [d["id"] for d in (await guest.get(f"/api/meetings/{c.meeting_id}/documents")).json()] == [shared]
        assert {d["id"] for d in (await member.get(f"/api/meetings/{c.meeting_id}/documents")).json()} == {
            shared,
            private,
        }
        assert (await guest.get(f"/api/documents/{shared}/pages/1")).status_code == 200
        for url in (
            f"/api/documents/{private}",
            f"/api/documents/{private}/pages/1",
            f"/api/documents/{private}/download",
        ):
            r = await guest.get(url)  # as a missing document: its existence is not the guest's to learn
            assert r.status_code == 404 and r.json()["error"]["message"] == "Không tìm thấy tài liệu."
        snapshot = (await guest.get(f"/api/meetings/{c.meeting_id}/snapshot")).json()["snapshot"]
        assert [d["id"] for d in snapshot["documents"]] == [shared]  # the slice holds only what everyone may read
    finally:
        await guest.aclose()
        await member.aclose()


def _image(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content)).convert("RGB")


async def test_each_viewer_gets_a_page_with_their_own_watermark(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c, restricted=True, allowed_user_ids=[c.members[0].id, c.members[1].id])
    a = await login(live_server.url, c.members[0].username)
    b = await login(live_server.url, c.members[1].username)
    try:
        ra, rb = await a.get(f"/api/documents/{doc}/pages/1"), await b.get(f"/api/documents/{doc}/pages/1")
        assert ra.status_code == rb.status_code == 200
        assert ra.content != rb.content and ra.headers["etag"] != rb.headers["etag"]
        assert ra.headers["vary"] == "Cookie"
        ia, ib = _image(ra.content), _image(rb.content)
        assert ia.size == ib.size and ia.width == 1280
        band = (0, ia.height - band_height(ia.height, ia.width), ia.width, ia.height)
        diff = ImageChops.difference(ia.crop(band), ib.crop(band)).getbbox()
        assert diff is not None  # the names in the band differ
        zoom = await a.get(f"/api/documents/{doc}/pages/1?size=zoom")
        assert _image(zoom.content).width == 2560
        thumb = await a.get(f"/api/documents/{doc}/pages/3?size=thumb")
        assert _image(thumb.content).width == 256
        assert (await a.get(f"/api/documents/{doc}/pages/4")).status_code == 404
        assert (await a.get(f"/api/documents/{doc}/pages/1?size=huge")).status_code == 422
    finally:
        await a.aclose()
        await b.aclose()


async def test_unrestricted_download_is_a_watermarked_pdf_and_pages_revalidate_per_user(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    a = await login(live_server.url, c.members[0].username)
    try:
        r = await a.get(f"/api/documents/{doc}/download")
        assert (
            r.status_code == 200 and r.content.startswith(b"%PDF") and r.headers["cache-control"] == "private, no-store"
        )
        with pikepdf.open(io.BytesIO(r.content)) as pdf:
            assert "Thành Viên Số 0" in str(pdf.docinfo["/Subject"])
        page = await a.get(f"/api/documents/{doc}/pages/2")
        assert page.headers["cache-control"] == "private, no-cache"
        again = await a.get(f"/api/documents/{doc}/pages/2", headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code in (200, 304)  # 304 unless the watermark's minute changed in between
    finally:
        await a.aclose()


async def test_search_ignores_diacritics(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c)
    m = await login(live_server.url, c.members[0].username)
    try:
        r = await m.get(f"/api/documents/{doc}/text", params={"q": "tong thu can doi ngan sach"})
        assert r.status_code == 200
        matches = r.json()["matches"]
        assert [x["page"] for x in matches] == [2]
        assert matches[0]["match"] == "Tổng thu cân đối ngân sách" and "ngân sách" in matches[0]["snippet"]
        assert (await m.get(f"/api/documents/{doc}/text", params={"q": "x"})).status_code == 422
        assert (await m.get(f"/api/documents/{doc}/text", params={"q": "không có cụm này"})).json()["matches"] == []
    finally:
        await m.aclose()


async def test_a_new_version_keeps_history_and_members_get_the_event(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    staff = await login(live_server.url, c.staff.username)
    try:
        ack = await tablet.join(c.meeting_id)
        assert ack["ok"]
        r = await upload(
            staff,
            c.meeting_id,
            make_pdf(4, heading="Bản sửa đổi lần 2"),
            title="Tờ trình (bản sửa)",
            replaces_document_id=doc,
        )
        assert r.status_code == 201 and r.json()["id"] == doc and r.json()["version"] == 2
        env = await tablet.wait_for(lambda e: e["type"] == "document.updated")
        assert env["data"]["document_id"] == doc and env["data"]["version"] == 2 and env["data"]["change"] == "version"
        detail = (await http.get(f"/api/documents/{doc}")).json()
        assert [v["version"] for v in detail["versions"]] == [1, 2] and detail["page_count"] == 4
        old = await http.get(f"/api/documents/{doc}/text", params={"q": "ban sua doi", "version": 1})
        assert old.json()["matches"] == []  # version 1 is still there, with its own text
        assert (await http.get(f"/api/documents/{doc}/pages/3?version=1")).status_code == 200
        assert (await http.get(f"/api/documents/{doc}/pages/4?version=1")).status_code == 404
        assert "allowed_user_ids" not in detail  # the access list is for the secretariat only
    finally:
        await tablet.close()
        await http.aclose()
        await staff.aclose()


async def test_restricted_changes_are_not_announced_to_the_room_and_replay_equals_snapshot(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, start=True)
    guest, gh = await live_client(live_server.url, c.guest.username)
    staff = await login(live_server.url, c.staff.username)
    try:
        seq = (await guest.join(c.meeting_id))["data"]["seq"]
        secret = await upload(
            staff,
            c.meeting_id,
            make_pdf(1),
            title="Mật: phương án nhân sự",
            restricted=True,
            allowed_user_ids=[c.members[0].id],
        )
        shared = (await upload(staff, c.meeting_id, make_pdf(1), title="Cho khách", share_with_guests=True)).json()[
            "id"
        ]
        env = await guest.wait_for(lambda e: e["type"] == "document.added")
        assert env["seq"] == seq + 1 and "Mật" not in str(guest.events)  # the restricted upload: no event at all
        r = await staff.patch(
            f"/api/documents/{shared}", json={"restricted": True, "allowed_user_ids": [c.members[1].id]}
        )
        assert r.status_code == 200  # it was the guest's to read: the guest is told it changed (and loses it)
        await guest.wait_for(lambda e: e["type"] == "document.updated" and e["data"]["documents"] == [])
        r = await staff.delete(f"/api/documents/{secret.json()['id']}")
        assert r.status_code == 204
        r = await staff.delete(f"/api/documents/{shared}")  # restricted now: no event either
        assert r.status_code == 204
        await upload(staff, c.meeting_id, make_pdf(1), title="Sau cùng", share_with_guests=True)
        last = await guest.wait_for(lambda e: e["type"] == "document.added" and e["seq"] > seq + 1)
        assert [e["type"] for e in guest.events] == ["document.added", "document.updated", "document.added"]
        assert last["seq"] == seq + 3
        fresh = await guest.join(c.meeting_id)
        assert guest.state == fresh["data"]["snapshot"]
    finally:
        await guest.close()
        await gh.aclose()
        await staff.aclose()


@pytest.mark.parametrize("who", ["member", "guest", "chair"])
async def test_only_the_secretariat_uploads_edits_and_deletes_over_rest(live_server: LiveServer, who: str) -> None:
    c = make_cabinet(live_server.db)
    doc = await _doc(live_server, c, share_with_guests=True)  # one they may read (else: 404, as a missing one)
    user = await login(live_server.url, c.by_name(who).username)
    try:
        assert (await upload(user, c.meeting_id, make_pdf(1))).status_code == 403
        assert (await user.patch(f"/api/documents/{doc}", json={"title": "Đổi tên"})).status_code == 403
        assert (await user.delete(f"/api/documents/{doc}")).status_code == 403
    finally:
        await user.aclose()


async def test_apply_event_keeps_documents_slice(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    tablet, http = await live_client(live_server.url, c.members[0].username)
    try:
        ack = await tablet.join(c.meeting_id)
        stale, seq = ack["data"]["snapshot"], ack["data"]["seq"]
        await _doc(live_server, c, share_with_guests=True)
        env = await tablet.wait_for(lambda e: e["type"] == "document.added")
        assert env["seq"] == seq + 1
        assert (
            apply_event(stale, env)["documents"] == (await tablet.join(c.meeting_id))["data"]["snapshot"]["documents"]
        )
    finally:
        await tablet.close()
        await http.aclose()
