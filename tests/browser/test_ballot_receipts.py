"""A shared tablet: a secret-ballot receipt is kept for the member who voted only (the next user of the tablet does
not see it as theirs) and is gone once they log out; the chair's tablet says a closed secret vote is not yet
decrypted instead of drawing counts of zero."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import ceremony_over_api
from tests.browser.test_live_session import YES, check_in_members, option

RECEIPTS = "Object.keys(localStorage).filter((k) => k.startsWith('ecabinet.receipt.'))"


def test_a_receipt_belongs_to_the_member_who_voted_and_leaves_with_them(tablet, meeting) -> None:
    chair = tablet("thutuong").open_live(meeting)
    check_in_members(chair.base, meeting, ["thutuong"] + [f"thanhvien{i:02d}" for i in range(1, 20)])
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {}).ok
    ceremony_over_api(chair.base, meeting)
    item = chair.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    body = {"agenda_item_id": item, "question": "Tín nhiệm Bộ trưởng X", "kind": "secret"}
    made = chair.api("POST", f"/api/meetings/{meeting}/votes", body)
    assert made.status == 201, made.text()
    vid = made.json()["id"]
    assert chair.api("POST", f"/api/votes/{vid}/open", {}).ok
    shared = tablet("thanhvien14").open_live(meeting)
    option(shared, YES).tap()
    shared.page.get_by_test_id("confirm-ok").tap()
    expect(shared.page.get_by_test_id("ballot-receipt")).to_contain_text("Biên nhận phiếu kín")
    # the session ends without a logout (expired, cookie gone); the next member signs in on the same tablet
    shared.context.clear_cookies()
    shared.login("thanhvien15").open_live(meeting)
    expect(shared.page.get_by_test_id("vote-option").first).to_be_visible()
    expect(shared.page.get_by_test_id("ballot-receipt")).to_have_count(0)  # not theirs: not shown
    assert len(shared.page.evaluate(RECEIPTS)) == 1  # still kept for thanhvien14 ...
    shared.page.get_by_test_id("sheet-later").tap()  # the vote sheet steps aside
    shared.page.locator("#logout").click()
    shared.page.wait_for_url("**/login**")
    assert shared.page.evaluate(RECEIPTS) == []  # ... until someone logs out of the tablet
    # closed, not yet decrypted: the chair sees that state, not 0/0/0
    assert chair.api("POST", f"/api/votes/{vid}/close", {}).ok
    waiting = chair.page.get_by_test_id("vote-waiting")
    expect(waiting).to_have_attribute("data-undecrypted", "true")
    expect(chair.page.get_by_test_id("vote-card").get_by_test_id("vote-tally")).to_have_count(0)
