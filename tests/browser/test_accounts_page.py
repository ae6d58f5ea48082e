"""The administrator manages accounts on /users, on a tablet in both orientations: creates an account (the new
person signs in), changes a role, resets a password (the old one stops working), locks the account (sign-in is
refused) and unlocks it; every change confirmed in a dialog and shown in the list."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot


def _signs_in(base: str, username: str, password: str) -> bool:
    with httpx.Client(base_url=base) as client:
        return client.post("/api/auth/login", json={"username": username, "password": password}).status_code == 200


def test_the_administrator_creates_changes_and_locks_an_account(tablet, server) -> None:
    admin = tablet("admin", next_path="/users")
    page = admin.page
    page.set_viewport_size(LANDSCAPE)
    expect(page.get_by_test_id("user-row").first).to_be_visible()
    page.fill("#u-username", "bt.moi")
    page.fill("#u-full-name", "Nguyễn Thị Bộ Trưởng Mới")
    page.fill("#u-title", "Bộ trưởng")
    page.fill("#u-unit", "Bộ Khoa học và Công nghệ")
    page.fill("#u-password", "Mat-khau-ban-dau-2026")
    page.get_by_test_id("btn-user-create").click()
    row = page.locator('[data-testid="user-row"][data-username="bt.moi"]')
    expect(row).to_contain_text("Nguyễn Thị Bộ Trưởng Mới")
    expect(row).to_contain_text("Bộ Khoa học và Công nghệ")
    assert _signs_in(server, "bt.moi", "Mat-khau-ban-dau-2026")
    shot(admin, "accounts-landscape")
    # a refused creation says which field and why
    page.fill("#u-username", "BT MOI")
    page.fill("#u-full-name", "Ai Đó")
    page.fill("#u-password", "Mat-khau-ban-dau-2026")
    page.get_by_test_id("btn-user-create").click()
    expect(page.locator('[data-error-for="username"]')).not_to_be_empty()
    # the role: to the secretariat, confirmed
    row.get_by_test_id("user-role").select_option("secretariat")
    page.get_by_role("dialog").get_by_role("button", name="Xác nhận").click()
    expect(row.get_by_test_id("user-role")).to_have_value("secretariat")
    # a reset password: the old one no longer works, the new one does
    row.get_by_test_id("user-reset").click()
    page.get_by_test_id("password-input").fill("Mat-khau-dat-lai-2027")
    page.get_by_test_id("password-ok").click()
    expect(page.get_by_test_id("toast").filter(has_text="Đã đặt lại mật khẩu")).to_be_visible()
    assert not _signs_in(server, "bt.moi", "Mat-khau-ban-dau-2026")
    assert _signs_in(server, "bt.moi", "Mat-khau-dat-lai-2027")
    # locked: refused at sign-in, listed as locked; unlocked again
    row.get_by_test_id("user-lock").click()
    page.get_by_role("dialog").get_by_role("button", name="Xác nhận").click()
    expect(row.get_by_test_id("user-state")).to_have_text("Đã khóa")
    assert not _signs_in(server, "bt.moi", "Mat-khau-dat-lai-2027")
    page.set_viewport_size(PORTRAIT)
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    shot(admin, "accounts-portrait")
    row.get_by_test_id("user-lock").click()
    page.get_by_role("dialog").get_by_role("button", name="Xác nhận").click()
    expect(row.get_by_test_id("user-state")).to_have_text("Đang hoạt động")
    assert _signs_in(server, "bt.moi", "Mat-khau-dat-lai-2027")
    # the administrator's own row offers no lock, no demotion
    mine = page.locator('[data-testid="user-row"][data-username="admin"]')
    expect(mine.get_by_test_id("user-lock")).to_have_count(0)
    expect(mine.get_by_test_id("user-role")).to_be_disabled()
