"""The secretariat prepares a meeting on a tablet: details, agenda (reorder by drag and by buttons), invitations,
publish; plus login errors, the language switch and the meetings list."""

from __future__ import annotations

import re

from playwright.sync_api import expect

TITLE = "Phiên họp Chính phủ chuyên đề về xây dựng pháp luật tháng 12/2026"
ITEM_A = "Dự án Luật sửa đổi, bổ sung một số điều của Luật Đầu tư"
ITEM_B = "Đề nghị xây dựng Luật Thủ đô (sửa đổi)"


def drag_to(page, handle, target) -> None:
    """Drag with pointer events: press on the handle, move in steps onto the lower half of target, release."""
    a = handle.bounding_box()
    b = target.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] * 0.85, steps=12)
    page.mouse.up()


def test_secretariat_creates_and_publishes_a_meeting(tablet) -> None:
    staff = tablet("vanphong")
    page = staff.page
    page.get_by_test_id("new-meeting").tap()
    expect(page).to_have_url(re.compile(r"/meetings/new$"))

    # A too-short title: the API's 422 shows next to the field.
    page.fill("#f-title", "ab")
    page.get_by_test_id("btn-save").tap()
    expect(page.locator("[data-error-for=title]")).not_to_be_empty()
    expect(page.locator("#form-error")).to_contain_text("Dữ liệu gửi lên không hợp lệ")

    page.fill("#f-title", TITLE)
    page.select_option("#f-kind", "thematic")
    page.select_option("#f-mode", "hybrid")
    page.fill("#f-scheduled", "2026-12-10T14:30")
    page.fill("#f-place", "Phòng họp số 2, Trụ sở Chính phủ")
    page.get_by_test_id("btn-save").tap()
    page.wait_for_url(re.compile(r"/meetings/\d+/edit$"))
    meeting_id = int(page.url.rstrip("/").split("/")[-2])
    meeting = staff.api("GET", f"/api/meetings/{meeting_id}").json()
    assert meeting["title"] == TITLE
    assert meeting["scheduled_at"] == "2026-12-10T07:30:00Z"  # 14:30 in Hanoi
    assert meeting["state"] == "draft" and meeting["kind"] == "thematic"
    expect(page.locator("#f-scheduled")).to_have_value("2026-12-10T14:30")

    # Agenda: two items, then reorder by dragging, then back with the Up button.
    for title, presenter, minutes in ((ITEM_A, "Bộ Tài chính", "30"), (ITEM_B, "Bộ Tư pháp", "25")):
        page.fill("#i-title", title)
        page.fill("#i-presenter", presenter)
        page.fill("#i-minutes", minutes)
        page.get_by_test_id("btn-add-item").tap()
        expect(page.get_by_test_id("edit-item").last).to_contain_text(title)
    rows = page.get_by_test_id("edit-item")
    expect(rows).to_have_count(2)

    def order() -> list[str]:
        items = staff.api("GET", f"/api/meetings/{meeting_id}/agenda").json()
        return [i["title"] for i in sorted(items, key=lambda i: i["position"])]

    assert order() == [ITEM_A, ITEM_B]
    drag_to(page, rows.nth(0).locator(".handle"), rows.nth(1))
    expect(page.get_by_test_id("edit-item-title")).to_have_text([ITEM_B, ITEM_A])
    expect(page.get_by_test_id("toast").last).to_have_text("Đã sắp xếp lại chương trình")
    assert order() == [ITEM_B, ITEM_A]
    page.get_by_test_id("item-up").nth(1).tap()
    expect(page.get_by_test_id("edit-item-title")).to_have_text([ITEM_A, ITEM_B])
    assert order() == [ITEM_A, ITEM_B]

    # Publishing without a chair is refused with the server's reason.
    page.get_by_test_id("btn-publish").tap()
    page.get_by_test_id("confirm-ok").tap()
    expect(page.get_by_test_id("toast").last).to_contain_text("chưa có người chủ trì")

    # Invitations: the Prime Minister as chair, then every cabinet member at once.
    page.select_option("#p-user", label="Nguyễn Văn Thành — Thủ tướng Chính phủ")
    page.select_option("#p-role", "chair")
    page.get_by_test_id("btn-invite").tap()
    expect(page.locator("[data-testid=person][data-role=chair]")).to_contain_text("Nguyễn Văn Thành")
    page.get_by_test_id("btn-invite-all").tap()
    expect(page.locator("[data-testid=person][data-role=member]")).to_have_count(26, timeout=30_000)
    expect(page.get_by_test_id("toast").last).to_contain_text("Đã mời 26 thành viên")
    people = staff.api("GET", f"/api/meetings/{meeting_id}/participants").json()
    assert len(people) == 27 and sum(p["role"] == "chair" for p in people) == 1

    page.get_by_test_id("btn-publish").tap()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Phát hành cuộc họp cho thành phần dự họp?")
    page.screenshot(path="/tmp/ecabinet-publish-confirm.png")
    page.get_by_test_id("confirm-ok").tap()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã phát hành")
    expect(page.get_by_test_id("btn-publish")).to_be_hidden()
    assert staff.api("GET", f"/api/meetings/{meeting_id}").json()["state"] == "published"
    page.screenshot(path="/tmp/ecabinet-edit.png", full_page=True)

    # An invited member now sees it in their list, in Hanoi time.
    member = tablet("thanhvien03")
    row = member.page.locator(f'[data-testid=meeting][data-meeting-id="{meeting_id}"]')
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("14:30, 10/12/2026")
    expect(row.get_by_test_id("prepare")).to_have_count(0)  # members do not prepare meetings
    member.page.screenshot(path="/tmp/ecabinet-meetings-member.png")


