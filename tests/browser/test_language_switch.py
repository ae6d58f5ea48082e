"""Switching the language on a 1024×768 tablet: the meetings list's minutes button, the minutes page's
section labels, dates and a refused action's message all turn English (issue 11, "Messages"), and back."""

from __future__ import annotations

from playwright.sync_api import expect

MEETING = 1
LANDSCAPE = {"width": 1024, "height": 768}
VIETNAMESE_LABELS = ["Số, ký hiệu", "Địa danh, ngày tháng", "Thành phần tham dự", "Mở đầu", "— kết luận", "Nơi nhận"]


def test_switching_to_english_turns_the_minutes_button_sections_and_errors_english(tablet) -> None:
    t = tablet("vanphong")  # the Office: the demo meeting's secretary
    page = t.page
    page.set_viewport_size(LANDSCAPE)
    assert t.api(
        "POST", f"/api/meetings/{MEETING}/start", {"force": True}
    ).ok  # the list offers the minutes of a started meeting
    page.reload()
    expect(page.get_by_test_id("minutes").first).to_have_text("Biên bản")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("minutes").first).to_have_text("Minutes")
    page.screenshot(path="/tmp/ecabinet-i18n-meetings-en.png")

    page.goto(f"/meetings/{MEETING}/minutes")
    expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")
    labels = page.locator("[data-testid=section] > label")
    expect(labels.first).to_contain_text("Number and reference")
    texts = [label.split("\n")[0] for label in labels.all_inner_texts()]
    assert "Place and date" in texts and "Attendance" in texts and "Opening" in texts, texts
    assert any(text.endswith("— conclusion") for text in texts), texts
    assert not [label for label in VIETNAMESE_LABELS if any(label in text for text in texts)], texts
    labels.first.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/ecabinet-i18n-minutes-en.png")

    page.goto(f"/meetings/{MEETING}")
    expect(page.locator("#live")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("minutes-link")).to_have_text("Minutes")
    body = page.locator("body").inner_text()
    assert not [w for w in ("Biên bản", "Chương trình họp", "Thành phần dự họp", "Đang họp") if w in body], body
    page.screenshot(path="/tmp/ecabinet-i18n-live-en.png")

    # A service refusal answers in English too (the cookie the switch set).
    refused = t.api("POST", f"/api/meetings/{MEETING}/start")
    assert refused.status == 409
    title = t.api("GET", f"/api/meetings/{MEETING}").json()["title"]
    assert refused.json()["error"]["message"] == f"Cannot start meeting “{title}”: the meeting is in progress."

    page.goto(f"/meetings/{MEETING}/minutes")
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("[data-testid=section] > label").first).to_contain_text("Số, ký hiệu")
    page.locator("[data-testid=section] > label").first.scroll_into_view_if_needed()
    assert (
        t.api("POST", f"/api/meetings/{MEETING}/start").json()["error"]["message"]
        == f"Không thể bắt đầu cuộc họp “{title}”: cuộc họp đang diễn ra."
    )
    page.screenshot(path="/tmp/ecabinet-i18n-minutes-vi.png")
