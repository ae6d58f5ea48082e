"""Every main page at 1024×768 (landscape) and 768×1024 (portrait), in its main states, saved as screenshots under
tmp/artefacts/screens (ECABINET_SHOTS), with what a person would check: nothing runs off the side, the header and
the tabs stay on one line, the vote's choices are on screen when it opens, the speaker sees that they have the
floor, no two cards of the hall display overlap, and no control is offered that the server would refuse. Live
events update the page in place: the control under the keyboard keeps the focus."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot, wrapped
from tests.browser.test_tablet_vote import inside_viewport
from tests.browser.test_viewer import _upload

MEETING = 1
SIZES = {"landscape": LANDSCAPE, "portrait": PORTRAIT}
# (the header's name link is the name over the title: its name is checked)
ONE_LINE = ".site-nav a:not(.who), .site-nav button, .who strong, .brand-short, .tab, #meeting-title"


def _fits(t, name: str) -> None:
    """Nothing wider than the screen, no header text or tab on two lines; then the screenshot."""
    page = t.page
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"), f"{name}: wider than the screen"
    assert wrapped(t, ONE_LINE) == [], name
    tabs = page.evaluate(
        "() => [...document.querySelectorAll('.tabs .tab')].filter((e) => e.offsetParent).map((e) => "
        "Math.round(e.getBoundingClientRect().top))"
    )
    assert len(set(tabs)) <= 1, (name, tabs)  # the tabs on one row
    shot(t, name)


def _sized(t, size: dict) -> None:
    t.page.set_viewport_size(size)
    t.page.wait_for_function("(w) => innerWidth === w", arg=size["width"])


def _check_in(t) -> None:
    assert t.api("POST", f"/api/meetings/{MEETING}/attendance/check-in", {"attendance": "present_room"}).status == 200


def _seq(t) -> int:
    return int(t.page.locator("#live").get_attribute("data-seq"))


def _after_event(t, seq: int) -> None:
    t.page.wait_for_function("(s) => Number(document.getElementById('live').dataset.seq) > s", arg=seq)


def _no_refused_controls_for_a_member(t) -> None:
    """A member is offered none of the conductor's controls (the server refuses them to a member)."""
    page = t.page
    for testid in (
        "btn-start",
        "btn-next",
        "btn-prev",
        "btn-end",
        "btn-grant-next",
        "btn-grant",
        "rtc-mute",
        "rtc-remove",
        "vote-open",
        "vote-close",
    ):
        expect(page.locator(f"[data-testid={testid}]:visible")).to_have_count(0)