def test_create_takes_no_tap_before_the_page_is_ready_and_sends_nothing(tablet) -> None:
    """On a slow network the form is on screen before its module (which waits for the translations): until it
    runs, "Tạo cuộc họp" takes no tap and Enter sends nothing (no GET with the title in the URL); then it works."""
    staff = tablet("vanphong")
    page = staff.page
    held: list = []
    page.route("**/i18n/*.json*", lambda route: held.append(route), times=1)
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto("/meetings/new")
    page.fill("#f-title", "ab")
    save = page.get_by_test_id("btn-save")
    assert save.evaluate("(b) => getComputedStyle(b).pointerEvents") == "none"
    page.press("#f-title", "Enter")  # implicit submission
    page.evaluate("document.getElementById('meeting-form').requestSubmit()")
    assert page.evaluate("fetch('/healthz?after-submit').then((r) => r.status)") == 200  # a marker after both
    assert page.url.endswith("/meetings/new"), page.url  # no ?title=ab
    assert not [u for u in seen if "title=" in u or u.endswith("/api/meetings")], seen

    assert held, "the page asked for its translations"
    for route in held:
        route.continue_()
    expect(page.locator("#meeting-form")).to_have_attribute("data-handled", "true")
    assert save.evaluate("(b) => getComputedStyle(b).pointerEvents") == "auto"
    save.tap()
    expect(page.locator("[data-error-for=title]")).not_to_be_empty()  # the API's 422, next to the field
    page.fill("#f-title", TITLE)
    save.tap()
    page.wait_for_url(re.compile(r"/meetings/\d+/edit$"))


def test_login_error_language_switch_and_logout(tablet) -> None:
    anon = tablet()
    page = anon.page
    page.goto("/meetings")
    expect(page).to_have_url(re.compile(r"/login\?next=/meetings$"))
    page.fill("#username", "thanhvien01")
    page.fill("#password", "sai-mat-khau")
    page.click("#login-submit")
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    assert re.search(r"[àáảãạăâđêôơưệịọụ]", error.inner_text().lower()), error.inner_text()  # Vietnamese message
    page.screenshot(path="/tmp/ecabinet-login-error.png")

    anon.login("thanhvien01")
    expect(page.get_by_test_id("who")).to_contain_text("Trần Quốc Hưng")
    expect(page.get_by_test_id("who")).to_contain_text("Phó Thủ tướng Thường trực")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cuộc họp của tôi")
    page.get_by_test_id("lang-switch").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("My meetings")
    expect(page.get_by_test_id("open").first).to_have_text("Open")
    page.get_by_test_id("lang-switch").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cuộc họp của tôi")

    page.get_by_test_id("logout").tap()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto("/meetings/1")
    expect(page).to_have_url(re.compile(r"/login\?next=/meetings/1$"))


def test_member_cannot_open_new_meeting_page(tablet) -> None:
    member = tablet("thanhvien02")
    response = member.page.goto("/meetings/new")
    assert response is not None and response.status == 403
    expect(member.page.get_by_test_id("error-message")).to_have_text("Chỉ Văn phòng được tạo cuộc họp.")
    expect(member.page.get_by_role("link", name="Quay lại")).to_have_attribute("href", "/meetings")
