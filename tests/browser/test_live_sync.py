"""Losing the network on a tablet, the seq bookkeeping of live-state.js, and its parity with meetings/reducer.py."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from meetings.reducer import apply_event

MEETING = 1  # the demo's meeting, for the tests that only need a live page open (they change nothing)


def test_offline_banner_and_catch_up(tablet, meeting) -> None:
    chair = tablet("thutuong").open_live(meeting)
    chair.page.get_by_test_id("btn-start").tap()
    chair.page.get_by_test_id("confirm-ok").tap()  # no quorum yet: the warning is confirmed
    expect(chair.page.get_by_test_id("meeting-state")).to_have_text("Đang họp")

    member = tablet("thanhvien11").open_live(meeting)
    page = member.page
    page.evaluate("window.__noReload = true")
    banner = page.get_by_test_id("offline-banner")
    expect(banner).to_be_hidden()
    expect(page.locator("[data-testid=agenda-item]").nth(0)).to_have_attribute("data-state", "current")

    member.context.set_offline(True)
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Mất kết nối — đang kết nối lại…")
    expect(banner).to_have_attribute("role", "alert")
    page.screenshot(path="/tmp/ecabinet-offline.png")

    # Things happen while the tablet is away.
    chair.page.get_by_test_id("btn-next").tap()
    expect(chair.page.get_by_test_id("agenda-item").nth(1)).to_have_attribute("data-state", "current")
    chair.page.get_by_test_id("btn-next").tap()
    expect(chair.page.get_by_test_id("agenda-item").nth(2)).to_have_attribute("data-state", "current")
    expect(page.get_by_test_id("agenda-item").nth(0)).to_have_attribute("data-state", "current")  # still stale

    member.context.set_offline(False)
    expect(banner).to_be_hidden()
    expect(page.get_by_test_id("agenda-item").nth(2)).to_have_attribute("data-state", "current")
    expect(page.get_by_test_id("current-item")).to_have_text(chair.page.get_by_test_id("current-item").inner_text())
    assert page.evaluate("window.__noReload") is True
    chair_seq = chair.page.get_attribute("#live", "data-seq")
    expect(page.locator("#live")).to_have_attribute("data-seq", chair_seq)

    # Still live after the reconnect.
    chair.page.get_by_test_id("btn-prev").tap()
    expect(page.get_by_test_id("agenda-item").nth(1)).to_have_attribute("data-state", "current")


SEQ_SCRIPT = """
async () => {
  const { LiveState } = await import('/static/js/live-state.js');
  const gaps = [];
  const changes = [];
  const ls = new LiveState({
    onChange: (s, info) => changes.push(info.events.map((e) => e.seq)),
    onGap: (seq) => gaps.push(seq),
    gapWaitMs: 50,
  });
  const ev = (seq, title) => ({ seq, type: 'meeting.updated', data: { meeting: { id: 1, title } } });
  ls.push(ev(3, 'early'));                    // before the snapshot: buffered
  ls.reset({ meeting: { id: 1, title: 'snap' }, agenda: [] }, 2);
  const afterReset = ls.state.meeting.title;  // 3 applied on top of the snapshot at 2
  ls.push(ev(3, 'dup'));                      // already applied: ignored
  ls.push(ev(5, 'five'));                     // gap: 4 is missing
  const beforeSync = ls.seq;
  await new Promise((r) => setTimeout(r, 120));
  ls.applySync({ events: [ev(4, 'four'), ev(5, 'five')], seq: 5 });
  const afterSync = [ls.seq, ls.state.meeting.title];
  ls.applySync({ snapshot: { meeting: { id: 1, title: 'fresh' }, agenda: [] }, seq: 9 });
  return { afterReset, beforeSync, gaps, afterSync, final: [ls.seq, ls.state.meeting.title], changes };
}
"""


def test_live_state_sequencing(tablet) -> None:
    member = tablet("thanhvien12").open_live(MEETING)
    result = member.page.evaluate(SEQ_SCRIPT)
    assert result["afterReset"] == "early"
    assert result["beforeSync"] == 3
    assert result["gaps"] == [3]  # asked once, after the wait, for what follows seq 3
    assert result["afterSync"] == [5, "five"]
    assert result["final"] == [9, "fresh"]


REDUCER_CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (
        {
            "meeting": {"id": 1, "state": "published"},
            "agenda": [{"id": 1}],
            "participants": [{"user_id": 3, "attendance": "unknown"}, {"user_id": 4, "attendance": "unknown"}],
            "quorum": {"present": 0},
        },
        {
            "seq": 1,
            "type": "attendance.changed",
            "data": {
                "participant": {"user_id": 4, "attendance": "present_room"},
                "quorum": {"present": 1},
                "by": {"user_id": 4},
            },
        },
    ),
    (
        {"meeting": {"id": 1}, "agenda": [], "participants": [], "quorum": {}, "votes": [{"id": 9}]},
        {"seq": 2, "type": "vote.opened", "data": {"votes": [{"id": 9, "state": "open"}], "unknown_slice": [1]}},
    ),
    (
        {"meeting": {"id": 1, "current_item_id": None}, "agenda": [{"id": 1, "state": "pending"}]},
        {
            "seq": 3,
            "type": "agenda.current_changed",
            "data": {
                "meeting": {"id": 1, "current_item_id": 1},
                "agenda": [{"id": 1, "state": "current"}],
                "previous_item_id": None,
            },
        },
    ),
    ({"meeting": {"id": 1}}, {"seq": 4, "type": "noop", "data": None}),
]


def test_reducer_matches_python(tablet) -> None:
    member = tablet("thanhvien13").open_live(MEETING)
    got = member.page.evaluate(
        """async (cases) => {
            const { applyEvent } = await import('/static/js/live-state.js');
            return cases.map(([state, event]) => applyEvent(state, event));
        }""",
        REDUCER_CASES,
    )
    want = [apply_event(state, event) for state, event in REDUCER_CASES]
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
