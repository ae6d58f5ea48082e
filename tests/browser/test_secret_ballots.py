"""Encrypted secret ballots from three tablets: the three key holders make the meeting's key together on their
tablets (the key ceremony: no dealer, the server gets public values and sealed shares only); each tablet encrypts
and proves its choice (libsodium in Chromium under the strict CSP), keeps a receipt and finds it on the board; two
key holders decrypt the total on their tablets; the board verifies with `ecabinet verify-ballot`. And the
tablet's protocol code (dkg.js) against the Python one (votes/ballot/dkg.py), both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_live_session import NO, YES, check_in_members, decrypt_in_ui, option, tally
from app.demo.seed import DEMO_TRUSTEE_PASSPHRASE
from tests.browser.conftest import PASSWORD

ECABINET = str(Path(sys.executable).with_name("ecabinet"))


def test_three_tablets_vote_encrypted_trustees_decrypt_and_the_board_verifies(tablet, tmp_path: Path, meeting) -> None:
    chair = tablet("thutuong").open_live(meeting)
    check_in_members(chair.base, meeting, ["thutuong"] + [f"thanhvien{i:02d}" for i in range(1, 20)])
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {}).ok
    item = chair.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    made = chair.api(
        "POST",
        f"/api/meetings/{meeting}/votes",
        {"agenda_item_id": item, "question": "Tín nhiệm Bộ trưởng X", "kind": "secret"},
    )
    assert made.status == 201, made.text()
    vid = made.json()["id"]
    refused = chair.api("POST", f"/api/votes/{vid}/open", {})  # no meeting key yet: told what to do
    assert refused.status == 409 and refused.json()["error"]["code"] == "no_key_ceremony"
    # the key ceremony: the chair starts it, each key holder joins on their own tablet
    chair.page.get_by_test_id("tab-votes").tap()
    card = chair.page.get_by_test_id("key-ceremony")
    expect(card).to_have_attribute("data-state", "none")
    chair.page.set_viewport_size({"width": 1024, "height": 768})
    card.screenshot(path="/tmp/ecabinet-ceremony-none.png")
    chair.page.get_by_test_id("ceremony-start").tap()
    expect(card).to_have_attribute("data-state", "collecting")
    secretary = tablet("vanphong").open_live(meeting)
    third = tablet("thanhvien01").open_live(meeting)
    for holder in (chair, secretary, third):  # the demo's keys: sealed with a trustee passphrase (app/demo/seed.py)
        holder.page.get_by_test_id("tab-votes").tap()
        if holder is third:  # a wrong passphrase (here the sign-in password) is caught on the tablet, nothing sent
            holder.page.set_viewport_size({"width": 1024, "height": 768})
            holder.page.get_by_test_id("ceremony-join").scroll_into_view_if_needed()
            holder.page.screenshot(path="/tmp/ecabinet-ceremony-collecting.png")
            holder.page.get_by_test_id("ceremony-join").tap()
            expect(holder.page.get_by_test_id("password-dialog")).to_contain_text("cụm mật khẩu người giữ khóa")
            holder.page.get_by_test_id("password-input").fill(PASSWORD)
            holder.page.get_by_test_id("password-ok").tap()
            expect(holder.page.get_by_test_id("toast").last).to_contain_text("Cụm mật khẩu người giữ khóa không đúng")
        holder.page.get_by_test_id("ceremony-join").tap()
        holder.page.get_by_test_id("password-input").fill(DEMO_TRUSTEE_PASSPHRASE)
        holder.page.get_by_test_id("password-ok").tap()
        expect(holder.page.get_by_test_id("ceremony-join")).to_have_count(0)
    expect(card).to_have_attribute("data-state", "complete")  # the chair's tablet follows the others' steps
    expect(chair.page.get_by_test_id("ceremony-state")).to_contain_text("Khóa chung đã sẵn sàng")
    chair.page.screenshot(path="/tmp/ecabinet-ceremony-complete.png")
    tablets = [tablet(f"thanhvien{i:02d}").open_live(meeting) for i in (2, 3, 4)]
    assert chair.api("POST", f"/api/votes/{vid}/open", {}).ok  # no key holder step at opening
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
    chair.page.screenshot(path="/tmp/ecabinet-ceremony-decrypt.png")
    decrypt_in_ui(chair)  # on the chair's tablet: passphrase, shares opened and checked, partial with its proof
    decrypt_in_ui(third)  # the third key holder
    expect(tally(chair, YES)).to_have_attribute("data-count", "2")
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    chair.page.screenshot(path="/tmp/ecabinet-secret-ballot-decrypted.png")
    early = tablets[1].api("GET", f"/api/votes/{vid}/board").json()  # decrypted, not yet published
    assert early["result"] is None and early["partials"] == []  # the room waits for the chair to announce it
    assert chair.api("POST", f"/api/votes/{vid}/publish").ok
    board = tablets[1].api("GET", f"/api/votes/{vid}/board")  # any participant reads the published board
    assert board.ok
    data = board.json()
    assert sorted(b["receipt"] for b in data["ballots"]) == sorted(receipts)
    path = tmp_path / "BOARD.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([ECABINET, "verify-ballot", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Hợp lệ: 3 phiếu" in done.stdout and "Tán thành: 2" in done.stdout and "Không tán thành: 1" in done.stdout
    assert "lễ tạo khóa" in done.stdout
    assert [c["index"] for c in data["params"]["ceremony"]["contributions"]] == [1, 2, 3]
    # The same checks from the minutes page, with a button: a minister needs no command line (that is for auditors).
    secretary.page.goto(f"/meetings/{meeting}/minutes")
    secretary.page.get_by_test_id("btn-check-boards").tap()
    expect(secretary.page.get_by_test_id("boards-verdict")).to_have_attribute("data-ok", "true")
    checked = secretary.page.get_by_test_id("board-check")
    expect(checked).to_have_attribute("data-ok", "true")
    expect(checked).to_contain_text("Hợp lệ: 3 phiếu, mọi bằng chứng đã kiểm.")
    expect(checked.get_by_test_id("board-counts")).to_contain_text("Tán thành: 2 · Không tán thành: 1")
    expect(checked.get_by_test_id("board-fingerprint")).to_contain_text(data["fingerprint"])
    checked.scroll_into_view_if_needed()
    secretary.page.screenshot(path="/tmp/ecabinet-minutes-boards-checked.png")


def test_a_member_creates_their_ballot_key_once_on_the_meetings_page(tablet) -> None:
    """On the tablet, with a trustee passphrase (tests/browser/test_trustee_passphrase.py goes on to a vote, and to
    the upgrade a legacy key is offered)."""
    holder = tablet("thutuong")  # the demo's default key holders have keys made the tablet's way: nothing to do
    expect(holder.page.get_by_test_id("meeting").first).to_be_visible()
    expect(holder.page.get_by_test_id("trustee-key")).to_be_hidden()
    expect(holder.page.get_by_test_id("trustee-key-upgrade")).to_have_count(0)
    member = tablet("thanhvien09")
    expect(member.page.get_by_test_id("trustee-key")).to_be_visible()
    expect(member.page.get_by_test_id("trustee-key-upgrade")).to_have_count(0)
    member.page.get_by_test_id("trustee-key-create").tap()
    member.page.get_by_test_id("passphrase-input").fill("demo")
    member.page.get_by_test_id("passphrase-again").fill("demo")
    member.page.get_by_test_id("passphrase-ok").tap()
    expect(member.page.get_by_test_id("passphrase-error")).to_contain_text("ít nhất 12 ký tự")
    member.page.get_by_test_id("passphrase-input").fill("một cụm mật khẩu đủ dài")
    member.page.get_by_test_id("passphrase-again").fill("một cụm mật khẩu đủ dài")
    member.page.get_by_test_id("passphrase-ok").tap()
    expect(member.page.get_by_test_id("trustee-key")).to_be_hidden()
    mine = member.api("GET", "/api/me/trustee-key").json()
    assert mine["enrolled"] is True and mine["sealing"] == "passphrase"
    member.page.reload()
    expect(member.page.get_by_test_id("meeting").first).to_be_visible()
    expect(member.page.get_by_test_id("trustee-key")).to_be_hidden()
    guest = tablet("khachmoi01")
    expect(guest.page.get_by_test_id("trustee-key")).to_have_count(0)


def test_tablet_and_server_speak_the_same_key_ceremony(tablet, meeting) -> None:
    """dkg.js against votes/ballot/dkg.py: the tablet opens a key sealed by the server's keystore with the password,
    its contribution passes the Python checks and its shares open in Python, and it decrypts with shares made in
    Python a partial that the Python verifier accepts."""
    from votes.ballot import dkg, proofs, trustee_keys

    page = tablet("thanhvien06").open_live(meeting).page
    keys = {i: trustee_keys.new_key(100 + i, "mật khẩu Tiếng Việt") for i in (1, 2, 3)}
    trustees = [{"index": i, "user_id": 100 + i, "trustee_key": keys[i][0]} for i in (1, 2, 3)]
    digest = proofs.digest(dkg.ceremony_header(7, meeting, 2, trustees))
    ceremony = {"id": 7, "digest": digest, "threshold": 2, "trustees": trustees}
    got = page.evaluate(
        """async ([sealed, ceremony]) => {
            const dkg = await import("/static/js/dkg.js");
            await dkg.load();
            const sk = await dkg.unsealTrusteeKey(sealed, 101, "mật khẩu Tiếng Việt".normalize("NFD"));
            let wrong = false;
            try {
                await dkg.unsealTrusteeKey(sealed, 102, "mật khẩu Tiếng Việt");
            } catch (e) {
                wrong = e instanceof dkg.WrongPassword;
            }
            const sodium = (await import("/static/vendor/libsodium-wrappers-sumo.mjs")).default;
            const pub = Array.from(sodium.crypto_scalarmult_base(sk));
            return { pub, wrong, contribution: await dkg.contribute(ceremony, 2) };
        }""",
        [keys[1][1], ceremony],
    )
    assert bytes(got["pub"]).hex() == keys[1][0]  # same argon2id + AES-GCM opening, NFC password, on both sides
    assert got["wrong"] is True  # another user's context (associated data) does not open it
    contribution = got["contribution"]
    dkg.verify_contribution(digest, 2, 2, [1, 2, 3], contribution)  # the tablet's proofs hold in Python
    secrets_ = {i: trustee_keys.unseal_secret(keys[i][1], 100 + i, "mật khẩu Tiếng Việt") for i in (1, 2, 3)}
    for s in contribution["shares"]:
        received = [{"from": 2, "sealed": s["sealed"], "commitments": contribution["commitments"]}]
        assert dkg.combine_shares(secrets_[s["to"]], digest, s["to"], received).bad == []  # Feldman holds
    # the other way: Python trustees 1 and 3 contribute, the tablet (trustee 2) decrypts with everything
    parts = {1: dkg.contribute(digest, 1, 2, trustees), 2: contribution, 3: dkg.contribute(digest, 3, 2, trustees)}
    joint = dkg.joint_commitments([[bytes.fromhex(c) for c in parts[i]["commitments"]] for i in (1, 2, 3)])
    params = {"vote_id": 1, "options": [{"id": 1}, {"id": 2}], "public_key": joint[0].hex()}
    params_digest = proofs.digest(params)
    ballots = [proofs.encrypt_ballot(params, params_digest, c, bytes([c + 1]) * 32) for c in (0, 1, 1)]
    total = proofs.total(2, ballots)
    material = {
        "index": 2,
        "user_id": 102,
        "ceremony_digest": digest,
        "sealed_key": keys[2][1],
        "params_digest": params_digest,
        "total": total,
        "received": [
            {
                "from": i,
                "commitments": parts[i]["commitments"],
                "sealed": next(s["sealed"] for s in parts[i]["shares"] if s["to"] == 2),
            }
            for i in (1, 2, 3)
        ],
    }
    done = page.evaluate(
        """async ([material, password]) => {
            const dkg = await import("/static/js/dkg.js");
            await dkg.load();
            return dkg.decryptPart(material, password);
        }""",
        [material, "mật khẩu Tiếng Việt"],
    )
    assert done["bad"] == []
    proofs.verify_partial(params_digest, 2, proofs.verification_key(joint, 2), total, done["partial"])
    # and with trustee 3's Python partial, the counts come out
    s3 = dkg.combine_shares(
        secrets_[3],
        digest,
        3,
        [
            {
                "from": i,
                "commitments": parts[i]["commitments"],
                "sealed": next(s["sealed"] for s in parts[i]["shares"] if s["to"] == 3),
            }
            for i in (1, 2, 3)
        ],
    )
    partial3 = proofs.partial_decrypt(params_digest, 3, s3.share, total)
    assert proofs.combine(total, {2: done["partial"], 3: partial3}, max_count=3) == [1, 2]
