"""A member answers a written poll on a 1024x768 tablet: the inbox on the home page shows it with its deadline
and what remains, the answer page takes the choices and a comment, the secretariat's follow-up sees it live,
and the chair approves on the approval page."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from playwright.sync_api import expect

LANDSCAPE = {"width": 1024, "height": 768}
SHOTS = Path("/tmp/shots-polls")


def shot(page, tmp_path: Path, name: str) -> None:  # noqa: ANN001
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_member_answers_on_a_tablet(tablet, tmp_path) -> None:  # noqa: ANN001
    staff = tablet("vanphong")
    chair = tablet("thutuong")
    chair_id = chair.api("GET", "/api/me").json()["user"]["id"]
    deadline = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    body = {"title": "Lấy ý kiến về dự thảo Nghị định quản lý đầu tư công", "summary": "Bộ Kế hoạch và Đầu tư trình; còn hai điểm ý kiến khác nhau.",
            "questions": [{"text": "Đồng ý thông qua dự thảo Nghị định?"}, {"text": "Đồng ý giao Bộ Tài chính hoàn thiện hồ sơ?"}],
            "chair_id": chair_id, "deadline_at": deadline, "silence_counts_as": "agree"}  # fmt: skip
    # the member's home page is open before the poll is sent: it appears there live
    member = tablet("thanhvien05")
    page = member.page
    page.set_viewport_size(LANDSCAPE)
    page.goto("/meetings")
    expect(page.get_by_test_id("poll-inbox")).to_be_hidden()
    r = staff.api("POST", "/api/polls", body)
    assert r.status == 201, r.text()
    pid = r.json()["id"]
    assert staff.api("POST", f"/api/polls/{pid}/submit").status == 200
    # the chair's approval page
    chair.page.set_viewport_size(LANDSCAPE)
    chair.page.goto(f"/polls/{pid}")
    expect(chair.page.get_by_test_id("poll-state")).to_have_text("Chờ duyệt")
    chair.page.get_by_test_id("poll-approve").tap()
    expect(chair.page.get_by_test_id("poll-state")).to_have_text("Đang lấy ý kiến")
    # the secretariat's follow-up, open while the member answers
    staff.page.goto(f"/polls/{pid}")
    expect(staff.page.get_by_test_id("poll-followup-count")).to_contain_text("0/27")
    # the member: the inbox on the tablet's home page, then the answer page
    item = page.get_by_test_id("poll-inbox-item").filter(has_text="quản lý đầu tư công")
    expect(item.get_by_test_id("poll-remaining")).to_have_text("Còn 2 câu chưa trả lời")
    shot(page, tmp_path, "inbox-1024x768")
    item.get_by_test_id("poll-answer").tap()
    expect(page.locator("#poll")).to_have_attribute("data-ready", "true")
    questions = page.get_by_test_id("poll-question")
    expect(questions).to_have_count(2)
    questions.nth(0).get_by_text("Đồng ý", exact=True).tap()
    questions.nth(1).get_by_text("Ý kiến khác").tap()
    questions.nth(1).locator("textarea").fill("Đề nghị làm rõ nguồn vốn đối ứng của địa phương.")
    shot(page, tmp_path, "answer-1024x768")
    page.get_by_test_id("poll-send").tap()
    expect(page.get_by_test_id("toast").first).to_have_text("Đã ghi nhận ý kiến của đồng chí.")
    expect(page.get_by_test_id("poll-progress")).to_contain_text("Đã trả lời đủ")
    shot(page, tmp_path, "answered-1024x768")
    # the follow-up updates live: one member has answered
    expect(staff.page.get_by_test_id("poll-followup-count")).to_contain_text("1/27")
    page.goto("/meetings")
    expect(page.get_by_test_id("poll-inbox-item").filter(has_text="quản lý đầu tư công")).to_contain_text("Đã trả lời đủ")
    stored = member.api("GET", f"/api/polls/{pid}").json()
    assert [q["my_answer"]["choice"] for q in stored["questions"]] == ["agree", "other"]
