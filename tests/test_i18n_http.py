"""API errors, field errors, socket acks and the scripts' catalogue answer in the user's language (the
language cookie, else Accept-Language, else Vietnamese), against the real server."""

from __future__ import annotations

import httpx
import socketio

from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.live import login


async def test_api_errors_follow_the_cookie_then_accept_language_and_default_to_vietnamese(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db)
    outsider = await login(live_server.url, c.outsider.username)
    try:
        path = f"/api/meetings/{c.meeting_id}"
        vi = (await outsider.get(path)).json()["error"]
        en = (await outsider.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})).json()["error"]
        assert vi == {"code": "not_found", "message": "Không tìm thấy cuộc họp."}  # not invited: as if absent
        assert en == {"code": "not_found", "message": "Meeting not found."}
        outsider.cookies.set("ecabinet_lang", "en")
        by_cookie = (await outsider.get(path, headers={"Accept-Language": "vi"})).json()["error"]
        assert by_cookie == en  # the cookie (the user's own choice) wins over the browser's header
    finally:
        await outsider.aclose()


async def test_field_errors_are_never_pydantics_english_and_follow_the_language(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        body = {"title": "ab", "scheduled_at": "2026-12-03T08:00:00Z"}
        vi = (await staff.post("/api/meetings", json=body)).json()["error"]
        assert vi["message"] == "Dữ liệu gửi lên không hợp lệ (trường “title”)."
        assert {"field": "title", "message": "Cần ít nhất 3 ký tự.", "type": "string_too_short"} in vi["details"]
        staff.cookies.set("ecabinet_lang", "en")
        en = (await staff.post("/api/meetings", json=body)).json()["error"]
        assert en["message"] == "The data sent is not valid (field “title”)."
        assert {"field": "title", "message": "At least 3 characters needed.", "type": "string_too_short"} in en[
            "details"
        ]
        assert "String should" not in str(vi) + str(en)
        r = await staff.post("/api/meetings", content=b"{nope", headers={"Content-Type": "application/json"})
        assert r.json()["error"]["message"] == "The body is not valid JSON."
        assert (await staff.get("/api/no-such-thing")).json()["error"]["message"] == "Not found."
    finally:
        await staff.aclose()


async def test_socket_acks_answer_in_the_language_of_the_handshake(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    outsider = await login(live_server.url, c.outsider.username)
    session = outsider.cookies["ecabinet_session"]
    acks = {}
    try:
        for name, headers in {
            "vi": {"Cookie": f"ecabinet_session={session}"},
            "header": {"Cookie": f"ecabinet_session={session}", "Accept-Language": "en-US,en;q=0.8"},
            "cookie": {"Cookie": f"ecabinet_session={session}; ecabinet_lang=en"},
        }.items():
            sio = socketio.AsyncClient(reconnection=False)
            await sio.connect(live_server.url, transports=["websocket"], headers=headers, wait_timeout=10)
            try:
                acks[name] = await sio.call("meeting:join", {"meeting_id": c.meeting_id}, timeout=10)
            finally:
                await sio.disconnect()
        assert acks["vi"]["error"]["message"] == "Không tìm thấy cuộc họp."
        assert (
            acks["header"]["error"] == acks["cookie"]["error"] == {"code": "not_found", "message": "Meeting not found."}
        )
    finally:
        await outsider.aclose()


async def test_the_scripts_catalogue_is_cached_and_has_the_same_keys_in_both_languages(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        vi, en = await http.get("/i18n/vi.json"), await http.get("/i18n/en.json")
        assert vi.status_code == en.status_code == 200
        assert vi.json()["messages"].keys() == en.json()["messages"].keys()
        assert (
            en.json()["messages"]["minutes.link"] == "Minutes" and vi.json()["messages"]["minutes.link"] == "Biên bản"
        )
        assert en.json()["messages"]["docs.pages"] == ["{n} page", "{n} pages"]  # plural forms for i18n.js
        assert not any(" " in key for key in en.json()["messages"])  # service messages reach scripts translated
        etag = en.headers["etag"]
        assert en.headers["cache-control"] == "no-cache"
        again = await http.get("/i18n/en.json", headers={"If-None-Match": etag})
        assert again.status_code == 304 and not again.content
        versioned = await http.get(f"/i18n/en.json?v={etag.strip(chr(34))}")
        assert "immutable" in versioned.headers["cache-control"]
        assert (await http.get("/i18n/fr.json")).status_code == 404
        first = await http.get("/login", headers={"Accept-Language": "en"})  # a page's default stays Vietnamese
        assert '<html lang="vi">' in first.text and "ecabinet_lang=vi" in first.headers["set-cookie"]
        assert (await http.get("/api/no-such-thing")).json()["error"][
            "message"
        ] == "Không tìm thấy."  # the cookie it set
        http.cookies.set("ecabinet_lang", "en")
        page = await http.get("/login")
        assert f'<meta name="i18n" content="/i18n/en.json?v={etag.strip(chr(34))}">' in page.text
        assert "set-cookie" not in page.headers
