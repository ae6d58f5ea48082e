"""A key holder makes their trustee key ON THEIR TABLET with a trustee passphrase (docs/ballot-spec.md §7): the
meetings page offers to replace their legacy key (made by the server, sealed with the sign-in password: here one
made through the legacy API, as before migration 0016 or by a script), the passphrase is refused with the reason
when too short, equal to the user name or typed differently twice, the tablet draws and seals the key and sends
only {public_key, sealed_key, sealing}; then a secret vote runs to its result with three kinds of key holders (the
chair's demo key, sealed with the demo's trustee passphrase; a member's legacy key, the sign-in password; this
holder's new key), the key holder joining the ceremony and decrypting with the passphrase (a wrong one is told on
the tablet, nothing sent). Screens in both orientations (ECABINET_SHOTS, default tmp/artefacts/screens)."""

from __future__ import annotations

import base64

from playwright.sync_api import expect

from app.demo.seed import DEMO_TRUSTEE_PASSPHRASE
from tests.browser.conftest import PASSWORD
from tests.browser.test_live_session import NO, YES, check_in_members, decrypt_in_ui, option, tally
from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot
from votes.ballot import trustee_keys

PASSPHRASE = "hoa sen nở giữa hồ 2027"
HOLDER = "thanhvien05"  # not a default key holder: given a legacy key here, then the ceremony names them
LEGACY = "thanhvien06"  # keeps a legacy key: the ceremony asks them for the sign-in password


def _writes(t) -> list[str]:
    """Every request but GETs this tablet sends from now on (a wrong passphrase must send none)."""
    sent: list[str] = []
    t.page.on("request", lambda r: sent.append(f"{r.method} {r.url}") if r.method != "GET" else None)
    return sent


