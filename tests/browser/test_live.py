"""Live meeting on tablets: the chair runs the session, members follow it without reloading."""

from __future__ import annotations

import re
import unicodedata

from playwright.sync_api import expect

from tests.browser.conftest import start_meeting


def agenda_titles(t, meeting: int) -> list[str]:
    response = t.api("GET", f"/api/meetings/{meeting}/agenda")
    assert response.ok
    return [item["title"] for item in sorted(response.json(), key=lambda i: i["position"])]


def test_member_follows_chair_without_reload(tablet, meeting) -> None:
    member = tablet("thanhvien05").open_live(meeting)
    titles = agenda_titles(member, meeting)
    page = member.page
    page.evaluate("window.__noReload = 'marker-42'")
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đã phát hành")
    expect(page.get_by_test_id("btn-start")).to_be_hidden()  # a member has no console
    expect(page.get_by_test_id("console")).to_be_hidden()

    chair = tablet("thutuong").open_live(meeting)
    console = chair.page.get_by_test_id("console")
    expect(console).to_be_visible()
    chair.page.get_by_test_id("btn-start").tap()
    chair.page.get_by_test_id("confirm-ok").tap()  # no quorum yet: the warning is confirmed
    expect(chair.page.get_by_test_id("meeting-state")).to_have_text("Đang họp")

    current = page.get_by_test_id("current-item")
    expect(current).to_have_text(titles[0])
    expect(page.get_by_test_id("meeting-state")).to_have_text("Đang họp")

    chair.page.get_by_test_id("btn-next").tap()
    expect(current).to_have_text(titles[1])
    text = current.inner_text()
    assert "ngân sách nhà nước" in text  # precomposed Vietnamese, diacritics intact
    assert text == titles[1] and unicodedata.is_normalized("NFC", text)

    items = page.get_by_test_id("agenda-item")
    expect(items.nth(0)).to_have_attribute("data-state", "done")
    expect(items.nth(1)).to_have_attribute("data-state", "current")
    expect(items.nth(2)).to_have_attribute("data-state", "pending")
    assert page.evaluate("window.__noReload") == "marker-42"  # same document: no reload happened

    # The chair's console knows where it is: 'previous' works again, an ack error shows in a toast.
    expect(chair.page.get_by_test_id("btn-prev")).to_be_enabled()
    page.screenshot(path="/tmp/ecabinet-live-member.png", full_page=True)
    chair.page.screenshot(path="/tmp/ecabinet-live-chair.png")


def test_chair_taps_agenda_item_and_presence_dots(tablet, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    member = tablet("thanhvien07").open_live(meeting)
    titles = agenda_titles(member, meeting)
    # Both pages are open: each sees the other as online.
    me_row = chair.page.locator("[data-testid=attendee][data-online=true]")
    expect(me_row).to_have_count(2)
    chair.page.get_by_test_id("agenda-item").nth(4).tap()
    expect(member.page.get_by_test_id("current-item")).to_have_text(titles[4])
    expect(chair.page.get_by_test_id("agenda-item").nth(4)).to_have_attribute("aria-current", "step")
    member.close()
    expect(me_row).to_have_count(1)


def test_member_checks_in_and_chair_sees_quorum(tablet, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    quorum = chair.page.get_by_test_id("quorum")
    before = int(quorum.get_attribute("data-present"))
    total = int(quorum.get_attribute("data-total"))
    assert total == 27

    member = tablet("thanhvien05").open_live(meeting)
    row = chair.page.locator(
        '[data-testid=attendee][data-user-id="%d"]' % member.page.evaluate("window.ecabinetLive.me.user_id")
    )
    expect(row).to_have_attribute("data-attendance", "unknown")
    member.page.get_by_test_id("check-in").tap()
    expect(member.page.get_by_test_id("checked-in")).to_be_visible()
    expect(member.page.get_by_test_id("check-in")).to_have_count(0)

    expect(quorum).to_have_attribute("data-present", str(before + 1))
    expect(chair.page.get_by_test_id("quorum-count")).to_have_text(f"{before + 1}/{total}")
    expect(quorum).to_contain_text("Số thành viên có mặt")
    expect(quorum).to_contain_text(re.compile("Chưa đủ số lượng thành viên"))
    expect(row).to_have_attribute("data-attendance", "present_room")
    chair.page.screenshot(path="/tmp/ecabinet-quorum.png")


def test_chair_ends_meeting_after_confirm(tablet, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    member = tablet("thanhvien09").open_live(meeting)
    chair.page.get_by_test_id("btn-end").tap()
    chair.page.get_by_test_id("confirm-cancel").tap()  # changing one's mind keeps the meeting going
    expect(chair.page.get_by_test_id("meeting-state")).to_have_text("Đang họp")
    chair.page.get_by_test_id("btn-end").tap()
    chair.page.get_by_test_id("confirm-ok").tap()
    expect(member.page.get_by_test_id("meeting-state")).to_have_text("Đã kết thúc")
    expect(member.page.get_by_test_id("current-item")).to_have_text("Cuộc họp đã kết thúc")
    expect(member.page.locator("[data-testid=agenda-item][data-state=current]")).to_have_count(0)
    expect(member.page.get_by_test_id("check-in")).to_have_count(0)
