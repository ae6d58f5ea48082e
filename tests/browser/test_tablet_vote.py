"""On a tablet at 1024x768 (landscape) and 768x1024 (portrait): the chair's console is on screen without
scrolling, starting without quorum warns like opening a vote does, and a vote that opens reaches every member
at once (a sheet with the choices inside the viewport, a chime unless turned off, the votes tab marked, a
banner to come back to it after "later")."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import start_meeting

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
SHOTS = Path("/tmp/shots-tablet")


def inside_viewport(page, locator, at_top: bool = True) -> None:
    """Every element of the locator is fully on screen, as the page is (not scrolled, unless at_top=False)."""
    size = page.viewport_size
    if at_top:
        assert page.evaluate("() => window.scrollY") == 0
    count = locator.count()
    assert count > 0
    for i in range(count):
        box = locator.nth(i).bounding_box()
        assert box is not None, f"{locator} #{i} is not rendered"
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= size["width"] + 0.5 and box["y"] + box["height"] <= size["height"] + 0.5, (
            box,
            size,
        )


def shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def check_in(t, meeting: int) -> None:
    r = t.api("POST", f"/api/meetings/{meeting}/attendance/check-in", {"attendance": "present_room"})
    assert r.status == 200, r.text()


def test_console_on_screen_and_start_warns_without_quorum(tablet, tmp_path, meeting) -> None:
    chair = tablet("thutuong")
    page = chair.page
    page.set_viewport_size(LANDSCAPE)
    chair.open_live(meeting)
    inside_viewport(page, page.get_by_test_id("btn-start"))
    page.get_by_test_id("btn-start").tap()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Chưa đủ số thành viên có mặt (0/27, cần 18)")
    expect(page.get_by_test_id("confirm-ok")).to_have_text("Vẫn bắt đầu họp")
    page.get_by_test_id("confirm-cancel").tap()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã phát hành")
    page.get_by_test_id("btn-start").tap()
    page.get_by_test_id("confirm-ok").tap()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang họp")
    buttons = page.locator("#btn-prev, #btn-next, #btn-end")
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(size)
        page.wait_for_function("(w) => innerWidth === w", arg=size["width"])
        inside_viewport(page, buttons)
        shot(page, tmp_path, f"chair-console-{size['width']}x{size['height']}")
        # Scrolled down to the agenda, the console is still there.
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_function("() => window.scrollY > 0 || document.body.scrollHeight <= innerHeight")
        for i in range(3):
            box = buttons.nth(i).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 0.5
        page.evaluate("() => window.scrollTo(0, 0)")
        page.wait_for_function("() => window.scrollY === 0")


def test_an_open_vote_reaches_every_member(tablet, tmp_path, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong")
    landscape = tablet("thanhvien01")
    portrait = tablet("thanhvien02")
    landscape.page.set_viewport_size(LANDSCAPE)
    portrait.page.set_viewport_size(PORTRAIT)
    for member in (landscape, portrait):
        check_in(member, meeting)
        member.open_live(meeting)
    # A tap (any user gesture) lets the browser play sound; the portrait tablet turns the chime off.
    landscape.page.get_by_test_id("tab-agenda").tap()
    portrait.page.get_by_test_id("sound-toggle").tap()
    expect(portrait.page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "false")
    portrait.page.reload()
    expect(portrait.page.locator("#live")).to_have_attribute("data-ready", "true")
    expect(portrait.page.get_by_test_id("sound-toggle")).to_have_attribute("aria-pressed", "false")  # remembered
    portrait.page.get_by_test_id("tab-agenda").tap()

    item_id = chair.api("GET", f"/api/meetings/{meeting}").json()["current_item_id"]
    question = "Thông qua Nghị quyết về phân bổ dự toán ngân sách trung ương năm 2027 cho các bộ, ngành"
    vote = chair.api("POST", f"/api/meetings/{meeting}/votes", {"agenda_item_id": item_id, "question": question}).json()
    assert chair.api("POST", f"/api/votes/{vote['id']}/open", {"force": True}).status == 200

    for member, size in ((landscape, LANDSCAPE), (portrait, PORTRAIT)):
        page = member.page
        sheet = page.get_by_test_id("vote-sheet")
        expect(sheet).to_be_visible()
        expect(sheet.get_by_test_id("sheet-question")).to_have_text(question)
        expect(sheet.get_by_test_id("sheet-option")).to_have_count(3)
        inside_viewport(page, sheet.get_by_test_id("sheet-option"))
        for i in range(3):
            box = sheet.get_by_test_id("sheet-option").nth(i).bounding_box()
            assert box["height"] >= 60 and box["width"] >= 150, box  # big touch targets
        expect(page.get_by_test_id("tab-votes")).to_have_class("tab tab-alert")
        shot(page, tmp_path, f"vote-sheet-{size['width']}x{size['height']}")
    assert landscape.page.evaluate("() => ({ ...window.ecabinetLive.chimes })") == {
        "played": 1,
        "muted": 0,
        "blocked": 0,
    }
    assert portrait.page.evaluate("() => ({ ...window.ecabinetLive.chimes })") == {
        "played": 0,
        "muted": 1,
        "blocked": 0,
    }

    # "Later": the sheet goes, a banner stays (on screen) and brings it back.
    page = landscape.page
    page.get_by_test_id("sheet-later").tap()
    expect(page.get_by_test_id("vote-sheet")).to_be_hidden()
    banner = page.get_by_test_id("vote-banner")
    expect(banner).to_contain_text(question)
    inside_viewport(page, page.get_by_test_id("vote-banner-open"))
    shot(page, tmp_path, "vote-banner-1024x768")
    page.get_by_test_id("vote-banner-open").tap()
    expect(page.get_by_test_id("vote-sheet")).to_be_visible()
    # One tap + confirm, as on the card; once recorded, the sheet and the banner are gone.
    page.get_by_test_id("sheet-option").filter(has_text="Tán thành").first.tap()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Xác nhận biểu quyết: “Tán thành”?")
    page.get_by_test_id("confirm-ok").tap()
    expect(page.get_by_test_id("vote-sheet")).to_be_hidden()
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("vote-recorded")).to_contain_text("Tán thành")

    # The portrait member puts it off; when the vote closes, the banner goes too.
    portrait.page.get_by_test_id("sheet-later").tap()
    expect(portrait.page.get_by_test_id("vote-banner")).to_be_visible()
    assert chair.api("POST", f"/api/votes/{vote['id']}/close").status == 200
    expect(portrait.page.get_by_test_id("vote-banner")).to_be_hidden()
    expect(portrait.page.get_by_test_id("vote-sheet")).to_be_hidden()
    expect(portrait.page.get_by_test_id("tab-votes")).to_have_class("tab")


def test_focus_stays_in_place_across_live_events(tablet, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    member, other = tablet("thanhvien01"), tablet("thanhvien02")
    for voter in (member, other):  # present, so they may vote
        check_in(voter, meeting)
    member.open_live(meeting)

    def live_event(page, action) -> None:
        seq = int(page.locator("#live").get_attribute("data-seq"))
        action()
        page.wait_for_function("(s) => Number(document.getElementById('live').dataset.seq) > s", arg=seq)

    # The chair's keyboard is on an agenda row; someone checks in: the very same row keeps the focus.
    row = chair.page.get_by_test_id("agenda-item").nth(3)
    row.focus()
    chair.page.evaluate("() => { window.focusedBefore = document.activeElement; }")
    live_event(chair.page, lambda: check_in(tablet("thanhvien07"), meeting))
    assert chair.page.evaluate("() => document.activeElement === window.focusedBefore")

    # A member's keyboard is on a choice of the sheet, then (after voting) on the card: others' ballots move
    # the progress, the focus stays on that choice.
    item_id = chair.api("GET", f"/api/meetings/{meeting}").json()["current_item_id"]
    vote = chair.api(
        "POST", f"/api/meetings/{meeting}/votes", {"agenda_item_id": item_id, "question": "Thông qua tờ trình"}
    ).json()
    assert chair.api("POST", f"/api/votes/{vote['id']}/open", {"force": True}).status == 200
    page = member.page
    choice = page.get_by_test_id("vote-sheet").get_by_test_id("sheet-option").nth(1)
    choice.focus()
    no = choice.get_attribute("data-option-id")
    live_event(
        page, lambda: other.api("POST", f"/api/votes/{vote['id']}/ballots", {"option_id": vote["options"][0]["id"]})
    )
    assert page.evaluate("() => document.activeElement.dataset.optionId") == no
    page.keyboard.press("Enter")  # the keyboard votes too: Enter, then the confirm
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("vote-recorded")).to_be_visible()
    card_choice = page.get_by_test_id("vote-card").get_by_test_id("vote-option").nth(2)
    card_choice.focus()
    page.evaluate("() => { window.focusedBefore = document.activeElement; }")
    abstain = card_choice.get_attribute("data-option-id")
    live_event(
        page, lambda: other.api("POST", f"/api/votes/{vote['id']}/ballots", {"option_id": vote["options"][1]["id"]})
    )
    assert page.evaluate("() => document.activeElement.dataset.optionId") == abstain
    assert page.evaluate(
        "() => document.activeElement === window.focusedBefore"
    )  # the very same button, updated in place
    assert chair.api("POST", f"/api/votes/{vote['id']}/close").status == 200


def test_after_the_end_no_stale_controls(tablet, tmp_path, server, meeting) -> None:
    start_meeting(server, meeting)
    remote = tablet("thanhvien09")
    r = remote.api("POST", f"/api/meetings/{meeting}/attendance/check-in", {"attendance": "present_remote"})
    assert r.status == 200, r.text()
    chair = tablet("thutuong")
    page = chair.page
    page.set_viewport_size(LANDSCAPE)
    chair.open_live(meeting)
    page.get_by_test_id("tab-people").tap()
    row = page.locator("[data-testid=attendee][data-attendance=present_remote]")
    expect(row.get_by_test_id("rtc-mute")).to_have_count(1)
    inside_viewport(page, page.get_by_test_id("btn-end"), at_top=False)  # scrolled down to the people
    page.get_by_test_id("btn-end").tap()
    page.get_by_test_id("confirm-ok").tap()
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã kết thúc")
    expect(page.locator("[data-testid=rtc-mute], [data-testid=rtc-remove]")).to_have_count(0)
    expect(page.locator("#btn-prev, #btn-next, #btn-end, #btn-start")).to_have_count(4)
    for button in ("btn-prev", "btn-next", "btn-end", "btn-start"):
        expect(page.get_by_test_id(button)).to_be_hidden()
    expect(page.get_by_test_id("vote-banner")).to_be_hidden()
    shot(page, tmp_path, "chair-ended-1024x768")


def test_a_confirmation_left_open_closes_with_its_vote(tablet, tmp_path, server, meeting) -> None:
    """A minister taps a choice and is still reading the confirmation when the chair closes the vote: the dialog
    goes by itself and says the ballot was not sent (it could no longer count), instead of staying over the
    result and failing on the tap."""
    start_meeting(server, meeting)
    chair = tablet("thutuong")
    minister = tablet("thanhvien03")
    check_in(minister, meeting)
    item_id = chair.api("GET", f"/api/meetings/{meeting}").json()["current_item_id"]
    for size in (PORTRAIT, LANDSCAPE):
        page = minister.page
        page.set_viewport_size(size)
        minister.open_live(meeting)
        question = f"Thông qua phương án điều chỉnh ({size['width']}×{size['height']})"
        vote = chair.api("POST", f"/api/meetings/{meeting}/votes", {"agenda_item_id": item_id, "question": question})
        vote_id = vote.json()["id"]
        assert chair.api("POST", f"/api/votes/{vote_id}/open", {"force": True}).status == 200
        sheet = page.get_by_test_id("vote-sheet")
        expect(sheet.get_by_test_id("sheet-question")).to_have_text(question)
        sheet.get_by_test_id("sheet-option").filter(has_text="Tán thành").first.tap()
        dialog = page.get_by_test_id("confirm-dialog")
        expect(dialog).to_contain_text("Xác nhận biểu quyết: “Tán thành”?")
        assert chair.api("POST", f"/api/votes/{vote_id}/close").status == 200
        expect(dialog).to_have_count(0)
        expect(page.locator(".toast")).to_contain_text("Biểu quyết đã kết thúc trước khi bạn xác nhận")
        expect(sheet).to_be_hidden()
        shot(page, tmp_path, f"vote-closed-while-confirming-{size['width']}x{size['height']}")
        assert chair.api("GET", f"/api/votes/{vote_id}").json()["voted_count"] == 0  # nothing was sent
        page.locator(".toast").first.evaluate("(t) => t.remove()")
