"""The summary report of a written poll in the browser: the Government Office's head (the demo's thanhvien24),
designated by the administrator after the poll closed, is offered its report live, opens the report his page names
and signs it with his signing password; the chair's page, open meanwhile, shows the signed report and the "decide"
button without a reload, and he decides; a member's page shows neither button and follows the state live.
Screenshots at 1024x768 and 768x1024 of each step."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD
from tests.waiting import eventually_sync

SHOTS = Path("/tmp/fixC/shots")
SIZES = {"1024x768": {"width": 1024, "height": 768}, "768x1024": {"width": 768, "height": 1024}}
TITLE = "Lấy ý kiến về dự thảo Nghị định sửa đổi, bổ sung một số điều của Nghị định quản lý đầu tư công"


def shots(page: Page, name: str) -> None:
    """The page at both tablet sizes (landscape, portrait); nothing of the page may stick out sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        wide = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{name} at {size}: the page is {wide}px wider than the screen"
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size(SIZES["1024x768"])  # type: ignore[arg-type]


def _client(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=20)
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def closed_poll(base: str) -> int:
    """A poll of the Government drafted by the secretariat, approved by the chair, answered by a member with a
    comment, closed by the server's clock at its deadline a few seconds later."""
    deadline = datetime.now(timezone.utc) + timedelta(seconds=6)
    staff, chair, m = _client(base, "vanphong"), _client(base, "thutuong"), _client(base, "thanhvien05")
    try:
        body = {
            "title": TITLE,
            "summary": "Bộ Kế hoạch và Đầu tư trình dự thảo Nghị định; hồ sơ gửi kèm.",
            "questions": [
                {"text": "Đồng ý thông qua dự thảo Nghị định?"},
                {"text": "Đồng ý giao Bộ Tài chính chủ trì hoàn thiện hồ sơ trình ký ban hành?"},
            ],
            "deadline_at": deadline.isoformat(),
        }
        made = staff.post("/api/polls", json=body)
        assert made.status_code == 201, made.text
        pid = int(made.json()["id"])
        assert staff.post(f"/api/polls/{pid}/submit").status_code == 200
        approved = chair.post(f"/api/polls/{pid}/approve")
        assert approved.status_code == 200, approved.text
        qs = approved.json()["questions"]
        answers = [
            {"question_id": qs[0]["id"], "choice": "agree"},
            {"question_id": qs[1]["id"], "choice": "other", "comment": "Đề nghị làm rõ nguồn vốn đối ứng."},
        ]
        assert m.post(f"/api/polls/{pid}/answers", json={"answers": answers}).status_code == 200
        eventually_sync(
            lambda: staff.get(f"/api/polls/{pid}").json()["state"] == "closed",
            "the poll closed by the server's clock",
            timeout=40,
        )
    finally:
        for c in (staff, chair, m):
            c.close()
    return pid


def designate(base: str, username: str | None) -> None:
    """The administrator designates the Office's head who signs the summary reports (None: nobody)."""
    admin = _client(base, "admin")
    try:
        head = next((u["id"] for u in admin.get("/api/users").json() if u["username"] == username), None)
        rules = {"silence_default": "agree", "require_signed_answers": False, "report_signer_id": head}
        r = admin.put("/api/poll-rules", json=rules)
        assert r.status_code == 200, r.text
    finally:
        admin.close()


