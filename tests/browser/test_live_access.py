"""A member whose invitation is withdrawn while the live page is open: the page says so and stops following
the meeting (meeting.access_revoked, docs/realtime-protocol.md)."""

from __future__ import annotations

from playwright.sync_api import expect

MEETING = 1


def test_a_removed_member_sees_that_the_meeting_is_no_longer_theirs(tablet) -> None:
    member = tablet("thanhvien20").open_live(MEETING)
    staff = tablet("vanphong")
    me = member.api("GET", "/api/me").json()["user"]["id"]
    seq = member.page.get_attribute("#live", "data-seq")
    assert staff.api("DELETE", f"/api/meetings/{MEETING}/participants/{me}").status == 204
    error = member.page.locator("#join-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("Bạn không còn quyền theo dõi cuộc họp này.")
    assert staff.api("PATCH", f"/api/meetings/{MEETING}", {"place": "Phòng họp khác"}).status == 200
    expect(member.page.locator("#live")).to_have_attribute("data-seq", seq)  # nothing more arrives
