"""A member answers a written poll on a 1024x768 tablet: the inbox on the home page shows it with its deadline
and what remains, the answer page takes the choices and a comment, the secretariat's follow-up sees it live,
and the chair approves on the approval page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.doc_helpers import make_pdf

LANDSCAPE = {"width": 1024, "height": 768}
SHOTS = Path("/tmp/shots-polls")


def shot(page, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_member_answers_on_a_tablet(tablet, tmp_path) -> None:
    staff = tablet("vanphong")
    chair = tablet("thutuong")
    # the member's home page is open before the poll is sent: it appears there live
    member = tablet("thanhvien05")
    page = member.page
    page.set_viewport_size(LANDSCAPE)
    page.goto("/meetings")
    expect(page.get_by_test_id("poll-inbox")).to_be_hidden()
    # the secretariat drafts it on /polls (deadline proposed in working days) and submits it
    sp = staff.page
    sp.set_viewport_size(LANDSCAPE)
    sp.goto("/polls")
    sp.get_by_test_id("poll-draft").locator("summary").click()
    sp.get_by_test_id("draft-title").fill("Lấy ý kiến về dự thảo Nghị định quản lý đầu tư công")
    sp.get_by_test_id("draft-questions").fill(
        "Đồng ý thông qua dự thảo Nghị định?\nĐồng ý giao Bộ Tài chính hoàn thiện hồ sơ?"
    )
    expect(sp.get_by_test_id("draft-deadline")).to_have_value(re.compile(r"T17:00$"))
    shot(sp, tmp_path, "draft-1024x768")
    sp.get_by_test_id("draft-create").click()
    expect(sp.get_by_test_id("poll-state")).to_have_text("Đang soạn")
    pid = int(sp.url.rstrip("/").rsplit("/", 1)[1])
    sp.locator("#doc-title").fill("Tờ trình của Bộ Kế hoạch và Đầu tư")
    sp.locator("#doc-file").set_input_files(
        files=[{"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)}]
    )
    sp.get_by_test_id("poll-add-doc").click()
    expect(sp.get_by_test_id("poll-doc")).to_have_text("Tờ trình của Bộ Kế hoạch và Đầu tư")
    sp.get_by_test_id("poll-submit").click()
    expect(sp.get_by_test_id("poll-state")).to_have_text("Chờ duyệt")
    # the chair's approval page
    chair.page.set_viewport_size(LANDSCAPE)
    chair.page.goto(f"/polls/{pid}")
    expect(chair.page.get_by_test_id("poll-state")).to_have_text("Chờ duyệt")
    chair.page.get_by_test_id("poll-approve").tap()
    expect(chair.page.get_by_test_id("poll-state")).to_have_text("Đang lấy ý kiến")
    # the secretariat's follow-up, open while the member answers
    staff.page.goto(f"/polls/{pid}")
    expect(staff.page.get_by_test_id("poll-followup-count")).to_contain_text("0/27")
    # the member: the inbox on the tablet's home page (arrived live), then the answer page
    item = page.get_by_test_id("poll-inbox-item").filter(has_text="quản lý đầu tư công")
    expect(item.get_by_test_id("poll-remaining")).to_have_text("Còn 2 câu chưa trả lời")
    shot(page, tmp_path, "inbox-1024x768")
    item.get_by_test_id("poll-answer").tap()
    expect(page.locator("#poll")).to_have_attribute("data-ready", "true")
    page.get_by_test_id("poll-doc").tap()  # the document in the viewer: watermarked page images
    expect(page.get_by_test_id("poll-page")).to_have_count(2)
    page.wait_for_function(
        "() => { const i = document.querySelector('[data-testid=poll-page]'); return i && i.complete && "
        "i.naturalWidth > 0; }"
    )
    shot(page, tmp_path, "document-1024x768")
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
    expect(page.get_by_test_id("poll-inbox-item").filter(has_text="quản lý đầu tư công")).to_contain_text(
        "Đã trả lời đủ"
    )
    stored = member.api("GET", f"/api/polls/{pid}").json()
    assert [q["my_answer"]["choice"] for q in stored["questions"]] == ["agree", "other"]
