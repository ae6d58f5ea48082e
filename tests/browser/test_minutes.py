"""Minutes in the browser: the secretariat writes a conclusion during the session, edits the draft minutes,
generates and finalises them; the secretary and the chair sign with their password; a member on the minutes
page sees the live notice and opens the signed PDF."""

from __future__ import annotations

from playwright.sync_api import expect

MEETING = 1
CONCLUSION = "Chính phủ thống nhất đánh giá tình hình kinh tế - xã hội; giao các bộ triển khai ngay."
EDITED = "Chính phủ thống nhất đánh giá; giao Bộ Kế hoạch và Đầu tư tổng hợp, báo cáo trước ngày 10/12."


def test_conclusion_edit_generate_sign_and_member_opens_pdf(tablet) -> None:
    chair = tablet("thutuong")
    assert chair.api("POST", f"/api/meetings/{MEETING}/start", {"force": True}).ok
    secretariat = tablet("vanphong", f"/meetings/{MEETING}/minutes")
    page = secretariat.page
    expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")

    # During the session: the conclusion of the first item, saved as typed, then shown on the room display.
    box = page.get_by_test_id("conclusion").first
    box.get_by_test_id("conclusion-text").fill(CONCLUSION)
    expect(box.get_by_test_id("conclusion-state")).to_have_text("Đã lưu")
    box.get_by_test_id("conclusion-publish").click()
    expect(box.get_by_test_id("conclusion-state")).to_have_text("Đã công bố")
    snapshot = chair.api("GET", f"/api/meetings/{MEETING}/snapshot").json()["snapshot"]
    assert snapshot["conclusions"][0]["text"] == CONCLUSION

    assert chair.api("POST", f"/api/meetings/{MEETING}/end").ok
    expect(page.get_by_test_id("btn-finalise")).to_be_visible()
    first_item = page.get_by_test_id("section").filter(has_text="kết luận").first
    area = first_item.locator("textarea")
    expect(area).to_have_value(CONCLUSION)
    area.fill(EDITED)
    expect(first_item).to_have_class("minutes-section edited")
    expect(first_item.locator(".meta span")).to_have_text("Văn phòng đã sửa — đã lưu")
    page.get_by_test_id("btn-preview").click()
    draft = secretariat.api("GET", f"/api/meetings/{MEETING}/minutes").json()
    assert any(s["effective"] == EDITED for s in draft["sections"])

    reset = first_item.get_by_test_id("section-reset")
    expect(reset).to_be_visible()  # "restore the generated text" on the edited section of the draft

    # Finalising asks first; cancelling leaves the draft as it is.
    page.get_by_test_id("btn-finalise").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Chốt biên bản?")
    page.get_by_test_id("confirm-cancel").click()
    expect(page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "draft")
    page.get_by_test_id("btn-finalise").click()
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "final")
    # Closed minutes: no "restore" offered, and the server would refuse it.
    expect(page.get_by_test_id("section-reset")).to_have_count(page.get_by_test_id("section").count())
    for i in range(page.get_by_test_id("section-reset").count()):
        expect(page.get_by_test_id("section-reset").nth(i)).to_be_hidden()
    key = first_item.get_attribute("data-key")
    refused = secretariat.api("PUT", f"/api/meetings/{MEETING}/minutes/sections/{key}", {"text": None})
    assert refused.status == 409, refused.text()

    member = tablet("thanhvien03", f"/meetings/{MEETING}/minutes")
    expect(member.page.locator("#minutes")).to_have_attribute("data-ready", "true")
    expect(member.page.locator("#member-note")).to_be_visible()

    # The secretary signs first (vanphong is the meeting's secretary), then the chair.
    page.get_by_test_id("btn-sign").click()
    page.get_by_test_id("sign-password").fill("demo")
    page.get_by_test_id("sign-ok").click()
    expect(page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "secretary_signed")
    chair.page.goto(f"/meetings/{MEETING}/minutes")
    expect(chair.page.locator("#minutes")).to_have_attribute("data-ready", "true")
    chair.page.get_by_test_id("btn-sign").click()
    chair.page.get_by_test_id("sign-password").fill("demo")
    chair.page.get_by_test_id("sign-ok").click()
    expect(chair.page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "signed")

    # The member was told live, without reloading, and opens the signed minutes.
    notice = member.page.get_by_test_id("minutes-completed-link")
    expect(notice).to_be_visible()
    href = notice.get_attribute("href")
    assert href and href.startswith(f"/api/meetings/{MEETING}/minutes.pdf")
    expect(member.page.get_by_test_id("btn-download")).to_be_visible()
    with member.page.context.expect_page() as opened:
        notice.click()
    opened.value.wait_for_load_state()
    assert href in opened.value.url
    pdf = member.api("GET", href)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    assert b"/ByteRange" in pdf.body()
    member.page.screenshot(path="/tmp/ecabinet-minutes-member.png")
    page.screenshot(path="/tmp/ecabinet-minutes-secretariat.png", full_page=True)
