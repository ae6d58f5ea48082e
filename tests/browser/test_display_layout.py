"""The room display lays out every combination of its cards without overlap or cut-off text, at 16:9
(1920x1080, 1280x720) and 4:3 (1024x768): the current item, the speaker with the timer, the vote (open with
its progress, closed, published with the result), the conclusion, the quorum and the queue, and the "not
started" / "ended" screens. The state is real (a session driven over REST); the combinations are that real
snapshot with cards taken away or their texts made long, given to the display's own reducer."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect

MEETING = 1
SHOTS = Path("/tmp/shots-tablet")
SIZES = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "1024x768": (1024, 768)}
LONG = (
    "Báo cáo tình hình thực hiện kế hoạch phát triển kinh tế - xã hội năm 2026, dự toán ngân sách nhà nước, "
    "phương án phân bổ ngân sách trung ương và kế hoạch đầu tư công trung hạn giai đoạn 2026-2030 của các bộ, "
    "cơ quan ngang bộ, cơ quan thuộc Chính phủ và các tỉnh, thành phố trực thuộc trung ương"
)

# Runs in the page: every combination of cards, each rendered by the display itself, then measured.
CHECK = """(base) => {
  const live = window.ecabinetDisplay.live;
  const long = base.long;
  const snap = base.snapshot;
  const clone = (x) => structuredClone(x);
  const votes = snap.votes.filter((v) => v.state === "published");
  const open = { ...clone(votes[0]), state: "open", result: null, tally: null, voted_count: 3, eligible_count: 27 };
  const closed = { ...clone(votes[0]), state: "closed", result: null, tally: null };
  const variants = [];
  for (const meeting of ["published", "started", "ended"]) {
    for (const speaker of [null, "limit", "free"]) {
      for (const vote of [null, "open", "closed", "result"]) {
        for (const conclusion of [false, true]) {
          for (const longText of [false, true]) {
            if (meeting !== "started" && (speaker || vote || conclusion)) continue;
            variants.push({ meeting, speaker, vote, conclusion, longText });
          }
        }
      }
    }
  }
  const failures = [];
  const cards = () => [...document.querySelectorAll("header.d-head, .d-body .panel, footer.d-foot")]
    .filter((el) => el.getClientRects().length && getComputedStyle(el).display !== "none");
  for (const v of variants) {
    const s = clone(snap);
    s.meeting.state = v.meeting;
    if (v.meeting === "published") s.meeting.current_item_id = null;
    if (v.meeting === "ended") s.meeting.current_item_id = null;
    const item = s.agenda.find((i) => i.id === s.meeting.current_item_id);
    if (v.longText) {
      s.meeting.title = long;
      if (item) { item.title = long; item.presenter = long.slice(0, 120); }
    }
    if (!v.speaker) s.speakers.current = null;
    else {
      s.speakers.current.limit_seconds = v.speaker === "limit" ? 300 : null;
      if (v.longText) {
        s.speakers.current.full_name = "Đồng chí Nguyễn Thị Thanh Hương Giang Lan Phương";
        s.speakers.current.title = long.slice(0, 90);
      }
    }
    s.votes = v.vote === null ? [] : [clone(v.vote === "open" ? open : v.vote === "closed" ? closed : votes[0])];
    if (v.longText) for (const x of s.votes) x.question = long;
    const c = s.conclusions.find((x) => x.agenda_item_id === s.meeting.current_item_id);
    if (!v.conclusion) s.conclusions = [];
    else if (v.longText && c) c.text = long + "\\n" + long + "\\n" + long;
    if (v.longText) for (const q of s.speakers.queue) q.title = long.slice(0, 100);
    live.reset(s, live.seq);
    const seen = cards();
    const name = JSON.stringify(v);
    for (const el of seen) {
      if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
        const size = `${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`;
        failures.push(`${name}: #${el.id || el.className} overflows (${size})`);
      }
      const r = el.getBoundingClientRect();
      if (r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.left < -0.5) {
        failures.push(`${name}: #${el.id || el.className} leaves the screen`);
      }
    }
    for (let i = 0; i < seen.length; i++) {
      for (let j = i + 1; j < seen.length; j++) {
        const a = seen[i].getBoundingClientRect(), b = seen[j].getBoundingClientRect();
        const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
          && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
        if (overlap) {
          failures.push(`${name}: #${seen[i].id || seen[i].className} overlaps #${seen[j].id || seen[j].className}`);
        }
      }
    }
    const expected = { speaker: !!v.speaker, vote: !!v.vote, conclusion: !!v.conclusion };
    const present = {
      speaker: !document.getElementById("speaker").classList.contains("idle"),
      vote: !document.getElementById("vote").hidden,
      conclusion: !document.getElementById("conclusion").hidden,
    };
    if (JSON.stringify(expected) !== JSON.stringify(present)) {
      failures.push(`${name}: cards shown ${JSON.stringify(present)}`);
    }
  }
  return { count: variants.length, failures };
}"""


def _all_cards(base) -> dict:
    snapshot = base.page.evaluate("() => structuredClone(window.ecabinetDisplay.live.state)")
    return {"snapshot": snapshot, "long": LONG}


def test_every_combination_of_cards_fits_at_16_9_and_4_3(tablet, server, tmp_path) -> None:
    chair = tablet("thutuong")
    staff = tablet("vanphong")
    created = staff.api("POST", f"/api/meetings/{MEETING}/display-tokens")
    assert created.status == 201, created.text()
    assert chair.api("POST", f"/api/meetings/{MEETING}/start", {"force": True}).status == 200
    # Three members ask to speak, the chair gives the floor to a fourth.
    for username in ("thanhvien01", "thanhvien02", "thanhvien03", "thanhvien04"):
        asker = tablet(username)
        assert (
            asker.api("POST", f"/api/meetings/{MEETING}/attendance/check-in", {"attendance": "present_room"}).status
            == 200
        )
        if username != "thanhvien04":
            assert asker.api("POST", f"/api/meetings/{MEETING}/speakers", {}).status == 201
    speaker_id = asker.api("GET", "/api/me").json()["user"]["id"]
    given = chair.api("POST", f"/api/meetings/{MEETING}/speakers", {"user_id": speaker_id})
    assert given.status == 201, given.text()
    # A vote opened without quorum (the chair forces it), one ballot, closed and published.
    item_id = chair.api("GET", f"/api/meetings/{MEETING}").json()["current_item_id"]
    vote = chair.api(
        "POST", f"/api/meetings/{MEETING}/votes", {"agenda_item_id": item_id, "question": "Thông qua dự toán ngân sách"}
    ).json()
    assert chair.api("POST", f"/api/votes/{vote['id']}/open", {"force": True}).status == 200
    voter = tablet("thanhvien01")
    yes = next(o["id"] for o in vote["options"] if o["kind"] == "yes")
    assert voter.api("POST", f"/api/votes/{vote['id']}/ballots", {"option_id": yes}).status == 200
    assert chair.api("POST", f"/api/votes/{vote['id']}/close").status == 200
    assert chair.api("POST", f"/api/votes/{vote['id']}/publish").status == 200
    saved = chair.api(
        "PUT",
        f"/api/meetings/{MEETING}/agenda/{item_id}/conclusion",
        {"text": "Thống nhất thông qua dự toán.", "base_revision": 0},
    )
    assert saved.status == 200, saved.text()
    assert (
        chair.api("POST", f"/api/meetings/{MEETING}/agenda/{item_id}/conclusion/publish", {"published": True}).status
        == 200
    )

    screen = tablet()
    screen.page.goto(created.json()["url"])
    page = screen.page
    expect(page.locator("#display")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("conclusion")).to_be_visible()
    expect(page.get_by_test_id("vote-verdict")).to_be_visible()
    expect(page.locator("#display")).to_have_class("screen has-speaker has-vote has-conclusion")
    expect(page.get_by_test_id("queue").locator("li")).to_have_count(3)
    base = _all_cards(screen)

    SHOTS.mkdir(exist_ok=True)
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_function("(w) => innerWidth === w", arg=width)
        result = page.evaluate(CHECK, base)
        assert (
            result["count"] == 2 + 2 + 3 * 4 * 2 * 2
        )  # not started, ended; started: speaker x vote x conclusion x long texts
        assert result["failures"] == [], "\n".join(result["failures"][:20])
        # The screen with every card (long texts), as a person in the hall sees it.
        page.evaluate(
            """({ snapshot, long }) => {
          const s = structuredClone(snapshot);
          s.agenda.find((i) => i.id === s.meeting.current_item_id).title = long;
          s.conclusions[0].text = long + "\\n" + long;
          window.ecabinetDisplay.live.reset(s, window.ecabinetDisplay.live.seq);
        }""",
            base,
        )
        shot = tmp_path / f"display-all-{label}.png"
        page.screenshot(path=str(shot))
        shutil.copy(shot, SHOTS / shot.name)
