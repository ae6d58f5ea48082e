"""The tablet document viewer: a member draws on a page and finds the stroke after a reload; following the
presenter moves the member's page when the chair presents page 3; search jumps to a page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.doc_helpers import make_pdf


def _upload(t, meeting: int, pages: int = 4, **fields: str) -> int:
    token = t.page.evaluate("document.querySelector('meta[name=csrf-token]')?.content || ''")
    response = t.page.request.post(
        f"{t.base}/api/meetings/{meeting}/documents",
        multipart={
            "title": fields.pop("title", "Tờ trình dự toán ngân sách nhà nước năm 2027"),
            **fields,
            "file": {"name": "to-trinh.pdf", "mimeType": "application/pdf", "buffer": make_pdf(pages)},
        },
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201, response.text()
    return response.json()["id"]


def _open(t, meeting: int, doc: int, page: int = 1):
    t.page.goto(f"/meetings/{meeting}/documents/{doc}?page={page}")
    viewer = t.page.get_by_test_id("viewer")
    expect(viewer).to_have_attribute("data-ready", "true")
    expect(viewer).to_have_attribute("data-connected", "true")
    # A function, not an expression: Playwright evaluates a bare expression with eval(), which the CSP refuses.
    t.page.wait_for_function(
        "() => document.getElementById('page-img').complete && document.getElementById('page-img').naturalWidth > 0"
    )
    return viewer


def _settled(t) -> None:
    t.page.wait_for_function(
        "() => { const i = document.getElementById('page-img');"
        " return i.complete && i.naturalWidth > 0 && !i.classList.contains('is-stale'); }"
    )


def _stroke(t) -> None:
    box = t.page.get_by_test_id("ink-canvas").bounding_box()
    assert box
    x, y = box["x"] + box["width"] * 0.2, box["y"] + min(box["height"], 700) * 0.3
    t.page.mouse.move(x, y)
    t.page.mouse.down()
    for i in range(1, 16):
        t.page.mouse.move(x + i * 18, y + (i % 5) * 6)
    t.page.mouse.up()


def test_member_draws_a_stroke_that_survives_a_reload(tablet, meeting) -> None:
    staff = tablet("vanphong")
    doc = _upload(staff, meeting, agenda_item_id=str(meeting.item_ids[1]))
    member = tablet("thanhvien05")
    _open(member, meeting, doc)
    canvas = member.page.get_by_test_id("ink-canvas")
    expect(canvas).to_have_attribute("data-count", "0")
    member.page.get_by_test_id("tool-pen").tap()
    with member.page.expect_response(
        lambda r: r.url.endswith(f"/api/documents/{doc}/annotations") and r.request.method == "POST"
    ) as saved:
        _stroke(member)
    assert saved.value.status == 201
    expect(canvas).to_have_attribute("data-count", "1")
    member.page.reload()
    _open(member, meeting, doc)
    expect(canvas).to_have_attribute("data-count", "1")
    mine = member.api("GET", f"/api/documents/{doc}/annotations").json()
    assert len(mine) == 1 and mine[0]["kind"] == "ink" and len(mine[0]["data"]["strokes"][0]["points"]) > 5
    assert all(0 <= c <= 1 for p in mine[0]["data"]["strokes"][0]["points"] for c in p)
    # Nobody else sees it.
    other = tablet("thanhvien06")
    assert other.api("GET", f"/api/documents/{doc}/annotations").json() == []
    # The side panel lists the document under its agenda item, and search jumps to the page.
    member.page.get_by_test_id("btn-panel").tap()
    expect(member.page.get_by_test_id("doc-link")).to_have_count(1)
    member.page.get_by_test_id("tab-search").tap()
    member.page.get_by_test_id("search-q").fill("tong thu can doi")
    member.page.get_by_test_id("search-q").press("Enter")
    member.page.get_by_test_id("search-result").first.tap()
    expect(member.page.get_by_test_id("viewer")).to_have_attribute("data-page", "2")
    _settled(member)
    member.page.screenshot(path="/tmp/viewer-panel.png")
    # Swipe left with the view tool: next page. Keys: arrows turn pages; "+" past 1.5x loads the sharper image.
    member.page.get_by_test_id("btn-panel").tap()
    member.page.locator("button.vw-tool[data-tool=view]").tap()
    box = member.page.get_by_test_id("stage").bounding_box()
    assert box
    cx, cy = box["x"] + box["width"] * 0.7, box["y"] + 300
    member.page.mouse.move(cx, cy)
    member.page.mouse.down()
    for i in range(1, 8):
        member.page.mouse.move(cx - i * 40, cy + 2)
    member.page.mouse.up()
    expect(member.page.get_by_test_id("viewer")).to_have_attribute("data-page", "3")
    member.page.keyboard.press("ArrowLeft")
    expect(member.page.get_by_test_id("viewer")).to_have_attribute("data-page", "2")
    member.page.keyboard.press("+")
    member.page.keyboard.press("+")
    expect(member.page.get_by_test_id("page-img")).to_have_attribute("src", re.compile(r"size=zoom"))
    member.page.keyboard.press("0")
    expect(member.page.get_by_test_id("page-img")).to_have_attribute("src", re.compile(r"size=tablet"))


def test_following_the_presenter_moves_the_page(tablet, meeting) -> None:
    staff = tablet("vanphong")
    doc = _upload(staff, meeting, agenda_item_id=str(meeting.item_ids[0]), title="Báo cáo tình hình kinh tế - xã hội")
    chair = tablet("thutuong")
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {"force": True}).ok
    member = tablet("thanhvien05")
    viewer = _open(member, meeting, doc)
    expect(viewer).to_have_attribute("data-page", "1")
    expect(member.page.get_by_test_id("follow")).to_be_checked()
    member.page.get_by_test_id("tool-pen").tap()
    _stroke(member)
    expect(member.page.get_by_test_id("ink-canvas")).to_have_attribute("data-count", "1")

    chair_viewer = _open(chair, meeting, doc, page=3)
    expect(chair.page.get_by_test_id("btn-present")).to_be_visible()
    chair.page.get_by_test_id("btn-present").tap()
    expect(chair_viewer).to_have_attribute("data-presenting", "true")

    expect(viewer).to_have_attribute("data-page", "3")
    expect(member.page.get_by_test_id("presenter-text")).to_contain_text("Nguyễn Văn Thành")
    expect(member.page.get_by_test_id("btn-to-presenter")).to_be_hidden()
    # The chair turns the page: the member follows; after going back by hand, "back to presenter" returns.
    chair.page.keyboard.press("ArrowRight")
    expect(viewer).to_have_attribute("data-page", "4")
    member.page.get_by_test_id("btn-prev").tap()
    expect(viewer).to_have_attribute("data-page", "3")
    expect(member.page.get_by_test_id("follow")).not_to_be_checked()
    member.page.get_by_test_id("btn-to-presenter").tap()
    expect(viewer).to_have_attribute("data-page", "4")
    expect(member.page.get_by_test_id("follow")).to_be_checked()
    # A member has no presenter controls.
    expect(member.page.get_by_test_id("btn-present")).to_be_hidden()
    member.page.get_by_test_id("tool-highlight").tap()
    _stroke(member)
    expect(member.page.get_by_test_id("ink-canvas")).to_have_attribute("data-count", "1")  # page 4: the highlight only
    _settled(member)
    _settled(chair)
    member.page.screenshot(path="/tmp/viewer.png")
    chair.page.screenshot(path="/tmp/viewer-chair.png")
