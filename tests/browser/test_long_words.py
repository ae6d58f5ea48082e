"""A title made of one very long word (a reference number, a URL pasted as a title) wraps inside its card: no page
is wider than the tablet, the buttons stay on screen, in landscape and in portrait (screenshots kept)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.browser.conftest import new_meeting
from tests.browser.test_tablet_viewer import LANDSCAPE, PORTRAIT, shot

WORD = "Số" + "0123456789" * 28  # 282 letters, no space (a title holds 300)


def test_a_very_long_word_wraps_on_every_page(tablet, server) -> None:
    meeting = new_meeting(server)
    staff = tablet("vanphong")
    r = staff.api("PATCH", f"/api/meetings/{meeting}", {"title": WORD})
    assert r.status == 200, r.text()
    r = staff.api("PATCH", f"/api/meetings/{meeting}/agenda/{meeting.item_ids[0]}", {"title": WORD})
    assert r.status == 200, r.text()
    deadline = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    poll = staff.api(
        "POST",
        "/api/polls",
        {"title": WORD, "summary": WORD, "questions": [{"text": WORD}], "deadline_at": deadline},
    )
    assert poll.status == 201, poll.text()
    pages = ["/meetings", f"/meetings/{meeting}", f"/meetings/{meeting}/edit", "/polls", f"/polls/{poll.json()['id']}"]
    for size_name, size in (("landscape", LANDSCAPE), ("portrait", PORTRAIT)):
        staff.page.set_viewport_size(size)
        for i, path in enumerate(pages):
            staff.page.goto(path)
            staff.page.wait_for_load_state("networkidle")
            width = staff.page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
            assert width[0] <= width[1], (path, size_name, width)
            shot(staff, f"long-word-{size_name}-{i}")
