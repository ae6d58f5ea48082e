"""The one live connection (frontend/static/js/live-connection.js) on the live page, the minutes page and the
hall display: with the socket cut, the meeting moves on; once the socket is back each page catches up without a
reload and shows what a page opened afresh shows. A seq gap (an event lost on the way) is filled by meeting:sync
without a new join."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import start_meeting

CONCLUSION = "Chính phủ thống nhất thông qua; giao Bộ Tài chính hoàn thiện hồ sơ trước ngày 15/12."
SECTION_TEXT = "Thành phần: đủ số thành viên Chính phủ theo quy chế (đã sửa khi mất kết nối)."

# Each page names its connection and its root element.
LIVE = ("ecabinetLive", "#live")
MINUTES = ("ecabinetMinutes", "#minutes")
DISPLAY = ("ecabinetDisplay", "#display")


class Cut:
    """One browser context's network: `drop` takes it away (the tablet loses its Wi-Fi: the socket goes and
    every new connection fails) after dropping the page's socket transport; `restore` brings it back."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def drop(self, page: Page, hook: str) -> None:
        self.context.set_offline(True)
        page.evaluate("(hook) => window[hook].socket.io.engine.close()", hook)

    def restore(self) -> None:
        self.context.set_offline(False)


def connected(page: Page, root: str, timeout: float = 5000) -> None:
    expect(page.locator(root)).to_have_attribute("data-connected", "true", timeout=timeout)


def state_of(page: Page, hook: str) -> str:
    return json.dumps(page.evaluate(f"window.{hook}.live.state"), sort_keys=True)


def stats(page: Page, hook: str) -> dict[str, int]:
    return page.evaluate(f"({{ ...window.{hook}.conn.stats }})")


LIVE_VIEW = """() => ({
  seq: document.querySelector('#live').dataset.seq,
  state: document.querySelector('[data-testid=meeting-state]').dataset.state,
  current: document.querySelector('[data-testid=current-item]').textContent,
  agenda: [...document.querySelectorAll('[data-testid=agenda-item]')].map((li) => li.dataset.state),
  quorum: document.querySelector('[data-testid=quorum-count]')?.textContent,
  attendance: [...document.querySelectorAll('[data-testid=attendee]')]
    .map((li) => li.dataset.userId + ':' + li.dataset.attendance),
  conclusion: document.querySelector('#conclusion-view').innerText,
})"""

MINUTES_VIEW = """() => ({
  state: document.querySelector('[data-testid=minutes-state]').dataset.state,
  status: document.querySelector('[data-testid=minutes-state]').textContent,
  signers: [...document.querySelectorAll('#signers li')].map((li) => li.textContent),
  sections: [...document.querySelectorAll('[data-testid=section]')].map((w) =>
    [w.dataset.key, w.querySelector('textarea, input').value, w.className,
     w.querySelector('textarea, input').readOnly]),
  hidden: ['btn-finalise', 'btn-sign', 'btn-new-version', 'conclusions-card', 'signed-download']
    .map((id) => document.getElementById(id).hidden),
})"""

DISPLAY_VIEW = """() => Object.fromEntries(['meeting-title', 'item-title', 'item-step', 'speaker-name',
  'quorum-present', 'quorum-state', 'conclusion-text'].map((id) => [id, document.getElementById(id).textContent])
  .concat([['state', document.querySelector('#display').dataset.meetingState],
           ['conclusion', document.getElementById('conclusion').hidden]]))"""


DROP_NEXT = """(hook) => {
  // The next seq-numbered event is lost on the way to this page (as a broken delivery would lose it).
  const socket = window[hook].socket;
  const deliver = socket.emitEvent.bind(socket);
  window.__dropped = null;
  socket.emitEvent = (args) => {
    if (window.__dropped === null && args[0] === 'event' && typeof args[1]?.seq === 'number') {
      window.__dropped = args[1].seq;
      return;
    }
    deliver(args);
  };
}"""


