"""On /notifications a member changes the address their notifications are mailed to: the page asks for the current
password in a dialog (a wrong one is refused and the address stays); with the right one the new address is only
requested, shown "chờ xác nhận" and mailed a link (a real SMTP server); the link's page confirms it with a button,
and a pending request can be cancelled."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.conftest import free_port
from tests.smtp_inbox import Inbox, Received

USER, OLD, NEW = "thanhvien02", "thanhvien02@ecabinet.demo.gov.vn", "bo.truong.moi@mof.gov.vn"
SMTP_PORT = free_port()
SERVER_ENV = {"ECABINET_SMTP_URL": f"smtp://127.0.0.1:{SMTP_PORT}", "ECABINET_MAIL_RETRY_SECONDS": "0.2"}
LINK = re.compile(r"/notifications/email/confirm/[A-Za-z0-9_-]+")


@pytest.fixture(scope="module", autouse=True)
def inbox() -> Iterator[Inbox]:
    box = Inbox(SMTP_PORT).start()
    yield box
    box.stop()


def _arrived(inbox: Inbox, to: str, subject: str) -> Received:
    """The mail to `to` with that subject (the demo's own notifications reach the demo addresses meanwhile)."""

    def found() -> list[Received]:
        return [m for m in inbox.mails if m.to == [to] and m.subject == subject]

    with inbox.changed:
        assert inbox.changed.wait_for(found, 20), [(m.to, m.subject) for m in inbox.mails]
        [mail] = found()
        return mail


def _saved(base: str) -> dict:
    with httpx.Client(base_url=base) as client:
        r = client.post("/api/auth/login", json={"username": USER, "password": PASSWORD})
        assert r.status_code == 200
        prefs: dict = client.get("/api/notifications/preferences").json()
        return prefs


def test_a_new_address_asks_for_the_password_and_is_used_once_confirmed(tablet, server, inbox: Inbox) -> None:
    page = tablet(USER, next_path="/notifications").page
    email = page.get_by_test_id("pref-email")
    expect(email).to_have_value(OLD)
    expect(page.get_by_test_id("pref-pending")).to_be_hidden()
    email.fill(NEW)
    page.get_by_test_id("pref-save").click()
    page.get_by_test_id("password-input").fill("khong-phai-mat-khau")
    page.get_by_test_id("password-ok").click()
    expect(page.get_by_test_id("toast").filter(has_text="Mật khẩu hiện tại không đúng")).to_be_visible()
    assert _saved(server)["email"] == OLD and _saved(server)["pending_email"] is None
    page.get_by_test_id("pref-save").click()
    page.get_by_test_id("password-input").fill(PASSWORD)
    page.get_by_test_id("password-ok").click()
    expect(page.get_by_test_id("toast").filter(has_text=f"Đã gửi thư xác nhận tới {NEW}")).to_be_visible()
    # requested, not used: the field shows the address in use, the request is shown apart
    expect(email).to_have_value(OLD)
    expect(page.get_by_test_id("pref-pending-text")).to_contain_text(f"Chờ xác nhận: {NEW}")
    assert _saved(server)["email"] == OLD and _saved(server)["pending_email"] == NEW
    # the other choices save without a dialog while the address stays
    page.get_by_test_id("pref-lang").select_option("en")
    page.get_by_test_id("pref-save").click()
    expect(page.get_by_test_id("password-dialog")).to_have_count(0)
    expect(page.get_by_test_id("toast").filter(has_text="Đã lưu")).to_be_visible()
    # the link mailed to the new address: its page changes nothing until its button is pressed
    mail = _arrived(inbox, NEW, "Xác nhận địa chỉ thư nhận thông báo e-Cabinet")
    found = LINK.search(mail.body)
    assert found, mail.body
    page.goto(found.group(0))
    expect(page.get_by_test_id("email-confirm-address")).to_have_text(NEW)
    assert _saved(server)["email"] == OLD
    page.get_by_test_id("email-confirm-ok").click()
    expect(page.get_by_test_id("email-confirm-done")).to_be_visible()
    assert _saved(server)["email"] == NEW and _saved(server)["pending_email"] is None
    _arrived(inbox, OLD, "Your e-Cabinet notification address was changed")  # the language chosen above
    assert [m.subject for m in inbox.mails if m.to == [NEW]] == ["Xác nhận địa chỉ thư nhận thông báo e-Cabinet"]


def test_a_pending_address_can_be_cancelled(tablet, server) -> None:
    t = tablet(USER, next_path="/notifications")
    page = t.page
    answer = t.api("PUT", "/api/notifications/preferences", {"email": "lan.hai@mof.gov.vn", "password": PASSWORD})
    assert answer.status == 200, answer.text()
    page.reload()
    expect(page.get_by_test_id("pref-pending-text")).to_contain_text("lan.hai@mof.gov.vn")
    page.get_by_test_id("pref-cancel").click()
    expect(page.get_by_test_id("pref-pending")).to_be_hidden()
    assert _saved(server)["pending_email"] is None
