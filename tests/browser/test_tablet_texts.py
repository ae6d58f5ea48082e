"""What the tablet shows reads in the reader's language and says what it counts (UX probe 4), at 1024x768 and
768x1024: the admin's audit log in English (kinds and names, no raw codes or "user 30"), the working days in
English, the vote card's counts (members present who voted; votes in favour needed out of all the members) with
the default choices in the reader's language, and the minutes page's button that checks the secret-ballot
boards (the command-line tool only in small print, for auditors). Screenshots in /tmp/shots-texts."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import start_meeting

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
SHOTS = Path("/tmp/shots-texts")


def shot(page, tmp_path: Path, name: str, full: bool = False) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def english(t) -> None:
    t.context.add_cookies([{"name": "ecabinet_lang", "value": "en", "url": t.base}])


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0


def test_the_audit_log_in_english_names_what_changed(tablet, tmp_path) -> None:
    admin = tablet()
    english(admin)
    admin.login("admin", "/audit")
    page = admin.page
    rows = page.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    kinds = page.get_by_test_id("audit-type").all_inner_texts()
    raw = [k for k in kinds if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", k)]
    assert not raw, raw  # every kind of the demo's log has its label ("state.auth_session" only in the tooltip)
    texts = page.get_by_test_id("audit-text").all_inner_texts()
    assert not [t for t in texts if re.search(r"người dùng \d|Biểu quyết \d|Thành phần cuộc họp \d", t)], texts
    assert any(re.match(r"Meeting “.+”: .+, (Chair|Member|Secretary|Guest)", t) for t in texts), texts
    body = page.locator("body").inner_text()
    assert "state.participant" not in body and "người dùng" not in body
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(size)
        no_horizontal_scroll(page)
        shot(page, tmp_path, f"audit-en-{size['width']}x{size['height']}")


def test_working_days_in_english(tablet, tmp_path) -> None:
    person = tablet()
    english(person)
    person.login("thanhvien05", "/workdays")
    page = person.page
    page.goto("/workdays?year=2026")
    days = page.get_by_test_id("workdays-off")
    expect(days).to_contain_text("Thursday, 01/01/2026")
    expect(days).to_contain_text("New Year's Day")
    expect(days).to_contain_text("Lunar New Year (day 2)")
    expect(days).to_contain_text("Day off in lieu: Hung Kings' Commemoration Day")
    text = days.inner_text()
    assert not re.search(r"Thứ |Chủ nhật|Tết|Nghỉ bù|Quốc khánh", text), text
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(size)
        shot(page, tmp_path, f"workdays-en-{size['width']}x{size['height']}")


def test_the_vote_card_says_what_each_number_counts(tablet, tmp_path, server, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong")
    minister = tablet()  # reads English, in landscape
    english(minister)
    minister.login("thanhvien01")
    other = tablet("thanhvien02")  # Vietnamese, in portrait
    minister.page.set_viewport_size(LANDSCAPE)
    other.page.set_viewport_size(PORTRAIT)
    for t in (minister, other):
        assert t.api("POST", f"/api/meetings/{meeting}/attendance/check-in", {"attendance": "present_room"}).ok
        t.open_live(meeting)
    item_id = chair.api("GET", f"/api/meetings/{meeting}").json()["current_item_id"]
    question = "Thông qua Nghị quyết phiên họp Chính phủ thường kỳ tháng 11"
    vote = chair.api("POST", f"/api/meetings/{meeting}/votes", {"agenda_item_id": item_id, "question": question})
    vote_id = vote.json()["id"]
    assert chair.api("POST", f"/api/votes/{vote_id}/open", {"force": True}).ok

    sheet = minister.page.get_by_test_id("sheet-option")  # the default choices, in the reader's language
    expect(sheet).to_have_text(["For", "Against", "Abstain"])
    expect(other.page.get_by_test_id("sheet-option")).to_have_text(["Tán thành", "Không tán thành", "Không biểu quyết"])
    for t in (minister, other):
        t.page.get_by_test_id("sheet-later").tap()
    card = minister.page.get_by_test_id("vote-card")
    expect(card.get_by_test_id("vote-progress-text")).to_have_text("0/2 members present have voted")
    expect(card.get_by_test_id("vote-need")).to_have_text("Needs 14 votes in favour: more than half of all 27 members")
    expect(card.get_by_test_id("vote-option")).to_have_text(["For", "Against", "Abstain"])
    expect(other.page.get_by_test_id("vote-card").get_by_test_id("vote-progress-text")).to_have_text(
        "0/2 thành viên có mặt đã biểu quyết"
    )
    expect(other.page.get_by_test_id("vote-card").get_by_test_id("vote-need")).to_have_text(
        "Cần 14 phiếu tán thành: quá nửa tổng số 27 thành viên"
    )
    card.get_by_test_id("vote-option").first.tap()
    expect(minister.page.get_by_test_id("confirm-dialog")).to_contain_text("For")
    minister.page.get_by_test_id("confirm-ok").tap()
    expect(minister.page.get_by_test_id("vote-recorded")).to_contain_text("For")
    expect(other.page.get_by_test_id("vote-progress-text")).to_have_text("1/2 thành viên có mặt đã biểu quyết")
    shot(minister.page, tmp_path, "vote-card-en-1024x768")
    shot(other.page, tmp_path, "vote-card-vi-768x1024")

    assert chair.api("POST", f"/api/votes/{vote_id}/close").ok
    assert chair.api("POST", f"/api/votes/{vote_id}/publish").ok
    result = card.get_by_test_id("vote-result")
    expect(result.get_by_test_id("vote-need")).to_have_text(
        "Needs 14 votes in favour: more than half of all 27 members · 1 in favour"
    )
    expect(card.locator("[data-testid=tally-row].k-yes")).to_contain_text("For")
    expect(other.page.get_by_test_id("vote-result").get_by_test_id("vote-need")).to_have_text(
        "Cần 14 phiếu tán thành: quá nửa tổng số 27 thành viên · có 1 phiếu tán thành"
    )
    shot(minister.page, tmp_path, "vote-result-en-1024x768")
    shot(other.page, tmp_path, "vote-result-vi-768x1024")


def test_the_minutes_page_checks_the_ballot_boards_with_a_button(tablet, tmp_path, server, meeting) -> None:
    start_meeting(server, meeting)
    secretariat = tablet("vanphong", f"/meetings/{meeting}/minutes")
    page = secretariat.page
    expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")
    button = page.get_by_test_id("btn-check-boards")
    expect(button).to_have_text("Kiểm tra bảng phiếu kín")
    line = page.locator("#boards-line")
    expect(line).to_contain_text("ecabinet verify-ballot")  # for auditors, in small print
    small = line.locator("p.small")
    expect(small).to_contain_text("ecabinet verify-ballot")
    expect(small.get_by_test_id("btn-ballot-boards")).to_be_visible()
    button.tap()
    verdict = page.get_by_test_id("boards-verdict")
    expect(verdict).to_have_attribute("data-ok", "none")
    expect(verdict).to_have_text("Cuộc họp không có biểu quyết kín đã giải mã để kiểm tra.")
    box = button.bounding_box()
    assert box and box["height"] >= 40, box  # a tap target
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(size)
        line.scroll_into_view_if_needed()
        no_horizontal_scroll(page)
        shot(page, tmp_path, f"minutes-boards-{size['width']}x{size['height']}")
