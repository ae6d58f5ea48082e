"""Encrypted secret ballots from three tablets: each tablet encrypts and proves its choice (libsodium in
Chromium under the strict CSP), keeps a receipt and finds it on the board; two key holders decrypt the total
with their passwords; the board published to participants verifies with `ecabinet verify-ballot`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_live_session import MEETING, NO, YES, check_in_members, decrypt_in_ui, option, tally

ECABINET = str(Path(sys.executable).with_name("ecabinet"))


def test_three_tablets_vote_encrypted_trustees_decrypt_and_the_board_verifies(tablet, tmp_path: Path) -> None:  # noqa: ANN001
    chair = tablet("thutuong").open_live(MEETING)
    check_in_members(chair.base, ["thutuong"] + [f"thanhvien{i:02d}" for i in range(1, 20)])
    assert chair.api("POST", f"/api/meetings/{MEETING}/start", {}).ok
    item = chair.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    made = chair.api("POST", f"/api/meetings/{MEETING}/votes", {"agenda_item_id": item, "question": "Tín nhiệm Bộ trưởng X", "kind": "secret"})
    assert made.status == 201, made.text()
    vid = made.json()["id"]
    tablets = [tablet(f"thanhvien{i:02d}").open_live(MEETING) for i in (2, 3, 4)]
    assert chair.api("POST", f"/api/votes/{vid}/open", {}).ok
    receipts = []
    for t, label in zip(tablets, [YES, YES, NO]):
        option(t, label).tap()
        t.page.get_by_test_id("confirm-ok").tap()
        expect(t.page.get_by_test_id("vote-recorded")).to_contain_text(f"Đã ghi nhận phiếu của bạn: {label}")
        receipt = t.page.get_by_test_id("ballot-receipt")
        expect(receipt).to_contain_text("Biên nhận phiếu kín")
        receipts.append(receipt.get_attribute("data-receipt"))
        t.page.get_by_test_id("ballot-check").tap()  # the member checks the board from the tablet
        expect(t.page.get_by_test_id("toast").last).to_contain_text("có trên bảng phiếu")
    tablets[0].page.screenshot(path="/tmp/ecabinet-secret-ballot-receipt.png")
    expect(chair.page.get_by_test_id("vote-progress")).to_contain_text("3/")
    chair.page.get_by_test_id("sheet-later").tap()  # the chair does not vote here; the sheet steps aside
    chair.page.get_by_test_id("vote-close").tap()
    chair.page.get_by_test_id("confirm-ok").tap()
    expect(tablets[2].page.get_by_test_id("vote-waiting")).to_be_visible()
    decrypt_in_ui(chair)
    decrypt_in_ui(tablet("thanhvien01").open_live(MEETING))  # the third key holder
    expect(tally(chair, YES)).to_have_attribute("data-count", "2")
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    chair.page.screenshot(path="/tmp/ecabinet-secret-ballot-decrypted.png")
    board = tablets[1].api("GET", f"/api/votes/{vid}/board")  # any participant reads the board
    assert board.ok
    data = board.json()
    assert sorted(b["receipt"] for b in data["ballots"]) == sorted(receipts)
    path = tmp_path / "BOARD.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([ECABINET, "verify-ballot", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Hợp lệ: 3 phiếu" in done.stdout and "Tán thành: 2" in done.stdout and "Không tán thành: 1" in done.stdout


def test_a_member_creates_their_ballot_key_once_on_the_meetings_page(tablet) -> None:  # noqa: ANN001
    holder = tablet("thutuong")  # the demo's default key holders have theirs already
    expect(holder.page.get_by_test_id("meeting").first).to_be_visible()
    expect(holder.page.get_by_test_id("trustee-key")).to_be_hidden()
    member = tablet("thanhvien09")
    expect(member.page.get_by_test_id("trustee-key")).to_be_visible()
    member.page.get_by_test_id("trustee-key-create").tap()
    member.page.get_by_test_id("password-input").fill("sai-mật-khẩu")
    member.page.get_by_test_id("password-ok").tap()
    expect(member.page.get_by_test_id("toast").last).to_contain_text("Mật khẩu không đúng")
    member.page.get_by_test_id("trustee-key-create").tap()
    member.page.get_by_test_id("password-input").fill("demo")
    member.page.get_by_test_id("password-ok").tap()
    expect(member.page.get_by_test_id("trustee-key")).to_be_hidden()
    assert member.api("GET", "/api/me/trustee-key").json()["enrolled"] is True
    member.page.reload()
    expect(member.page.get_by_test_id("meeting").first).to_be_visible()
    expect(member.page.get_by_test_id("trustee-key")).to_be_hidden()
    guest = tablet("khachmoi01")
    expect(guest.page.get_by_test_id("trustee-key")).to_have_count(0)
