"""The document viewer on a 1024×768 landscape tablet (and 768×1024 portrait): the page fills the width, the bars
collapse while one reads and a tap brings them back, full screen with a button and Esc, pinch and double-tap zoom
keep the point under the finger, the chair's presenting toolbar stays on one row, and "present this page" is never
offered on a restricted document (the server refuses it)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_viewer import _open, _settled, _upload

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
SHOTS = Path(os.environ.get("ECABINET_SHOTS", "tmp/artefacts/screens"))


def shot(t, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    t.page.screenshot(path=str(path))
    return path


def _stage_fraction(t) -> float:
    return t.page.evaluate("() => document.getElementById('stage').getBoundingClientRect().width / window.innerWidth")


def _point_under(t, x: float, y: float) -> tuple[float, float]:
    """The page point (in px of the page at its current size, from its top left) under the screen point (x, y)."""
    return tuple(
        t.page.evaluate(
            "([x, y]) => { const r = document.getElementById('stage').getBoundingClientRect(); return [(x - r.left) / "
            "r.width, (y - r.top) / r.height]; }",
            [x, y],
        )
    )


def _one_row(t, selector: str, at_least: int) -> None:
    """Every control matched stands on the same middle line, and none is pushed out of its bar."""
    middles = t.page.evaluate(
        "(s) => [...document.querySelectorAll(s)].map((e) => { const r = e.getBoundingClientRect(); return "
        "Math.round(r.top + r.height / 2); })",
        selector,
    )
    assert len(middles) >= at_least and max(middles) - min(middles) <= 2, (selector, middles)
    assert t.page.evaluate(
        "(s) => [...document.querySelectorAll(s)].every((e) => e.getBoundingClientRect().right <= window.innerWidth)",
        selector,
    )


WRAPPED = """(selector) => [...document.querySelectorAll(selector)]
  .filter((e) => e.offsetParent !== null)
  .filter((e) => {
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const middles = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) if (r.width > 0) middles.push(r.top + r.height / 2);
    }
    return middles.length > 1 && Math.max(...middles) - Math.min(...middles) > 10;  // a second line is ~20 px lower
}).map((e) => e.textContent.trim())"""


def wrapped(t, selector: str) -> list[str]:
    """The texts of the visible elements matched whose text runs over more than one line."""
    return t.page.evaluate(WRAPPED, selector)


def _touch(cdp, kind: str, points: list[tuple[float, float]]) -> None:
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]},
    )


def _reader(tablet, meeting, username: str, pages: int, viewport: dict):
    """A member reading a freshly uploaded document of `pages` pages on a tablet of that size."""
    doc = _upload(tablet("vanphong"), meeting, pages=pages, agenda_item_id=str(meeting.item_ids[1]))
    member = tablet(username)
    member.page.set_viewport_size(viewport)
    viewer = _open(member, meeting, doc)
    _settled(member)
    return member, viewer


def test_the_page_fills_the_tablet_and_the_bars_give_way(tablet, meeting) -> None:
    member, viewer = _reader(tablet, meeting, "thanhvien05", 5, LANDSCAPE)
    # Fit-width by default: the A4 page fills at least 85 % of the landscape width.
    assert _stage_fraction(member) >= 0.85
    shot(member, "viewer-landscape")

    # Scrolling down to read on collapses the header, the document bar, the toolbar and the thumbnails.
    box = member.page.get_by_test_id("scroller").bounding_box()
    member.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    member.page.mouse.wheel(0, 300)
    expect(viewer).to_have_attribute("data-chrome", "hidden")
    for hidden in ("header.site-header", ".vw-top", ".vw-toolbar", ".vw-bottom"):
        expect(member.page.locator(hidden)).to_be_hidden()
    expect(member.page.get_by_test_id("btn-chrome")).to_be_visible()
    scroller = member.page.get_by_test_id("scroller").bounding_box()
    assert scroller["height"] >= 740, scroller  # the page has the screen
    assert _stage_fraction(member) >= 0.85
    shot(member, "viewer-landscape-reading")

    # A tap on the page brings the bars back (after the double-tap window); a second tap hides them.
    stage = member.page.get_by_test_id("stage").bounding_box()
    member.page.touchscreen.tap(stage["x"] + 200, 300)
    expect(viewer).to_have_attribute("data-chrome", "shown")
    expect(member.page.locator(".vw-toolbar")).to_be_visible()
    member.page.touchscreen.tap(stage["x"] + 200, 300)
    expect(viewer).to_have_attribute("data-chrome", "hidden")
    # Esc brings them back too (keyboard users).
    member.page.keyboard.press("Escape")
    expect(viewer).to_have_attribute("data-chrome", "shown")

    # Full screen: a visible button; the bars collapse; Esc leaves and brings them back.
    fs = member.page.get_by_test_id("btn-fullscreen")
    expect(fs).to_be_visible()
    fs.click()
    member.page.wait_for_function("() => document.fullscreenElement !== null")
    expect(viewer).to_have_attribute("data-chrome", "hidden")
    expect(viewer).to_have_attribute("data-fullscreen", "true")
    member.page.keyboard.press("Escape")
    member.page.wait_for_function("() => document.fullscreenElement === null")
    expect(viewer).to_have_attribute("data-chrome", "shown")
    expect(fs).to_have_attribute("aria-pressed", "false")


def test_pinch_and_double_tap_keep_the_point_under_the_finger(tablet, meeting) -> None:
    member, viewer = _reader(tablet, meeting, "thanhvien06", 3, LANDSCAPE)
    cdp = member.context.new_cdp_session(member.page)
    stage = member.page.get_by_test_id("stage").bounding_box()
    width = stage["width"]

    # Pinch: two fingers around (600, 400) spread apart and drift 40 px right; the page point first under their
    # midpoint ends under their midpoint (real touch events, which Chromium turns into pointer events).
    cx, cy = 600.0, 400.0
    before = _point_under(member, cx, cy)
    _touch(cdp, "touchStart", [(cx - 60, cy), (cx + 60, cy)])
    for i in range(1, 11):
        spread, drift = 60 + i * 12, i * 4
        _touch(cdp, "touchMove", [(cx + drift - spread, cy), (cx + drift + spread, cy)])
    _touch(cdp, "touchEnd", [])
    zoom = float(viewer.get_attribute("data-zoom"))
    assert abs(zoom - 3) < 0.05, zoom  # the fingers spread from 120 to 360 px
    after = _point_under(member, cx + 40, cy)
    stage = member.page.get_by_test_id("stage").bounding_box()
    assert abs(after[0] - before[0]) * stage["width"] < 4 and abs(after[1] - before[1]) * stage["height"] < 4, (
        before,
        after,
    )
    shot(member, "viewer-pinched")

    # Double tap on a point: 2.5x on that point, the point stays under the finger; again: back to the width.
    member.page.keyboard.press("0")
    expect(viewer).to_have_attribute("data-zoom", "1.00")
    x, y = 300.0, 500.0
    for expected in ("2.50", "1.00"):
        before = _point_under(member, x, y)
        member.page.touchscreen.tap(x, y)
        member.page.touchscreen.tap(x, y)
        expect(viewer).to_have_attribute("data-zoom", expected)
        after = _point_under(member, x, y)
        stage = member.page.get_by_test_id("stage").bounding_box()
        assert abs(after[0] - before[0]) * stage["width"] < 4 and abs(after[1] - before[1]) * stage["height"] < 4, (
            expected,
            before,
            after,
        )
        if expected == "2.50":
            assert stage["width"] > 2.4 * width
            shot(member, "viewer-double-tapped")


def test_portrait_keeps_the_labels_and_the_header_on_one_line(tablet, meeting) -> None:
    member, _ = _reader(tablet, meeting, "thanhvien07", 3, PORTRAIT)
    assert _stage_fraction(member) >= 0.85
    clipped = member.page.evaluate("""() => [
          ...document.querySelectorAll('.vw-tool, .vw-btn, .site-nav a:not(.who), .site-nav button')
        ]
        .filter((e) => e.offsetParent !== null
          && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1))
        .map((e) => e.textContent.trim())""")
    assert clipped == [], clipped
    labels = member.page.locator(".vw-tool span")
    for i in range(labels.count()):
        expect(labels.nth(i)).to_be_visible()
    assert (
        wrapped(
            member,
            ".site-nav a:not(.who), .site-nav button, .who strong, .brand-short, .vw-btn, .vw-tool span, "
            "#presenter-text",
        )
        == []
    )
    header = member.page.locator(".site-header .bar").bounding_box()
    assert header["height"] <= 72, header  # one line
    top = member.page.locator(".vw-top").bounding_box()
    assert top["height"] <= 70, top
    shot(member, "viewer-portrait")


def test_presenting_toolbar_is_one_row_and_restricted_documents_are_not_presented(tablet, meeting) -> None:
    staff = tablet("vanphong")
    first = str(meeting.item_ids[0])
    doc = _upload(staff, meeting, pages=4, agenda_item_id=first, title="Báo cáo tình hình kinh tế - xã hội")
    other = _upload(staff, meeting, pages=2, agenda_item_id=first, title="Phụ lục số liệu tăng trưởng")
    chair = tablet("thutuong")
    chair_id = chair.api("GET", "/api/me").json()["user"]["id"]
    secret = _upload(
        staff,
        meeting,
        pages=2,
        agenda_item_id=first,
        title="Phương án nhân sự (mật)",
        restricted="true",
        allowed_user_ids=str(chair_id),
    )
    assert chair.api("POST", f"/api/meetings/{meeting}/start", {"force": True}).ok
    chair.page.set_viewport_size(LANDSCAPE)
    viewer = _open(chair, meeting, doc, page=2)
    chair.page.get_by_test_id("btn-present").tap()
    expect(viewer).to_have_attribute("data-presenting", "true")
    chair.page.get_by_test_id("tool-pen").tap()  # the pen's colours are in the toolbar too
    expect(chair.page.get_by_test_id("laser")).to_be_visible()
    _settled(chair)
    shot(chair, "viewer-presenting-chair")
    _one_row(chair, ".vw-toolbar > .vw-group:not([hidden]) > :not([hidden])", at_least=12)
    _one_row(chair, "#presenter-bar > :not([hidden])", at_least=5)
    text = chair.page.get_by_test_id("presenter-text")
    expect(text).to_contain_text("Báo cáo tình hình kinh tế - xã hội")
    expect(text).to_contain_text("2")
    # Portrait: the bars may take a second row, but no label is cut or broken, nothing runs off the side.
    chair.page.set_viewport_size(PORTRAIT)
    chair.page.wait_for_function("() => innerWidth === 768")
    assert wrapped(chair, ".vw-tool span, .vw-switch span, .vw-btn") == []
    assert chair.page.evaluate(
        "() => [...document.querySelectorAll('.vw-toolbar *, #presenter-bar *')].every((e) => "
        "e.getBoundingClientRect().right <= innerWidth)"
    )
    shot(chair, "viewer-presenting-chair-portrait")
    chair.page.set_viewport_size(LANDSCAPE)

    member = tablet("thanhvien05")
    member.page.set_viewport_size(LANDSCAPE)
    follower = _open(member, meeting, doc)
    expect(follower).to_have_attribute("data-page", "2")
    # The presenter switches documents: the banner names the new one and its page.
    chair.page.get_by_test_id("btn-panel").tap()
    chair.page.locator(f"[data-testid=doc-link][data-id='{other}']").tap()
    expect(viewer).to_have_attribute("data-document-id", str(other))
    chair.page.get_by_test_id("btn-panel").tap()  # closed again
    _one_row(chair, ".vw-toolbar > .vw-group:not([hidden]) > :not([hidden])", at_least=13)  # with "present this page"
    chair.page.get_by_test_id("btn-present").tap()
    expect(member.page.get_by_test_id("presenter-text")).to_contain_text("Phụ lục số liệu tăng trưởng")
    expect(member.page.get_by_test_id("presenter-text")).to_contain_text("trang 1")
    expect(follower).to_have_attribute("data-document-id", str(other))
    _settled(member)
    shot(member, "viewer-following-member")

    # A restricted document: no "present this page" (the server refuses it, asserted below).
    chair.page.get_by_test_id("btn-panel").tap()
    chair.page.locator(f"[data-testid=doc-link][data-id='{secret}']").tap()
    expect(viewer).to_have_attribute("data-document-id", str(secret))
    expect(chair.page.get_by_test_id("btn-present")).to_be_hidden()
    refused = chair.page.evaluate(
        "([m, d]) => new Promise((ok) => window.ecabinetViewer.socket.emit('presenter:start', {meeting_id: m, "
        "document_id: d, page: 1}, ok))",
        [meeting, secret],
    )
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused

    # After the session nobody presents (the server refuses it): the button goes when the meeting ends.
    chair.page.locator(f"[data-testid=doc-link][data-id='{doc}']").tap()
    expect(viewer).to_have_attribute("data-document-id", str(doc))
    expect(chair.page.get_by_test_id("btn-present")).to_be_visible()
    assert chair.api("POST", f"/api/meetings/{meeting}/end").ok
    expect(chair.page.get_by_test_id("btn-present")).to_be_hidden()
    expect(chair.page.get_by_test_id("presenter-bar")).to_be_hidden()  # ending the meeting ended presenting
    late = chair.page.evaluate(
        "([m, d]) => new Promise((ok) => window.ecabinetViewer.socket.emit('presenter:start', {meeting_id: m, "
        "document_id: d, page: 1}, ok))",
        [meeting, doc],
    )
    assert late["ok"] is False and late["error"]["code"] == "invalid_state", late
