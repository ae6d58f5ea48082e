"""User-facing messages never show a database id: "meeting 17" tells a minister nothing, and ids let a caller
count what exists. A refusal of what the caller may not see (or what does not exist) names nothing at all; a
refusal about what the caller manages names it by its title. Through the real HTTP API, in both languages."""

from __future__ import annotations

import re

import httpx

from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login

TITLE = "Phiên họp thử nghiệm ngân sách"  # make_cabinet's meeting
ITEM = "Nội dung 1: dự toán ngân sách"  # its first agenda item


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    return str(error["message"])


async def test_a_meeting_the_caller_may_not_see_or_that_does_not_exist_is_named_by_nothing(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db)
    outsider = await login(live_server.url, c.outsider.username)
    try:
        # one answer for both: a meeting one is not invited to is, to him, a meeting that does not exist
        hidden = _error(await outsider.get(f"/api/meetings/{c.meeting_id}"), 404, "not_found")
        missing = _error(await outsider.get(f"/api/meetings/{c.meeting_id + 4321}"), 404, "not_found")
        assert hidden == missing == "Không tìm thấy cuộc họp."
        outsider.cookies.set("ecabinet_lang", "en")
        hidden_en = _error(await outsider.get(f"/api/meetings/{c.meeting_id}"), 404, "not_found")
        missing_en = _error(await outsider.get(f"/api/meetings/{c.meeting_id + 4321}"), 404, "not_found")
        assert hidden_en == missing_en == "Meeting not found."
        for message in (hidden, missing, hidden_en, missing_en):
            assert not re.search(r"\d", message) and TITLE not in message, message
    finally:
        await outsider.aclose()


async def test_a_thing_missing_from_a_meeting_the_caller_manages_is_named_by_nothing(live_server: LiveServer) -> None:
    """No id, and no name of an account the caller asked about (a chair who is not staff may not list them)."""
    c = make_cabinet(live_server.db, start=True)
    staff, chair = await login(live_server.url, c.staff.username), await login(live_server.url, c.chair.username)
    try:
        stranger = await staff.patch(
            f"/api/meetings/{c.meeting_id}/participants/{c.outsider.id}", json={"role": "member"}
        )
        assert _error(stranger, 404, "not_found") == "Người này không phải thành phần của cuộc họp."
        floor = await chair.post(f"/api/meetings/{c.meeting_id}/speakers", json={"user_id": c.outsider.id})
        assert _error(floor, 404, "not_found") == "Người này không phải thành phần của cuộc họp."
        no_item = await chair.post(f"/api/meetings/{c.meeting_id}/agenda/{c.item_ids[-1] + 4321}/activate")
        assert _error(no_item, 404, "not_found") == "Không tìm thấy nội dung họp."
    finally:
        await staff.aclose()
        await chair.aclose()


async def test_a_refusal_about_what_the_caller_manages_names_it_by_its_title(live_server: LiveServer) -> None:
    draft = make_cabinet(live_server.db, n_items=0, publish=False)
    held = make_cabinet(live_server.db, start=True)  # its first item is under discussion
    staff = await login(live_server.url, draft.staff.username)
    held_staff, chair = (
        await login(live_server.url, held.staff.username),
        await login(live_server.url, held.chair.username),
    )
    try:
        publish = f"/api/meetings/{draft.meeting_id}/publish"
        empty = _error(await staff.post(publish), 409, "invalid_state")
        assert empty == f"Không thể phát hành cuộc họp “{TITLE}”: chưa có nội dung họp nào."
        started = _error(await chair.post(f"/api/meetings/{held.meeting_id}/start", json={}), 409, "invalid_state")
        assert started == f"Không thể bắt đầu cuộc họp “{TITLE}”: cuộc họp đang diễn ra."
        item = f"/api/meetings/{held.meeting_id}/agenda/{held.item_ids[0]}"
        discussed = _error(await held_staff.delete(item), 409, "invalid_state")
        assert discussed == f"Không thể xóa nội dung “{ITEM}”: nội dung đã hoặc đang được thảo luận."
        staff.cookies.set("ecabinet_lang", "en")
        empty_en = _error(await staff.post(publish), 409, "invalid_state")
        assert empty_en == f"Meeting “{TITLE}” cannot be published: it has no agenda items."
        for message in (empty, started, empty_en, discussed.replace(ITEM, "")):
            assert not re.search(r"\d", message), message  # the meeting's title has no digits: no id either
    finally:
        for client in (staff, held_staff, chair):
            await client.aclose()


async def test_a_document_refusal_names_no_meeting_item_document_or_person_by_id(live_server: LiveServer) -> None:
    """Uploading to a meeting the caller manages: the people who do not attend are in the details (the form marks
    them), the message names nobody; an item of another meeting and a document to replace that is not in this one
    are named by nothing."""
    c, other = make_cabinet(live_server.db), make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        pdf = make_pdf(1)
        r = await upload(staff, c.meeting_id, pdf, restricted=True, allowed_user_ids=[c.members[0].id, c.outsider.id])
        stranger = _error(r, 422, "validation_failed")
        assert stranger == (
            "Có người được chọn không tham dự cuộc họp này; chỉ cho phép xem tài liệu hạn chế với người tham dự."
        )
        assert r.json()["error"]["details"] == {"user_ids": [c.outsider.id]}
        item = _error(
            await upload(staff, c.meeting_id, pdf, agenda_item_id=other.item_ids[0]), 422, "validation_failed"
        )
        assert item == "Nội dung họp đã chọn không thuộc cuộc họp này."
        gone = _error(await upload(staff, c.meeting_id, pdf, replaces_document_id=4321), 404, "not_found")
        assert gone == "Không tìm thấy tài liệu cần thay thế trong cuộc họp này."
        staff.cookies.set("ecabinet_lang", "en")
        r = await upload(staff, c.meeting_id, pdf, restricted=True, allowed_user_ids=[c.outsider.id])
        stranger_en = _error(r, 422, "validation_failed")
        assert stranger_en == (
            "Some of the people chosen do not attend this meeting; "
            "a restricted document can only be shown to attendees."
        )
        gone_en = _error(await upload(staff, c.meeting_id, pdf, replaces_document_id=4321), 404, "not_found")
        assert gone_en == "The document to replace was not found in this meeting."
        for message in (stranger, item, gone, stranger_en, gone_en):
            assert not re.search(r"\d", message) and c.outsider.full_name not in message, message
    finally:
        await staff.aclose()
