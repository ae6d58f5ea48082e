"""After a secret vote closes, the chair's and every member's tablet follow the key holders' joint decryption
share by share ("Đã có 1/2 phần giải mã; đang chờ: …", ✓ for who gave theirs, as the key ceremony lists them);
the chair is offered "Công bố kết quả" only once the total is decrypted (before, publishing can only fail), a key
holder "Giải mã phần của tôi" only while their share is still awaited, and "Mở biểu quyết" on a secret vote
only once the meeting's joint key is ready. Screenshots at 1024x768 and 768x1024: /tmp/ecabinet-decryption-*.png."""

from __future__ import annotations

import secrets

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ceremony_over_api
from tests.browser.test_live_session import NO, YES, check_in_members, decrypt_in_ui, tally

SIZES = {"landscape": (1024, 768), "portrait": (768, 1024)}


def _cast_over_api(base: str, vote_id: int, voters: dict[str, int]) -> None:
    """Members' tablets encrypt and prove their choice (the Python implementation of ballot-crypto.js)."""
    from votes.ballot import proofs

    for username, index in voters.items():
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            p = client.get(f"/api/votes/{vote_id}/ballot-params").json()
            ballot = proofs.encrypt_ballot(p["params"], p["params_digest"], index, secrets.token_bytes(32))
            sent = client.post(f"/api/votes/{vote_id}/secret-ballots", json={"ballot": ballot})
            assert sent.status_code == 200, sent.text


def _shots(tablets: dict, step: str) -> None:
    for who, t in tablets.items():
        for name, (w, h) in SIZES.items():
            t.page.set_viewport_size({"width": w, "height": h})
            # centred: the fixed dock at the bottom would hide the card's last lines
            t.page.get_by_test_id("vote-card").evaluate("(e) => e.scrollIntoView({ block: 'center' })")
            t.page.screenshot(path=f"/tmp/ecabinet-decryption-{step}-{who}-{name}.png")


def test_tablets_follow_each_share_and_publish_is_offered_only_once_decrypted(tablet, meeting) -> None:
    chair = tablet("thutuong").open_live(meeting)
    check_in_members(chair.base, meeting, ["thutuong"] + [f"thanhvien{i:02d}" for i in range(1, 20)])
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {}).ok
    current = "window.ecabinetLive.live.state.meeting.current_item_id"
    chair.page.wait_for_function(current)  # the start's event has reached the tablet
    item = chair.page.evaluate(current)
    made = chair.api(
        "POST",
        f"/api/meetings/{meeting}/votes",
        {"agenda_item_id": item, "question": "Tín nhiệm Bộ trưởng Y", "kind": "secret"},
    )
    assert made.status == 201, made.text()
    vid = made.json()["id"]
    # no joint key yet: "Mở biểu quyết" cannot succeed, so it is not offered as if it could
    chair.page.get_by_test_id("tab-votes").tap()
    row = chair.page.locator(f"[data-testid=vote-row][data-vote-id='{vid}']")
    expect(row.get_by_test_id("vote-open")).to_be_disabled()
    expect(row.get_by_test_id("vote-open-needs-key")).to_contain_text("Cần hoàn tất lễ tạo khóa")
    ceremony_over_api(chair.base, meeting)
    expect(row.get_by_test_id("vote-open")).to_be_enabled()  # the ceremony's event reaches the chair's tablet
    expect(row.get_by_test_id("vote-open-needs-key")).to_have_count(0)
    trustee = tablet("thanhvien01").open_live(meeting)  # the third key holder, a member
    member = tablet("thanhvien05").open_live(meeting)  # no key holder
    assert chair.api("POST", f"/api/votes/{vid}/open", {}).ok
    _cast_over_api(chair.base, vid, {"thanhvien02": 0, "thanhvien03": 0, "thanhvien04": 1})
    assert chair.api("POST", f"/api/votes/{vid}/close", {}).ok
    holders = [t["name"] for t in chair.api("GET", f"/api/votes/{vid}").json()["decryption"]["trustees"]]
    assert len(holders) == 3  # chair, secretary, first member: as the key ceremony lists them
    tablets = {"chair": chair, "trustee": trustee, "member": member}
    for t in tablets.values():
        waiting = t.page.get_by_test_id("vote-card").get_by_test_id("vote-waiting")
        expect(waiting).to_have_text(f"Đã có 0/2 phần giải mã; đang chờ: {', '.join(holders)}.")
    expect(chair.page.get_by_test_id("vote-publish")).to_have_count(0)  # publishing would only fail now
    expect(chair.page.locator("#vote-list").get_by_role("button", name="Công bố kết quả")).to_have_count(0)
    expect(trustee.page.get_by_test_id("ballot-decrypt")).to_be_visible()
    expect(member.page.get_by_test_id("ballot-decrypt")).to_have_count(0)
    _shots({"chair": chair, "trustee": trustee}, "0of2")

    decrypt_in_ui(chair)  # the first share: every tablet follows
    for t in tablets.values():
        card = t.page.get_by_test_id("vote-card")
        awaited = f"{holders[1]}, {holders[2]}"
        expect(card.get_by_test_id("vote-waiting")).to_have_text(f"Đã có 1/2 phần giải mã; đang chờ: {awaited}.")
        expect(card.locator("[data-testid=decryption-trustee][data-done=true]")).to_have_text(f"✓ {holders[0]}")
    expect(chair.page.get_by_test_id("vote-publish")).to_have_count(0)
    expect(chair.page.get_by_test_id("ballot-decrypt")).to_have_count(0)  # given: not offered again, nor on reload
    chair.page.reload()
    expect(chair.page.get_by_test_id("vote-waiting")).to_contain_text("Đã có 1/2 phần giải mã")
    expect(chair.page.get_by_test_id("ballot-decrypt")).to_have_count(0)
    expect(trustee.page.get_by_test_id("ballot-decrypt")).to_be_visible()
    _shots({"chair": chair, "trustee": trustee}, "1of2")

    decrypt_in_ui(trustee)  # the second: the total is decrypted, the chair may publish
    expect(tally(chair, YES)).to_have_attribute("data-count", "2")
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    expect(chair.page.get_by_test_id("vote-publish")).to_be_visible()
    for t in (trustee, member):  # the members wait for the chair to announce it: still no count
        expect(t.page.get_by_test_id("vote-waiting")).to_have_text("Đã kết thúc, chờ công bố kết quả.")
        expect(t.page.get_by_test_id("vote-card").get_by_test_id("vote-tally")).to_have_count(0)
        expect(t.page.get_by_test_id("ballot-decrypt")).to_have_count(0)
    _shots({"chair": chair, "trustee": trustee}, "2of2")
    chair.page.get_by_test_id("vote-publish").tap()
    expect(tally(member, YES)).to_have_attribute("data-count", "2")