def test_the_office_signs_the_report_and_the_chair_decides(tablet, server) -> None:
    designate(server, None)  # the bare demo designates nobody; whatever another test left
    pid = closed_poll(server)
    office, chair, member = tablet("thanhvien24"), tablet("thutuong"), tablet("thanhvien05")
    for t in (office, chair, member):
        t.page.set_viewport_size(SIZES["1024x768"])
        t.page.goto(f"/polls/{pid}")
        expect(t.page.locator("#poll")).to_have_attribute("data-ready", "true")
        expect(t.page.get_by_test_id("poll-state")).to_have_text("Đã hết hạn")

    # the member: the results, no report to sign, nothing to decide
    mp = member.page
    expect(mp.get_by_test_id("poll-result")).to_have_count(2)
    expect(mp.get_by_test_id("poll-sign-report")).to_have_count(0)
    expect(mp.get_by_test_id("poll-decide")).to_have_count(0)
    expect(mp.get_by_test_id("poll-report")).to_have_count(0)  # the report is the Office's and the chair's
    expect(mp.get_by_test_id("poll-report-status")).to_contain_text("chờ Văn phòng Chính phủ ký")
    shots(mp, "1-member-closed")

    # the chair waits for the Office: no decide button yet
    cp = chair.page
    expect(cp.get_by_test_id("poll-decide")).to_have_count(0)
    expect(cp.get_by_test_id("poll-report-status")).to_contain_text("chờ Văn phòng Chính phủ ký")
    shots(cp, "2-chair-waits")

    # the Office's head, his page open before the administrator designates him (the bare demo designates nobody):
    # the report waits for the Office; designated, his page offers it to him to sign without a reload
    op = office.page
    sign = op.get_by_test_id("poll-sign-report")
    expect(sign).to_have_count(0)
    designate(server, "thanhvien24")
    expect(sign).to_be_visible()
    bell = office.api("GET", "/api/notifications").json()["items"]
    assert [n["link"] for n in bell if n["event"] == "poll.report_due"] == [f"/polls/{pid}"]
    expect(op.get_by_test_id("poll-report-status")).to_have_count(0)  # not "waiting for the Office": it is him
    link = op.get_by_test_id("poll-report")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"/api/polls/{pid}/report?digest=")
    report = office.api("GET", href)
    assert report.status == 200 and report.body().startswith(b"%PDF")
    assert report.headers["x-report-digest"] == href.rsplit("=", 1)[1]
    shots(op, "3-office-to-sign")
    sign.tap()  # no password typed: the browser stops it at the field, nothing is sent
    assert op.locator("#report-password").evaluate("el => el.validity.valueMissing && el === document.activeElement")
    expect(op.get_by_test_id("toast")).to_have_count(0)
    expect(op.get_by_test_id("poll-state")).to_have_text("Đã hết hạn")
    op.locator("#report-password").fill("sai-mat-khau")
    sign.tap()
    expect(op.get_by_test_id("toast").last).to_contain_text("mật khẩu", ignore_case=True)
    expect(op.get_by_test_id("poll-state")).to_have_text("Đã hết hạn")
    shots(op, "4-office-wrong-password")
    op.locator("#report-password").fill(PASSWORD)
    op.locator("#report-password").press("Enter")  # Enter signs as the button does
    expect(op.get_by_test_id("poll-state")).to_have_text("Đã ký báo cáo, chờ quyết định")
    expect(op.get_by_test_id("poll-sign-report")).to_have_count(0)
    expect(op.get_by_test_id("poll-report-status")).to_contain_text("Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ")
    shots(op, "5-office-signed")

    # the chair's page, not reloaded: the signed report and the decide button arrive live
    expect(cp.get_by_test_id("poll-state")).to_have_text("Đã ký báo cáo, chờ quyết định")
    decide = cp.get_by_test_id("poll-decide")
    expect(decide).to_be_visible()
    expect(cp.get_by_test_id("poll-report-status")).to_contain_text("/BC-VPCP")
    signed = chair.api("GET", cp.get_by_test_id("poll-report").get_attribute("href") or "")
    assert signed.status == 200 and signed.headers.get("x-report-sha256")
    shots(cp, "6-chair-to-decide")
    # the member's page followed too, still without either button
    expect(mp.get_by_test_id("poll-state")).to_have_text("Đã ký báo cáo, chờ quyết định")
    expect(mp.get_by_test_id("poll-decide")).to_have_count(0)
    expect(mp.get_by_test_id("poll-sign-report")).to_have_count(0)

    cp.get_by_test_id("poll-decision-note").fill("Đồng ý với báo cáo; giao Bộ Tư pháp thẩm định trước khi ban hành.")
    cp.locator("#decide-password").fill(PASSWORD)
    decide.tap()
    expect(cp.get_by_test_id("poll-state")).to_have_text("Đã quyết định")
    expect(cp.get_by_test_id("poll-decide")).to_have_count(0)
    expect(cp.get_by_test_id("poll-report-status")).to_contain_text("giao Bộ Tư pháp thẩm định")
    shots(cp, "7-chair-decided")
    expect(mp.get_by_test_id("poll-state")).to_have_text("Đã quyết định")  # live, no reload
    expect(mp.get_by_test_id("poll-report-status")).to_contain_text("giao Bộ Tư pháp thẩm định")
    shots(mp, "8-member-decided")
    expect(op.get_by_test_id("poll-state")).to_have_text("Đã quyết định")


def test_a_signer_whose_designation_is_withdrawn_loses_the_button_live(tablet, server) -> None:
    """The head designated, his page offering the report to sign; the administrator designates another (the
    Office's staff member vanphong): without a reload his page no longer offers it and says the report waits for the
    Office, and the new signer's open page offers it."""
    designate(server, "thanhvien24")
    pid = closed_poll(server)
    former, new = tablet("thanhvien24"), tablet("vanphong")
    for t in (former, new):
        t.page.set_viewport_size(SIZES["1024x768"])
        t.page.goto(f"/polls/{pid}")
        expect(t.page.locator("#poll")).to_have_attribute("data-ready", "true")
    expect(former.page.get_by_test_id("poll-sign-report")).to_be_visible()
    expect(new.page.get_by_test_id("poll-sign-report")).to_have_count(0)
    designate(server, "vanphong")
    expect(former.page.get_by_test_id("poll-sign-report")).to_have_count(0)
    expect(former.page.get_by_test_id("poll-report-status")).to_contain_text("chờ Văn phòng Chính phủ ký")
    expect(former.page.get_by_test_id("poll-state")).to_have_text("Đã hết hạn")  # a voter: he still sees it
    shots(former.page, "9-former-signer")
    expect(new.page.get_by_test_id("poll-sign-report")).to_be_visible()

    def told() -> int:
        bell = former.api("GET", "/api/notifications").json()["items"]
        return len([n for n in bell if n["event"] == "poll.report_due" and n["link"] == f"/polls/{pid}"])

    eventually_sync(lambda: told() == 1, "the head told at the close")
    designate(server, "thanhvien24")  # designated again: his page offers it again, no second notification
    expect(former.page.get_by_test_id("poll-sign-report")).to_be_visible()
    assert told() == 1
