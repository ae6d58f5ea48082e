"""On /notifications a member changes the address their notifications are mailed to: the page asks for the current
password in a dialog (a wrong one is refused and the address stays), and saves with the right one."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

USER, OLD, NEW = "thanhvien02", "thanhvien02@ecabinet.demo.gov.vn", "bo.truong.moi@mof.gov.vn"


def _saved(base: str) -> str | None:
    with httpx.Client(base_url=base) as client:
        r = client.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        assert r.status_code == 200
        return client.get("/api/notifications/preferences").json()["email"]


def test_changing_the_address_asks_for_the_password(tablet, server) -> None:
    page = tablet(USER, next_path="/notifications").page
    email = page.get_by_test_id("pref-email")
    expect(email).to_have_value(OLD)
    email.fill(NEW)
    page.get_by_test_id("pref-save").click()
    page.get_by_test_id("password-input").fill("khong-phai-mat-khau")
    page.get_by_test_id("password-ok").click()
    expect(page.get_by_test_id("toast").filter(has_text="Mật khẩu hiện tại không đúng")).to_be_visible()
    assert _saved(server) == OLD
    page.get_by_test_id("pref-save").click()
    page.get_by_test_id("password-input").fill(PASSWORD)
    page.get_by_test_id("password-ok").click()
    expect(page.get_by_test_id("toast").filter(has_text="Đã lưu")).to_be_visible()
    assert _saved(server) == NEW
    # the other choices save without a dialog while the address stays
    page.get_by_test_id("pref-lang").select_option("en")
    page.get_by_test_id("pref-save").click()
    expect(page.get_by_test_id("password-dialog")).to_have_count(0)
    expect(page.get_by_test_id("toast").filter(has_text="Đã lưu")).to_have_count(2)
