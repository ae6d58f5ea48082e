"""What a minister sees on a tablet held either way (1024x768, 768x1024), in Vietnamese and in English, with the
counts of a real session (20 of 27 members; a meeting of 120 participants): no page wider than the screen, every
count ("20/27", "105/118", the "Thành phần 105/120" tab) on one line and whole, the label beside it not cut off;
the hall display the same; the minutes editor says where each locked section comes from (the register, attendance,
the votes); the working-day calendar wraps its long holiday names. Screenshots: ECABINET_SHOTS (tmp/artefacts/
screens by default)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, new_meeting, start_meeting
from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot

SIZES = {"L": LANDSCAPE, "P": PORTRAIT}
LANGS = ("vi", "en")
EXTRA_MEMBERS = 91  # the demo's 26 members, chair, secretary and guest, plus these: 120 participants
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLE = ("Thị", "Văn", "Hữu", "Đức", "Minh", "Thanh", "Quốc")
GIVEN = ("Phương Thảo", "Quang Vinh", "Ngọc Ánh", "Thế Hùng", "Xuân Trường", "Bích Hạnh", "Khánh Linh")
QUESTION = (
    "Thông qua dự thảo Nghị quyết về cơ chế, chính sách đặc thù phát triển hạ tầng giao thông vùng Đồng bằng "
    "sông Cửu Long giai đoạn 2026–2030, tầm nhìn đến năm 2045"
)
DAY_OFF_NOTE = (
    "Nghỉ bù theo Thông báo số 6150/TB-VPCP của Văn phòng Chính phủ về việc hoán đổi ngày làm việc dịp kỷ niệm "
    "Ngày Nhà giáo Việt Nam"
)

# The number of line boxes the element's text lies on (a count broken as "20/2" over "7" gives 2).
LINES = """(el) => {
  const tops = new Set();
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top + r.height / 2));
  }
  const mids = [...tops].sort((a, b) => a - b);
  return mids.filter((m, i) => i === 0 || m - mids[i - 1] > 6).length;
}"""
# Drawn whole: nothing of it clipped by its own box or outside its card / the screen.
WHOLE = """(el) => {
  const r = el.getBoundingClientRect();
  const card = el.closest('.card, .panel, .tab') || document.body;
  const c = card.getBoundingClientRect();
  return el.scrollWidth <= el.clientWidth + 1 && r.left >= c.left - 1 && r.right <= c.right + 1
    && r.right <= innerWidth + 1;
}"""
NO_SIDEWAYS = "() => document.scrollingElement.scrollWidth <= innerWidth"


@dataclass
class Session:
    small: int  # 20 of 27 members checked in
    big: int  # 120 participants, 105 of 118 members checked in
    big_display: str  # the hall display's link of the big one
    ended: int  # ended, with a published vote: its minutes


class Api:
    def __init__(self, base: str, username: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=60)
        r = self.client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.client.headers["X-CSRF-Token"] = r.json()["csrf_token"]

    def call(self, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        r = self.client.request(method, path, json=body if body is not None else {})
        assert r.status_code == status, (path, r.text)
        return r.json()


def _users(staff: Api) -> dict[str, int]:
    return {u["username"]: u["id"] for u in staff.client.get("/api/users").json()}


def _check_in(staff: Api, meeting: int, usernames: list[str], users: dict[str, int]) -> None:
    for name in usernames:
        staff.call("PATCH", f"/api/meetings/{meeting}/participants/{users[name]}", {"attendance": "present_room"})


@pytest.fixture(scope="module")
def session(server: str) -> Iterator[Session]:
    admin, staff, chair = Api(server, "admin"), Api(server, "vanphong"), Api(server, "thutuong")
    names = [f"{f} {m} {g}" for g in GIVEN for f in FAMILY for m in MIDDLE][:EXTRA_MEMBERS]
    for i, full_name in enumerate(names, 1):
        admin.call(
            "POST",
            "/api/users",
            {
                "username": f"tvbosung{i:03d}",
                "full_name": full_name,
                "title": "Thứ trưởng Bộ Nông nghiệp và Môi trường, Phó Chủ tịch Hội đồng thẩm định quốc gia",
                "unit": "Bộ Nông nghiệp và Môi trường",
                "password": f"Kiem-thu-{i:03d}-Vx7q",
                "same_name_confirmed": True,
            },
            201,
        )
    # a day off the Government decided, with its reason as the Office typed it (a long Vietnamese sentence)
    admin.call("POST", "/api/workdays/overrides", {"day": "2026-11-20", "kind": "off", "note": DAY_OFF_NOTE}, 201)
    users = _users(staff)
    members = [f"thanhvien{i:02d}" for i in range(1, 27)]

    small = new_meeting(server)
    _check_in(staff, small, ["thutuong", *members[:19]], users)  # 20/27
    start_meeting(server, small)

    big = new_meeting(server)
    for i in range(1, EXTRA_MEMBERS + 1):
        staff.call("POST", f"/api/meetings/{big}/participants", {"user_id": users[f"tvbosung{i:03d}"]}, 201)
    _check_in(staff, big, ["thutuong", *members, *[f"tvbosung{i:03d}" for i in range(1, 79)]], users)  # 105/118
    start_meeting(server, big)
    display = staff.call("POST", f"/api/meetings/{big}/display-tokens", {}, 201)["url"]

    ended = new_meeting(server)
    _check_in(staff, ended, ["thutuong", *members[:19]], users)
    start_meeting(server, ended)
    vote = staff.call(
        "POST", f"/api/meetings/{ended}/votes", {"agenda_item_id": ended.item_ids[0], "question": QUESTION}, 201
    )
    chair.call("POST", f"/api/votes/{vote['id']}/open")
    yes = next(o["id"] for o in vote["options"] if o["kind"] == "yes")
    for name in members[:5]:
        Api(server, name).call("POST", f"/api/votes/{vote['id']}/ballots", {"option_id": yes})
    chair.call("POST", f"/api/votes/{vote['id']}/close")
    chair.call("POST", f"/api/votes/{vote['id']}/publish")
    chair.call("POST", f"/api/meetings/{ended}/end")
    yield Session(small, big, display, ended)
    for api in (admin, staff, chair):
        api.client.close()


@pytest.fixture
def pages(browser, server: str) -> Iterator:
    """Factory: pages(username or None, lang, size) → a page of a fresh context in that language and size."""
    contexts = []
    errors: list[str] = []

    def make(username: str | None, lang: str, size: dict) -> Page:
        ctx = browser.new_context(viewport=size, has_touch=True, timezone_id="Asia/Ho_Chi_Minh", base_url=server)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        if username:
            assert ctx.request.post("/api/auth/login", data={"username": username, "password": PASSWORD}).ok
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"/lang/{lang}")
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _one_line_and_whole(page: Page, selector: str, where: str) -> list[str]:
    """The visible elements matched: each on one line and drawn whole; their texts."""
    found = page.locator(selector)
    texts = []
    for i in range(found.count()):
        el = found.nth(i)
        if not el.is_visible():
            continue
        text = el.inner_text().strip()
        assert el.evaluate(LINES) == 1, f"{where}: {selector} {text!r} runs over two lines"
        assert el.evaluate(WHOLE), f"{where}: {selector} {text!r} is cut off"
        texts.append(text)
    return texts


def _live(page: Page, meeting: int) -> None:
    page.goto(f"/meetings/{meeting}")
    expect(page.locator("#live")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("quorum-count")).not_to_have_text("0/0")
    page.wait_for_function("() => document.getElementById('count-people').textContent !== ''")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_live_counts_stay_whole(session: Session, pages, lang: str, size: str) -> None:
    page = pages("thanhvien05", lang, SIZES[size])
    for meeting, quorum, people in ((session.small, "20/27", "20/29"), (session.big, "105/118", "105/120")):
        where = f"live {quorum} {lang} {size}"
        _live(page, meeting)
        assert page.evaluate(NO_SIDEWAYS), f"{where}: the page scrolls sideways"
        assert _one_line_and_whole(page, "[data-testid=quorum-count]", where) == [quorum]
        # the label beside it is whole (it may wrap, it is not cut with "…")
        label = page.locator("#quorum .quorum-line h2")
        assert label.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), f"{where}: quorum label cut off"
        assert label.evaluate(WHOLE), where
        assert people in _one_line_and_whole(page, ".tab .count", where)
        # every tab shows its label and count on one line, all five side by side with no hidden one
        _one_line_and_whole(page, ".tabs .tab", where)
        tabs = page.locator("#tabs")
        assert tabs.evaluate("(e) => e.scrollWidth <= e.clientWidth + 1"), f"{where}: a tab is pushed out of view"
        page.get_by_test_id("tab-people").click()
        expect(page.locator("#panel-people")).to_be_visible()
        _one_line_and_whole(page, "#online-count", where)
        assert page.evaluate(NO_SIDEWAYS), f"{where}: the participants list scrolls sideways"
        shot_path = shot(_Shot(page), f"fit-live-{quorum.replace('/', 'of')}-{lang}-{size}")
        assert shot_path.exists()
        page.get_by_test_id("tab-agenda").click()


class _Shot:
    """shot() takes something with a .page."""

    def __init__(self, page: Page) -> None:
        self.page = page


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_hall_display_counts_stay_whole(session: Session, pages, lang: str, size: str) -> None:
    page = pages(None, lang, SIZES[size])
    page.goto(session.big_display)
    expect(page.locator("#quorum-total")).to_have_text("118")
    where = f"display {lang} {size}"
    assert page.evaluate(NO_SIDEWAYS), where
    assert _one_line_and_whole(page, ".d-quorum-count", where) == ["105/118"]
    _one_line_and_whole(page, ".d-time", where)
    shot(_Shot(page), f"fit-display-{lang}-{size}")


NOTES = {
    "vi": {
        "number": "Số, ký hiệu do sổ đăng ký cấp khi chốt biên bản (không sửa)",
        "place_date": "Địa danh và ngày cấp số khi chốt biên bản (không sửa)",
        "figures": "Tính tự động từ điểm danh và thành phần cuộc họp (không sửa)",
        "votes": "Ghi nhận tự động từ kết quả biểu quyết (không sửa)",
        "generated": "Sinh tự động",
    },
    "en": {
        "number": "Number and symbol given by the register when the minutes are finalised (not editable)",
        "place_date": "Place name and the date the number is given at finalisation (not editable)",
        "figures": "Counted from the attendance and the list of participants (not editable)",
        "votes": "Recorded from the vote results (not editable)",
        "generated": "Generated",
    },
}


def _notes(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-testid=section]')].map((s) => "
        "[s.dataset.key, s.querySelector('[data-testid=section-source]').textContent]))"
    )


def _expected(key: str, lang: str, finalised: bool) -> str:
    if key.endswith(":votes"):
        return NOTES[lang]["votes"]
    if key in ("place_date", "figures") or (key == "number" and finalised):
        return NOTES[lang][key]
    return NOTES[lang]["generated"]


def test_minutes_notes_name_each_source(session: Session, pages) -> None:
    staff = {lang: pages("vanphong", lang, LANDSCAPE) for lang in LANGS}
    for finalised in (False, True):
        if finalised:
            staff["vi"].get_by_test_id("btn-finalise").click()
            staff["vi"].get_by_test_id("confirm-ok").click()
            expect(staff["vi"].get_by_test_id("minutes-state")).to_have_attribute("data-state", "final")
        for lang, page in staff.items():
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                page.goto(f"/meetings/{session.ended}/minutes")
                expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")
                expect(page.get_by_test_id("section").first).to_be_visible()
                notes = _notes(page)
                assert {"number", "place_date", "figures"} <= notes.keys()
                assert any(k.endswith(":votes") for k in notes), notes.keys()
                assert notes == {k: _expected(k, lang, finalised) for k in notes}, (lang, finalised)
                # the vote's note is not given to what no vote produced
                assert sum(v == NOTES[lang]["votes"] for v in notes.values()) == 1
                assert page.evaluate(NO_SIDEWAYS), f"minutes {lang} {size}"
                page.locator("[data-key=figures]").scroll_into_view_if_needed()
                shot(_Shot(page), f"fit-minutes-{'final' if finalised else 'draft'}-{lang}-{size}")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("size", SIZES)
def test_workdays_long_holiday_names_wrap(session: Session, pages, lang: str, size: str) -> None:
    page = pages("vanphong", lang, SIZES[size])
    page.goto("/workdays?year=2026")
    table = page.get_by_test_id("workdays-off")
    expect(table).to_be_visible()
    where = f"workdays {lang} {size}"
    assert page.evaluate(NO_SIDEWAYS), f"{where}: the page scrolls sideways"
    longest = table.evaluate(
        "(t) => Math.max(...[...t.querySelectorAll('td:last-child')].map((td) => td.textContent.trim().length))"
    )
    assert longest > 60, "the calendar has a long holiday name (a day off in lieu)"
    assert table.evaluate(
        "(t) => { const c = t.closest('.card').getBoundingClientRect(); return [...t.querySelectorAll('td')]"
        ".every((td) => td.getBoundingClientRect().right <= c.right + 1 && td.scrollWidth <= td.clientWidth + 1); }"
    ), f"{where}: a cell runs past the card"
    shot(_Shot(page), f"fit-workdays-{lang}-{size}")
