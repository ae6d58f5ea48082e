"""The minutes, signature verification and room display pages speak English with the ecabinet_lang=en cookie
(the display too, opened with its token and no login) and stay Vietnamese without it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

MEETING = 1


def _english(t) -> None:
    t.context.add_cookies([{"name": "ecabinet_lang", "value": "en", "url": t.base}])


def _absent(page, *labels: str) -> None:
    body = page.locator("body").inner_text()
    assert not [label for label in labels if label in body], body


def test_minutes_verify_and_display_in_english_vietnamese_by_default(tablet) -> None:
    secretariat = tablet()
    _english(secretariat)
    secretariat.login("vanphong", f"/meetings/{MEETING}/minutes")
    assert secretariat.api(
        "POST", f"/api/meetings/{MEETING}/start", {"force": True}
    ).ok  # vanphong is the meeting's secretary
    page = secretariat.page
    page.reload()
    expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", name="Meeting minutes")).to_be_visible()
    expect(page.get_by_test_id("minutes-state")).to_have_text("Draft (being edited)")
    expect(page.get_by_test_id("btn-preview")).to_have_text("Preview PDF")
    expect(page.get_by_test_id("btn-docx")).to_have_text("Download DOCX")
    expect(page.get_by_role("link", name="Verify digital signatures")).to_be_visible()
    expect(page.get_by_test_id("conclusion-publish").first).to_have_text("Show on the room display")
    _absent(page, "Biên bản cuộc họp", "Dự thảo (đang biên tập)", "Xem trước PDF", "Hiển thị trên màn hình phòng họp")
    page.screenshot(path="/tmp/ecabinet-minutes-en.png")

    page.goto("/minutes/verify")
    expect(page.get_by_role("heading", name="Verify the signatures of minutes")).to_be_visible()
    expect(page.get_by_test_id("verify-submit")).to_have_text("Verify")
    _absent(page, "Kiểm tra chữ ký số", "Chọn tệp PDF biên bản đã ký")

    created = secretariat.api("POST", f"/api/meetings/{MEETING}/display-tokens")
    assert created.status == 201, created.text()
    url = created.json()["url"]

    screen = tablet()  # a room PC: no login, only the token and the language cookie
    _english(screen)
    screen.page.goto(url)
    expect(screen.page.locator("#display")).to_have_attribute("data-ready", "true")
    expect(screen.page.locator("html")).to_have_attribute("lang", "en")
    expect(screen.page.get_by_test_id("connection")).to_have_text("Connected")
    expect(screen.page.locator("#item-step")).to_have_text(re.compile(r"^Item 1 of \d+$"))
    expect(screen.page.get_by_test_id("quorum")).to_contain_text("Members present")
    expect(screen.page.locator(".d-queue")).to_contain_text("Waiting to speak")
    _absent(screen.page, "Thành viên có mặt", "Đăng ký phát biểu", "Đã kết nối", "Nội dung đang thảo luận")
    screen.page.screenshot(path="/tmp/ecabinet-display-en.png")

    # Without the cookie: Vietnamese, as before.
    vietnamese = tablet()
    vietnamese.page.goto(url)
    expect(vietnamese.page.locator("#display")).to_have_attribute("data-ready", "true")
    expect(vietnamese.page.get_by_test_id("connection")).to_have_text("Đã kết nối")
    expect(vietnamese.page.get_by_test_id("quorum")).to_contain_text("Thành viên có mặt")
    expect(vietnamese.page.locator("#item-step")).to_have_text(re.compile(r"^Nội dung 1/\d+$"))
    vietnamese.page.goto("/minutes/verify")
    expect(vietnamese.page.get_by_role("heading", name="Kiểm tra chữ ký số biên bản")).to_be_visible()
    expect(vietnamese.page.get_by_test_id("verify-submit")).to_have_text("Kiểm tra")
