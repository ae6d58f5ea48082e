"""The follow-up dashboard and the bell at 1024x768: the secretariat drafts a conclusion notice of the demo
meeting once held, the chair approves and signs it, and the Minister of Finance's open dashboard shows the
task assigned to her ministry and her bell counts up live, without a reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.conftest import PASSWORD, Tablet, sync_api

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

expect = sync_api.expect
SCREEN: "ViewportSize" = {"width": 1024, "height": 768}
SHOTS = Path("/tmp")


def desk(browser: "sync_api.Browser", base: str, username: str, next_path: str) -> Tablet:
    person = Tablet(browser, base)
    person.page.set_viewport_size(SCREEN)
    return person.login(username, next_path)


def ok(response: "sync_api.APIResponse") -> dict:
    assert response.ok, response.text()
    return response.json()


def test_dashboard_and_bell_follow_an_issued_notice(server: str, browser: "sync_api.Browser") -> None:
    staff = desk(browser, server, "vanphong", "/notices/dashboard")
    chair = desk(browser, server, "thutuong", "/meetings")
    minister = desk(browser, server, "thanhvien15", "/notices/dashboard")  # Bộ trưởng Bộ Tài chính
    try:
        # The meeting is held: started, concluded, ended.
        ok(chair.api("POST", "/api/meetings/1/start", {"force": True}))  # nobody checked in
        items = ok(staff.api("GET", "/api/meetings/1/agenda"))
        for item in items[:2]:
            ok(
                staff.api(
                    "PUT",
                    f"/api/meetings/1/agenda/{item['id']}/conclusion",
                    {
                        "text": f"Thống nhất thông qua {item['title']}; giao cơ quan trình hoàn thiện.",
                        "base_revision": 0,
                    },
                )
            )
        ok(chair.api("POST", "/api/meetings/1/end"))
        notice = ok(staff.api("POST", "/api/notices", {"meeting_id": 1}))
        today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the organisation's day
        soon, later = (today + timedelta(days=d) for d in (2, 20))
        ok(
            staff.api(
                "POST",
                f"/api/notices/{notice['id']}/tasks",
                {
                    "unit": "Bộ Tài chính",
                    "what": "Hoàn thiện dự toán ngân sách nhà nước năm 2027, trình Thủ tướng.",
                    "deadline": soon.isoformat(),
                },
            )
        )
        ok(
            staff.api(
                "POST",
                f"/api/notices/{notice['id']}/tasks",
                {
                    "unit": "Bộ Tư pháp",
                    "what": "Thẩm định dự thảo Nghị định về giá đất.",
                    "deadline": later.isoformat(),
                },
            )
        )
        # The secretariat's dashboard follows the draft live (socket event `notices`).
        expect(staff.page.locator("[data-testid=pending-notice]")).to_have_count(1)
        expect(staff.page.locator("[data-testid=dash-soon] [data-testid=task]")).to_have_count(1)
        expect(staff.page.locator("[data-testid=dash-open] [data-testid=task]")).to_have_count(1)

        bell = minister.page.locator("[data-testid=bell-count]")
        before = int(minister.page.locator("[data-testid=bell]").get_attribute("data-unread") or "0")
        expect(minister.page.locator("[data-testid=task]")).to_have_count(
            0
        )  # not issued yet: not the ministry's business

        ok(staff.api("POST", f"/api/notices/{notice['id']}/submit"))
        # The chair approves and signs on the notice's page.
        chair.page.goto(f"/notices/{notice['id']}")
        expect(chair.page.locator("[data-testid=notice-state]")).to_have_text("Chờ duyệt")
        chair.page.locator("[data-testid=notice-approve]").click()
        expect(chair.page.locator("[data-testid=notice-number]")).to_contain_text("/TB-TTg")
        chair.page.screenshot(path=str(SHOTS / "ecabinet-notice-approved.png"))
        chair.page.locator("[data-testid=sign-password]").fill(PASSWORD)
        chair.page.locator("[data-testid=notice-sign]").click()
        expect(chair.page.locator("[data-testid=notice-state]")).to_have_text("Đã ban hành")

        expect(bell).to_have_text(str(before + 2))  # notice.issued + task.assigned, live
        expect(minister.page.locator("[data-testid=dash-soon] [data-testid=task]")).to_have_count(1)
        expect(minister.page.locator("[data-testid=report-form]").first).to_be_visible()
        expect(staff.page.locator("[data-testid=pending-notice]")).to_have_count(0)
        staff.page.screenshot(path=str(SHOTS / "ecabinet-notices-dashboard-staff.png"))
        minister.page.screenshot(path=str(SHOTS / "ecabinet-notices-dashboard-minister.png"))

        # The minister reports progress from the dashboard; the secretariat's page shows it without a reload.
        form = minister.page.locator("[data-testid=dash-soon] [data-testid=report-form]")
        form.locator("[data-testid=report-percent]").fill("60")
        form.locator("[data-testid=report-note]").fill("Đã trình Thường trực Chính phủ cho ý kiến.")
        form.locator("button[type=submit]").click()
        expect(staff.page.locator("[data-testid=dash-soon] [data-testid=task]").first).to_contain_text("60%")
        minister.page.goto("/notifications")
        expect(minister.page.locator("[data-testid=notification][data-event='task.assigned']")).to_contain_text(
            "Bộ Tài chính"
        )
        minister.page.screenshot(path=str(SHOTS / "ecabinet-notifications.png"))
        for person in (staff, chair, minister):
            assert person.errors == []
    finally:
        for person in (staff, chair, minister):
            person.close()