def test_a_seq_gap_is_filled_by_sync(tablet, server: str, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong")
    member = tablet("thanhvien07").open_live(meeting)
    secretariat = tablet("vanphong", f"/meetings/{meeting}/minutes")
    expect(secretariat.page.locator("#minutes")).to_have_attribute("data-ready", "true")
    token = secretariat.api("POST", f"/api/meetings/{meeting}/display-tokens").json()
    hall = tablet()
    hall.page.goto(token["url"])
    expect(hall.page.locator("#display")).to_have_attribute("data-ready", "true")
    pages = [(member, LIVE), (secretariat, MINUTES), (hall, DISPLAY)]
    before = {}
    for t, (hook, root) in pages:
        connected(t.page, root)
        t.page.evaluate(DROP_NEXT, hook)
        before[hook] = stats(t.page, hook)

    # Two changes: every page loses the first event and, seeing the second's seq jump, asks for what it missed.
    other = tablet("thanhvien08")
    assert other.api("POST", f"/api/meetings/{meeting}/attendance/check-in", {}).ok
    uid = other.api("GET", "/api/me").json()["user"]["id"]
    for t, _ in pages:
        t.page.wait_for_function("() => window.__dropped !== null")
    assert chair.api("POST", f"/api/meetings/{meeting}/speakers", {"user_id": uid}).status == 201
    chair_seq = chair.api("GET", f"/api/meetings/{meeting}/snapshot").json()["seq"]

    for t, (hook, _) in pages:
        t.page.wait_for_function("([hook, seq]) => window[hook].live.seq >= seq", arg=[hook, chair_seq])
        after = stats(t.page, hook)
        assert after["syncs"] >= before[hook]["syncs"] + 1, (hook, after)
        assert after["joins"] == before[hook]["joins"], (hook, after)  # no new join: meeting:sync filled the gap
        assert after["snapshots"] == before[hook]["snapshots"], (hook, after)  # the events themselves, replayed
    expect(member.page.locator(f"[data-testid=attendee][data-user-id='{uid}']")).to_have_attribute(
        "data-attendance", "present_room"
    )
    expect(hall.page.get_by_test_id("speaker-name")).to_have_text(
        other.api("GET", "/api/me").json()["user"]["full_name"]
    )

    fresh = tablet("thanhvien07").open_live(meeting)
    assert state_of(member.page, LIVE[0]) == state_of(fresh.page, LIVE[0])


def test_pages_catch_up_after_the_socket_was_cut(tablet, server: str, meeting) -> None:
    start_meeting(server, meeting)
    chair = tablet("thutuong")
    staff = tablet("vanphong")

    member = tablet()
    member_cut = Cut(member.context)
    member.login("thanhvien05").open_live(meeting)

    secretariat = tablet()
    minutes_cut = Cut(secretariat.context)
    secretariat.login("vanphong", f"/meetings/{meeting}/minutes")
    expect(secretariat.page.locator("#minutes")).to_have_attribute("data-ready", "true")

    token = staff.api("POST", f"/api/meetings/{meeting}/display-tokens").json()
    hall = tablet()
    hall_cut = Cut(hall.context)
    hall.page.goto(token["url"])
    expect(hall.page.locator("#display")).to_have_attribute("data-ready", "true")

    pages = [(member, member_cut, LIVE), (secretariat, minutes_cut, MINUTES), (hall, hall_cut, DISPLAY)]
    for t, _, (_, root) in pages:
        connected(t.page, root)
        t.page.evaluate("window.__noReload = true")
    joins = {hook: stats(t.page, hook)["joins"] for t, _, (hook, _) in pages}
    seq_before = int(member.page.get_attribute("#live", "data-seq"))

    for t, cut, (hook, root) in pages:
        cut.drop(t.page, hook)
        expect(t.page.locator(root)).to_have_attribute("data-connected", "false")
    expect(member.page.get_by_test_id("offline-banner")).to_be_visible()
    expect(secretariat.page.get_by_test_id("offline-banner")).to_be_visible()
    for size, name in (({"width": 1024, "height": 768}, "landscape"), ({"width": 768, "height": 1024}, "portrait")):
        secretariat.page.set_viewport_size(size)
        secretariat.page.screenshot(path=f"/tmp/ecabinet-minutes-offline-{name}.png")
        member.page.set_viewport_size(size)
        member.page.screenshot(path=f"/tmp/ecabinet-live-offline-{name}.png")
    hall.page.screenshot(path="/tmp/ecabinet-display-offline.png")

    # Meanwhile: the next item, a member checks in, a conclusion is written and published, a section of the
    # minutes is edited, the meeting ends and the minutes are finalised.
    assert chair.api("POST", f"/api/meetings/{meeting}/next").ok
    assert tablet("thanhvien06").api("POST", f"/api/meetings/{meeting}/attendance/check-in", {}).ok
    item = chair.api("GET", f"/api/meetings/{meeting}/snapshot").json()["snapshot"]["meeting"]["current_item_id"]
    saved = staff.api(
        "PUT", f"/api/meetings/{meeting}/agenda/{item}/conclusion", {"text": CONCLUSION, "base_revision": 0}
    )
    assert saved.ok, saved.text()
    assert staff.api("POST", f"/api/meetings/{meeting}/agenda/{item}/conclusion/publish", {"published": True}).ok
    assert chair.api("POST", f"/api/meetings/{meeting}/end").ok
    draft = staff.api("GET", f"/api/meetings/{meeting}/minutes").json()
    key = next(
        s["key"] for s in draft["sections"] if s["editable"] and s["multiline"]
    )  # not the number: finalising sets it
    edited = staff.api("PUT", f"/api/meetings/{meeting}/minutes/sections/{key}", {"text": SECTION_TEXT})
    assert edited.ok, edited.text()
    assert staff.api("POST", f"/api/meetings/{meeting}/minutes/finalise").ok
    expect(member.page.get_by_test_id("meeting-state")).to_have_attribute("data-state", "started")  # still stale

    for _, cut, _ in pages:
        cut.restore()
    for t, _, (_, root) in pages:
        connected(t.page, root, timeout=15000)
    expect(member.page.get_by_test_id("offline-banner")).to_be_hidden()
    expect(secretariat.page.get_by_test_id("offline-banner")).to_be_hidden()
    expect(member.page.get_by_test_id("meeting-state")).to_have_attribute("data-state", "ended")
    expect(secretariat.page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "final")
    expect(secretariat.page.locator(f"[data-key='{key}'] textarea")).to_have_value(SECTION_TEXT)
    expect(hall.page.locator("#display")).to_have_attribute("data-meeting-state", "ended")
    for t, _, (hook, _) in pages:
        assert t.page.evaluate("window.__noReload") is True  # caught up in place
        assert stats(t.page, hook)["joins"] == joins[hook] + 1  # by joining again on the new connection
    assert int(member.page.get_attribute("#live", "data-seq")) > seq_before

    # The same content as pages opened afresh.
    fresh_member = tablet("thanhvien05").open_live(meeting)
    assert state_of(member.page, LIVE[0]) == state_of(fresh_member.page, LIVE[0])
    assert member.page.evaluate(LIVE_VIEW) == fresh_member.page.evaluate(LIVE_VIEW)

    fresh_minutes = tablet("vanphong", f"/meetings/{meeting}/minutes")
    expect(fresh_minutes.page.locator("#minutes")).to_have_attribute("data-ready", "true")
    connected(fresh_minutes.page, MINUTES[1])
    expect(fresh_minutes.page.get_by_test_id("minutes-state")).to_have_attribute("data-state", "final")
    assert state_of(secretariat.page, MINUTES[0]) == state_of(fresh_minutes.page, MINUTES[0])
    assert secretariat.page.evaluate(MINUTES_VIEW) == fresh_minutes.page.evaluate(MINUTES_VIEW)

    fresh_hall = tablet()
    fresh_hall.page.goto(token["url"])
    expect(fresh_hall.page.locator("#display")).to_have_attribute("data-ready", "true")
    assert state_of(hall.page, DISPLAY[0]) == state_of(fresh_hall.page, DISPLAY[0])
    assert hall.page.evaluate(DISPLAY_VIEW) == fresh_hall.page.evaluate(DISPLAY_VIEW)

    # The transport drops with no network change the browser would notice: socket.io reconnects by itself and
    # the display joins again on the new connection.
    hall_joins = stats(hall.page, DISPLAY[0])["joins"]
    hall.page.evaluate("() => window.ecabinetDisplay.socket.io.engine.close()")
    hall.page.wait_for_function("(n) => window.ecabinetDisplay.conn.stats.joins > n", arg=hall_joins, timeout=15000)
    connected(hall.page, DISPLAY[1])
    assert hall.page.evaluate(DISPLAY_VIEW) == fresh_hall.page.evaluate(DISPLAY_VIEW)
