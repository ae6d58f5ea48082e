"""A member changes their own password on a tablet: from their name in the header to /account; a wrong current
password and two different new ones are said beside their fields; once changed, the old password no longer signs in,
the new one does, and the tablet stays signed in (screenshots in both orientations)."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot


def _signs_in(base: str, username: str, password: str) -> bool:
    with httpx.Client(base_url=base) as client:
        return client.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200


def test_a_member_changes_their_password(tablet, server) -> None:
    member = tablet("thanhvien07")
    page = member.page
    page.set_viewport_size(LANDSCAPE)
    page.get_by_test_id("who").click()
    expect(page.get_by_test_id("account-who")).to_contain_text("thanhvien07")
    page.fill("#p-current", "sai-mat-khau")
    page.fill("#p-new", "Mat-khau-moi-cua-toi-2027")
    page.fill("#p-again", "Mat-khau-moi-cua-toi-2027")
    page.get_by_test_id("btn-password-change").click()
    expect(page.locator('[data-error-for="current"]')).not_to_be_empty()  # denied: a wrong current password
    page.fill("#p-current", "demo")
    page.fill("#p-again", "Mat-khau-khac-2027")
    page.get_by_test_id("btn-password-change").click()
    expect(page.locator('[data-error-for="again"]')).to_have_text("Hai lần nhập mật khẩu mới không giống nhau.")
    assert _signs_in(server, "thanhvien07", "demo")  # nothing was changed yet
    shot(member, "account-landscape")
    page.fill("#p-again", "Mat-khau-moi-cua-toi-2027")
    page.get_by_test_id("btn-password-change").click()
    expect(page.get_by_test_id("toast").filter(has_text="Đã đổi mật khẩu")).to_be_visible()  # allowed
    assert not _signs_in(server, "thanhvien07", "demo")
    assert _signs_in(server, "thanhvien07", "Mat-khau-moi-cua-toi-2027")
    page.set_viewport_size(PORTRAIT)
    page.reload()
    expect(page.get_by_test_id("account-who")).to_be_visible()  # this tablet is still signed in
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    shot(member, "account-portrait")