def test_every_page_in_its_main_states(tablet) -> None:
    chair = tablet("thutuong")
    staff = tablet("vanphong")
    member = tablet("thanhvien05")

    # Home, before the session.
    for label, size in SIZES.items():
        _sized(member, size)
        member.page.goto("/meetings")
        expect(member.page.get_by_test_id("nav-meetings")).to_be_visible()
        _fits(member, f"home-{label}")

    assert chair.api("POST", f"/api/meetings/{MEETING}/start", {"force": True}).ok
    for username in ("thanhvien01", "thanhvien02", "thanhvien03"):
        _check_in(tablet(username))
    _check_in(member)
    _sized(member, LANDSCAPE)
    member.open_live(MEETING)
    portrait = tablet("thanhvien06")
    _check_in(portrait)
    _sized(portrait, PORTRAIT)
    portrait.open_live(MEETING)

    # Update in place: the member's keyboard is on "ask to speak"; others check in and ask to speak meanwhile.
    ask = member.page.get_by_test_id("btn-speak-request")
    expect(ask).to_be_enabled()
    ask.focus()
    member.page.evaluate("() => { window.focusedBefore = document.activeElement; }")
    seq = _seq(member)
    _check_in(tablet("thanhvien07"))
    _after_event(member, seq)
    seq = _seq(member)
    assert tablet("thanhvien01").api("POST", f"/api/meetings/{MEETING}/speakers", {}).status == 201
    _after_event(member, seq)
    expect(member.page.get_by_test_id("speaker-strip")).to_contain_text("1")
    assert member.page.evaluate(
        "() => document.activeElement === window.focusedBefore && window.focusedBefore.isConnected"
    )
    # The same on the documents tab: the keyboard is on a document when another one is added.
    item_id = chair.api("GET", f"/api/meetings/{MEETING}").json()["current_item_id"]
    _upload(staff, MEETING, pages=2, agenda_item_id=str(item_id), title="Tờ trình dự toán ngân sách nhà nước năm 2027")
    member.page.get_by_test_id("tab-documents").tap()
    link = member.page.get_by_test_id("doc-link")
    expect(link).to_have_count(1)
    link.focus()
    member.page.evaluate("() => { window.focusedBefore = document.activeElement; }")
    _upload(staff, MEETING, pages=2, agenda_item_id=str(item_id), title="Báo cáo thẩm tra của Bộ Tư pháp")
    expect(link).to_have_count(2)
    assert member.page.evaluate(
        "() => document.activeElement === window.focusedBefore && window.focusedBefore.isConnected"
    )
    member.page.get_by_test_id("tab-agenda").tap()
    for t, label in ((member, "landscape"), (portrait, "portrait")):
        _no_refused_controls_for_a_member(t)
        _fits(t, f"live-member-{label}")

    # A vote opens: the choices are on screen on both tablets at once.
    question = "Thông qua dự toán ngân sách nhà nước năm 2027 và phương án phân bổ ngân sách trung ương"
    vote = chair.api("POST", f"/api/meetings/{MEETING}/votes", {"agenda_item_id": item_id, "question": question}).json()
    assert chair.api("POST", f"/api/votes/{vote['id']}/open", {"force": True}).status == 200
    for t, label in ((member, "landscape"), (portrait, "portrait")):
        sheet = t.page.get_by_test_id("vote-sheet")
        expect(sheet).to_be_visible()
        inside_viewport(t.page, sheet.get_by_test_id("sheet-option"), at_top=False)
        _fits(t, f"live-vote-open-{label}")
        t.page.get_by_test_id("sheet-option").first.tap()
        t.page.get_by_test_id("confirm-ok").tap()
        expect(t.page.get_by_test_id("vote-recorded")).to_be_visible()
    assert chair.api("POST", f"/api/votes/{vote['id']}/close").status == 200
    assert chair.api("POST", f"/api/votes/{vote['id']}/publish").status == 200

    # The floor is given to the member: they see it at once, and the timer.
    me = member.api("GET", "/api/me").json()["user"]["id"]
    assert chair.api("POST", f"/api/meetings/{MEETING}/speakers", {"user_id": me}).status == 201
    now = member.page.get_by_test_id("speaker-now")
    expect(now).to_have_attribute("data-user-id", str(me))
    inside_viewport(member.page, now, at_top=False)
    _fits(member, "live-floor-given-landscape")
    expect(portrait.page.get_by_test_id("speaker-now")).to_have_attribute("data-user-id", str(me))
    _fits(portrait, "live-floor-given-portrait")
    # The name is not squeezed into a column beside the timer and the button (as it was in portrait).
    assert wrapped(portrait, "[data-testid=speaker-now] .n") == []

    # The chair's live page: the console on screen in both orientations.
    chair.open_live(MEETING)
    for label, size in SIZES.items():
        _sized(chair, size)
        inside_viewport(chair.page, chair.page.locator("#btn-prev, #btn-next, #btn-end"), at_top=False)
        assert wrapped(chair, "[data-testid=speaker-now] .n, .quorum-line h2") == []
        _fits(chair, f"live-chair-{label}")

    # The hall display with every card: the speaker, the vote result, the conclusion, the queue.
    saved = chair.api(
        "PUT",
        f"/api/meetings/{MEETING}/agenda/{item_id}/conclusion",
        {"text": "Thống nhất thông qua dự toán ngân sách.", "base_revision": 0},
    )
    assert saved.status == 200, saved.text()
    assert (
        chair.api("POST", f"/api/meetings/{MEETING}/agenda/{item_id}/conclusion/publish", {"published": True}).status
        == 200
    )
    created = staff.api("POST", f"/api/meetings/{MEETING}/display-tokens")
    assert created.status == 201, created.text()
    screen = tablet()
    screen.page.goto(created.json()["url"])
    expect(screen.page.locator("#display")).to_have_class("screen has-speaker has-vote has-conclusion")
    for label, size in SIZES.items():
        _sized(screen, size)
        overlaps = screen.page.evaluate("""() => {
          const cards = [...document.querySelectorAll("header.d-head, .d-body .panel, footer.d-foot")]
            .filter((e) => e.getClientRects().length);
          const out = [];
          cards.forEach((a, i) => cards.slice(i + 1).forEach((b) => {
            const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
            if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1) {
              out.push(`${a.className} × ${b.className}`);
            }
          }));
          return { count: cards.length, out };
        }""")
        assert overlaps["count"] >= 5 and overlaps["out"] == [], (label, overlaps)
        shot(screen, f"display-all-cards-{label}")

    # After the session: the minutes, for the secretariat.
    assert chair.api("POST", f"/api/meetings/{MEETING}/end").ok
    staff.page.goto(f"/meetings/{MEETING}/minutes")
    expect(staff.page.locator("#minutes")).to_have_attribute("data-ready", "true")
    expect(staff.page.get_by_test_id("btn-finalise")).to_be_visible()
    for label, size in SIZES.items():
        _sized(staff, size)
        _fits(staff, f"minutes-{label}")
    # The member's live page after the end: nothing left to press that the server would refuse.
    expect(member.page.get_by_test_id("meeting-state")).to_have_text("Đã kết thúc")
    expect(member.page.get_by_test_id("btn-speak-request")).to_have_count(0)
    _no_refused_controls_for_a_member(member)
    member.page.evaluate("() => window.scrollTo(0, 0)")
    member.page.wait_for_function("() => window.scrollY === 0")
    _fits(member, "live-ended-landscape")