def test_a_key_holder_enrols_with_a_passphrase_and_decrypts_with_it(tablet, meeting) -> None:
    holder, legacy = tablet(HOLDER), tablet(LEGACY)
    page = holder.page
    for t in (holder, legacy):  # legacy keys, made by the server through the API still open to scripts
        made = t.api("POST", "/api/me/trustee-key", {"password": PASSWORD})
        assert made.ok and made.json()["sealing"] == "account_password", made.text()
    page.reload()
    box = page.get_by_test_id("trustee-key")
    expect(box).to_be_visible()
    expect(page.get_by_test_id("trustee-key-upgrade")).to_contain_text("mật khẩu đăng nhập")
    for size, name in ((LANDSCAPE, "landscape"), (PORTRAIT, "portrait")):
        page.set_viewport_size(size)
        shot(holder, f"trustee-key-upgrade-{name}")
    page.get_by_test_id("trustee-key-create").tap()
    dialog = page.get_by_test_id("passphrase-dialog")
    expect(dialog).to_be_visible()
    error = page.get_by_test_id("passphrase-error")
    sent = _writes(holder)
    # too short, the user name, two different entries: each refused with its reason, nothing sent
    for first, again, why in (
        ("ngắn quá", "ngắn quá", "ít nhất 12 ký tự"),
        (HOLDER.upper(), HOLDER.upper(), "tên đăng nhập"),
        (PASSPHRASE, PASSPHRASE + "!", "không khớp"),
    ):
        page.get_by_test_id("passphrase-input").fill(first)
        page.get_by_test_id("passphrase-again").fill(again)
        page.get_by_test_id("passphrase-ok").tap()
        expect(error).to_contain_text(why)
        if why == "ít nhất 12 ký tự":
            for size, name in ((PORTRAIT, "portrait"), (LANDSCAPE, "landscape")):
                page.set_viewport_size(size)
                shot(holder, f"trustee-passphrase-refused-{name}")
    assert sent == []
    page.get_by_test_id("passphrase-input").fill(PASSPHRASE)
    page.get_by_test_id("passphrase-again").fill(PASSPHRASE)
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/me/trustee-key")) as posted:
        page.get_by_test_id("passphrase-ok").tap()
    body = posted.value.post_data_json
    assert sorted(body) == ["public_key", "sealed_key", "sealing"] and body["sealing"] == "passphrase"
    assert PASSPHRASE not in posted.value.post_data and PASSWORD not in posted.value.post_data
    expect(dialog).to_have_count(0)
    expect(box).to_be_hidden()
    mine = holder.api("GET", "/api/me/trustee-key").json()
    assert mine["sealing"] == "passphrase" and mine["public_key"] == body["public_key"]
    # the same keystore format as the server's: Python opens what the tablet sealed, with the passphrase
    me = holder.api("GET", "/api/me").json()["user"]
    secret = trustee_keys.unseal_secret(mine["sealed"], me["id"], PASSPHRASE)
    assert len(secret) == 32
    header = base64.b64decode(mine["sealed"]).split(b"\n")[1]
    assert b'"t":3' in header and b'"m":65536' in header  # stronger than the server's own seal

    # --- a secret vote: ceremony, ballots, close, decryption with the passphrase -----------------------------
    chair = tablet("thutuong").open_live(meeting)
    check_in_members(chair.base, meeting, ["thutuong"] + [f"thanhvien{i:02d}" for i in range(1, 20)])
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {}).ok
    item = chair.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    made = chair.api(
        "POST",
        f"/api/meetings/{meeting}/votes",
        {"agenda_item_id": item, "question": "Tín nhiệm Bộ trưởng Y", "kind": "secret"},
    )
    assert made.status == 201, made.text()
    vid = made.json()["id"]
    chair.page.get_by_test_id("tab-votes").tap()
    ids = [t.api("GET", "/api/me").json()["user"]["id"] for t in (chair, legacy, holder)]
    started = chair.api("POST", f"/api/meetings/{meeting}/key-ceremony", {"trustee_ids": ids})
    assert started.status == 201, started.text()
    expect(chair.page.get_by_test_id("key-ceremony")).to_have_attribute("data-state", "collecting")
    legacy.open_live(meeting)
    holder.open_live(meeting)
    for t, typed, asked in (
        (chair, DEMO_TRUSTEE_PASSPHRASE, "cụm mật khẩu người giữ khóa"),  # the demo's key: its passphrase
        (legacy, PASSWORD, "Mật khẩu"),  # a legacy key: the sign-in password, as before
    ):
        t.page.get_by_test_id("tab-votes").tap()
        t.page.get_by_test_id("ceremony-join").tap()
        expect(t.page.get_by_test_id("password-dialog")).to_contain_text(asked)
        t.page.get_by_test_id("password-input").fill(typed)
        t.page.get_by_test_id("password-ok").tap()
        expect(t.page.get_by_test_id("ceremony-join")).to_have_count(0)
    page.get_by_test_id("tab-votes").tap()
    page.get_by_test_id("ceremony-join").tap()
    prompt = page.get_by_test_id("password-dialog")
    expect(prompt).to_contain_text("cụm mật khẩu người giữ khóa (không phải mật khẩu đăng nhập)")
    page.get_by_test_id("password-input").fill(PASSWORD)  # the sign-in password does not open it
    page.get_by_test_id("password-ok").tap()
    expect(page.get_by_test_id("toast").last).to_contain_text("Cụm mật khẩu người giữ khóa không đúng")
    page.get_by_test_id("ceremony-join").tap()
    page.get_by_test_id("password-input").fill(PASSPHRASE)
    page.get_by_test_id("password-ok").tap()
    expect(page.get_by_test_id("ceremony-join")).to_have_count(0)
    expect(chair.page.get_by_test_id("key-ceremony")).to_have_attribute("data-state", "complete")
    voters = [tablet(f"thanhvien{i:02d}").open_live(meeting) for i in (2, 3, 4)]
    assert chair.api("POST", f"/api/votes/{vid}/open", {}).ok
    for t, label in zip(voters, [YES, NO, YES]):
        option(t, label).tap()
        t.page.get_by_test_id("confirm-ok").tap()
        expect(t.page.get_by_test_id("vote-recorded")).to_contain_text(label)
    expect(chair.page.get_by_test_id("vote-progress")).to_contain_text("3/")
    chair.page.get_by_test_id("sheet-later").tap()
    chair.page.get_by_test_id("vote-close").tap()
    chair.page.get_by_test_id("confirm-ok").tap()
    decrypt_in_ui(chair)  # the demo's key holder: the demo's trustee passphrase
    # the key holder with the passphrase: a wrong one is told on the tablet and nothing is sent
    decrypt = page.get_by_test_id("ballot-decrypt")
    expect(decrypt).to_be_visible()
    sent = _writes(holder)
    decrypt.tap()
    expect(prompt).to_contain_text("cụm mật khẩu người giữ khóa")
    expect(page.get_by_test_id("password-input")).to_have_attribute("autocomplete", "off")
    for size, name in ((LANDSCAPE, "landscape"), (PORTRAIT, "portrait")):
        page.set_viewport_size(size)
        shot(holder, f"trustee-passphrase-decrypt-prompt-{name}")
    page.get_by_test_id("password-input").fill("không phải cụm này")
    page.get_by_test_id("password-ok").tap()
    expect(page.get_by_test_id("toast").last).to_contain_text("Cụm mật khẩu người giữ khóa không đúng")
    assert sent == []
    decrypt.tap()
    page.get_by_test_id("password-input").fill(PASSPHRASE)
    page.get_by_test_id("password-ok").tap()
    expect(decrypt).to_have_count(0)
    assert any(s.startswith("POST") and s.endswith(f"/api/votes/{vid}/partial") for s in sent)
    assert not any(PASSPHRASE in s for s in sent)
    expect(tally(chair, YES)).to_have_attribute("data-count", "2")
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    assert chair.api("POST", f"/api/votes/{vid}/publish").ok
    expect(tally(holder, YES)).to_have_attribute("data-count", "2")
    for size, name in ((LANDSCAPE, "landscape"), (PORTRAIT, "portrait")):
        page.set_viewport_size(size)
        page.get_by_test_id("vote-card").scroll_into_view_if_needed()
        shot(holder, f"trustee-passphrase-result-{name}")
