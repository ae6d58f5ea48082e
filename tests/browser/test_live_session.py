"""A cabinet session on tablets: votes (open with and without quorum, live tally, secret ballot, result on the
room display), the speaker queue with its timer, documents, remote-join permissions, minutes/display tools.

The tests of this module share one demo server, each with a meeting of its own (the `meeting` fixture). The first
starts it through the chair's console; every other one starts it and checks in a quorum through `in_session`."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from app.demo.seed import DEMO_TRUSTEE_PASSPHRASE
from tests.browser.conftest import ceremony_over_api, start_meeting
from tests.doc_helpers import make_pdf

PASSWORD = "demo"
YES, NO, ABSTAIN = "Tán thành", "Không tán thành", "Không biểu quyết"


def check_in_members(base: str, meeting: int, usernames: list[str], attendance: str = "present_room") -> None:
    """Members check themselves in over REST (quorum needs 2/3 of the 27 members present)."""
    for username in usernames:
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert login.status_code == 200, login.text
            token = login.json()["csrf_token"]
            r = client.post(
                f"/api/meetings/{meeting}/attendance/check-in",
                json={"attendance": attendance},
                headers={"X-CSRF-Token": token},
            )
            assert r.status_code == 200, r.text


def in_session(base: str, meeting: int) -> None:
    """The meeting started, with 18 of its 27 members checked in (a quorum)."""
    start_meeting(base, meeting)
    check_in_members(base, meeting, [f"thanhvien{i:02d}" for i in range(1, 19)])


# The choice as the member sees it: on the sheet while it is over the page (a vote that has just opened),
# else on the vote card. One locator for both, re-resolved by Playwright until the tap lands.
CHOICES = (
    "#live:has(dialog[open]) [data-testid=sheet-option], #live:not(:has(dialog[open])) [data-testid=vote-card] "
    "[data-testid=vote-option]"
)


def option(t, label: str):
    return t.page.locator(CHOICES).filter(has_text=re.compile(f"^(✓ )?{label}$"))


KIND = {YES: "yes", NO: "no", ABSTAIN: "abstain"}


def tally(t, label: str):
    return t.page.get_by_test_id("vote-card").locator(f"[data-testid=tally-row].k-{KIND[label]}")


def cast(t, label: str) -> None:
    option(t, label).tap()
    t.page.get_by_test_id("confirm-ok").tap()
    expect(t.page.get_by_test_id("vote-recorded")).to_contain_text(f"Đã ghi nhận phiếu của bạn: {label}")


def decrypt_in_ui(t, secret: str = DEMO_TRUSTEE_PASSPHRASE) -> None:
    """A key holder's step at close: the button, their trustee passphrase (the demo's key holders': app/demo/seed.py;
    a legacy key's: the sign-in password), done."""
    t.page.get_by_test_id("ballot-decrypt").tap()
    t.page.get_by_test_id("password-input").fill(secret)
    t.page.get_by_test_id("password-ok").tap()
    expect(t.page.get_by_test_id("ballot-decrypt")).to_have_count(0)


def create_vote_in_ui(chair, question: str, kind: str = "open") -> None:
    page = chair.page
    page.get_by_test_id("tab-votes").tap()
    page.locator("[data-testid=vote-new] > summary").tap()
    page.get_by_test_id("vote-question-input").fill(question)
    page.get_by_test_id("vote-kind").select_option(kind)
    expect(page.get_by_test_id("vote-rule")).to_have_value("all_members")
    page.get_by_test_id("vote-create").tap()
    expect(page.get_by_test_id("vote-row").filter(has_text=question)).to_have_attribute("data-state", "draft")


def test_open_without_quorum_warns_the_chair(tablet, meeting) -> None:
    chair = tablet("thutuong").open_live(meeting)
    chair.page.get_by_test_id("btn-start").tap()
    chair.page.get_by_test_id("confirm-ok").tap()  # no quorum yet: the warning is confirmed
    expect(chair.page.get_by_test_id("meeting-state")).to_have_text("Đang họp")
    create_vote_in_ui(chair, "Thông qua chương trình phiên họp")
    row = chair.page.get_by_test_id("vote-row").filter(has_text="Thông qua chương trình phiên họp")
    row.get_by_test_id("vote-open").tap()
    dialog = chair.page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Chưa đủ số thành viên có mặt")
    expect(chair.page.get_by_test_id("confirm-ok")).to_have_text("Vẫn mở biểu quyết")
    chair.page.get_by_test_id("confirm-cancel").tap()  # the chair waits for the members instead
    expect(row).to_have_attribute("data-state", "draft")
    expect(chair.page.get_by_test_id("vote-card")).to_be_hidden()

    # The secretariat is told why, but may not force it.
    staff = tablet("vanphong").open_live(meeting)
    staff.page.get_by_test_id("tab-votes").tap()
    staff.page.get_by_test_id("vote-row").filter(has_text="Thông qua chương trình phiên họp").get_by_test_id(
        "vote-open"
    ).tap()
    expect(staff.page.get_by_test_id("toast").first).to_contain_text("Chưa đủ số thành viên có mặt")
    expect(staff.page.get_by_test_id("confirm-dialog")).to_have_count(0)


def test_three_members_vote_live_tally_and_room_display(tablet, server, meeting) -> None:
    in_session(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    expect(chair.page.get_by_test_id("quorum")).to_have_attribute("data-reached", "true")
    members = [tablet(f"thanhvien{i:02d}").open_live(meeting) for i in (1, 2, 3)]
    guest = tablet("khachmoi01").open_live(meeting)
    absent = tablet("thanhvien20").open_live(meeting)

    staff = tablet("vanphong")
    created = staff.api("POST", f"/api/meetings/{meeting}/display-tokens")
    assert created.status == 201, created.text()
    screen = tablet()
    screen.page.goto(created.json()["url"])
    expect(screen.page.locator("#display")).to_have_attribute("data-ready", "true")

    question = "Thông qua Nghị quyết phiên họp Chính phủ thường kỳ tháng 11"
    create_vote_in_ui(chair, question)
    chair.page.get_by_test_id("vote-row").filter(has_text=question).get_by_test_id("vote-open").tap()
    for t in members:
        card = t.page.get_by_test_id("vote-card")
        expect(card).to_have_attribute("data-state", "open")
        expect(card.get_by_test_id("vote-question")).to_have_text(question)
        expect(card.get_by_test_id("vote-option")).to_have_count(3)
    expect(guest.page.get_by_test_id("vote-why")).to_have_text("Khách mời không biểu quyết.")
    expect(guest.page.get_by_test_id("vote-option")).to_have_count(0)
    expect(absent.page.get_by_test_id("vote-why")).to_contain_text("điểm danh có mặt")
    expect(members[0].page.get_by_test_id("tab-votes").locator(".count")).to_have_text("●")

    a, b, c = members
    option(a, YES).tap()
    expect(a.page.get_by_test_id("confirm-dialog")).to_contain_text(f"Xác nhận biểu quyết: “{YES}”?")
    a.page.get_by_test_id("confirm-cancel").tap()  # changed their mind: nothing is cast
    expect(a.page.get_by_test_id("vote-recorded")).to_have_count(0)
    cast(a, YES)
    expect(b.page.get_by_test_id("vote-progress")).to_contain_text("1/")  # live on another tablet: the progress only
    expect(tally(chair, YES)).to_have_attribute("data-count", "1")  # the counts: for the chair
    cast(b, YES)
    cast(c, NO)
    expect(tally(chair, YES)).to_have_attribute("data-count", "2")
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    # An open vote may be changed while it is open.
    cast(b, ABSTAIN)
    expect(option(b, ABSTAIN)).to_have_attribute("aria-pressed", "true")
    expect(tally(chair, YES)).to_have_attribute("data-count", "1")
    expect(tally(chair, ABSTAIN)).to_have_attribute("data-count", "1")
    for t in members:  # no counts, no names, no outcome on members' tablets before the result is published
        expect(t.page.get_by_test_id("vote-tally")).to_have_count(0)
        expect(t.page.get_by_test_id("vote-hidden-note")).to_be_visible()
    expect(c.page.get_by_test_id("vote-progress")).to_contain_text("3/")
    a.page.screenshot(path="/tmp/ecabinet-live-vote-member.png")
    expect(screen.page.get_by_test_id("vote")).to_be_visible()

    chair.page.get_by_test_id("vote-close").tap()
    chair.page.get_by_test_id("confirm-ok").tap()
    expect(chair.page.get_by_test_id("vote-verdict")).to_have_text("✕ Không thông qua")  # to decide to publish
    for t in members:
        expect(t.page.get_by_test_id("vote-waiting")).to_have_text("Đã kết thúc, chờ công bố kết quả.")
        expect(t.page.get_by_test_id("vote-verdict")).to_have_count(0)
        expect(t.page.get_by_test_id("vote-option")).to_have_count(0)
    expect(screen.page.get_by_test_id("vote-verdict")).not_to_be_visible()
    chair.page.get_by_test_id("vote-publish").tap()
    for t in members:
        expect(t.page.get_by_test_id("vote-verdict")).to_have_text("✕ Không thông qua")
    # what each number counts: the votes in favour needed out of all the members, and those cast in favour
    expect(a.page.get_by_test_id("vote-result")).to_contain_text(
        "Cần 14 phiếu tán thành: quá nửa tổng số 27 thành viên · có 1 phiếu tán thành"
    )
    expect(members[2].page.get_by_test_id("vote-card").get_by_test_id("vote-state")).to_have_text("Đã công bố kết quả")
    expect(screen.page.get_by_test_id("vote-verdict")).to_have_text("Không thông qua")
    expect(screen.page.locator("#display")).to_contain_text(question)
    chair.page.screenshot(path="/tmp/ecabinet-live-vote-chair.png", full_page=True)
    screen.page.screenshot(path="/tmp/ecabinet-live-vote-display.png")


def test_secret_ballot_is_final_and_hides_counts(tablet, server, meeting) -> None:
    in_session(server, meeting)
    ceremony_over_api(server, meeting)  # the meeting's key (tests/browser/test_secret_ballots.py does it on tablets)
    chair = tablet("thutuong").open_live(meeting)
    item = chair.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    made = chair.api(
        "POST",
        f"/api/meetings/{meeting}/votes",
        {"agenda_item_id": item, "question": "Nhân sự đề nghị bổ nhiệm", "kind": "secret"},
    )
    assert made.status == 201, made.text()
    voter = tablet("thanhvien04").open_live(meeting)
    other = tablet("thanhvien05").open_live(meeting)
    assert chair.api("POST", f"/api/votes/{made.json()['id']}/open", {}).ok
    expect(voter.page.get_by_test_id("vote-card")).to_have_attribute("data-kind", "secret")
    option(voter, NO).tap()
    expect(voter.page.get_by_test_id("confirm-dialog")).to_contain_text("không thể thay đổi")
    voter.page.get_by_test_id("confirm-ok").tap()
    expect(voter.page.get_by_test_id("vote-recorded")).to_contain_text(f"Đã ghi nhận phiếu của bạn: {NO}")
    expect(voter.page.get_by_test_id("vote-option")).to_have_count(0)  # final: no more choices
    expect(other.page.get_by_test_id("vote-progress")).to_contain_text("1/")
    expect(other.page.get_by_test_id("vote-secret-note")).to_be_visible()
    expect(other.page.get_by_test_id("vote-tally")).to_have_count(0)
    voter.page.reload()
    expect(voter.page.get_by_test_id("vote-recorded")).to_contain_text("Đã ghi nhận phiếu kín của bạn")
    chair.page.get_by_test_id("vote-close").tap()
    chair.page.get_by_test_id("confirm-ok").tap()
    expect(other.page.get_by_test_id("vote-waiting")).to_be_visible()
    decrypt_in_ui(chair)  # two of the three key holders decrypt the total
    decrypt_in_ui(tablet("thanhvien01").open_live(meeting))
    expect(tally(chair, NO)).to_have_attribute("data-count", "1")
    chair.page.get_by_test_id("vote-publish").tap()
    expect(tally(other, NO)).to_have_attribute("data-count", "1")


def test_speaker_request_grant_and_timer(tablet, server, meeting) -> None:
    in_session(server, meeting)
    chair = tablet("thutuong").open_live(meeting)
    member = tablet("thanhvien06").open_live(meeting)
    uid = member.page.evaluate("window.ecabinetLive.me.user_id")
    member.page.get_by_test_id("btn-speak-request").tap()
    expect(member.page.get_by_test_id("btn-speak-withdraw")).to_be_visible()
    expect(member.page.get_by_test_id("speaker-strip")).to_contain_text("Bạn ở vị trí 1")
    chair.page.get_by_test_id("tab-speakers").tap()
    entry = chair.page.get_by_test_id("queue-entry").filter(has_text="")
    expect(entry).to_have_count(1)
    expect(entry).to_have_attribute("data-user-id", str(uid))
    chair.page.get_by_test_id("btn-grant-next").tap()
    now = member.page.get_by_test_id("speaker-now")
    expect(now).to_have_attribute("data-user-id", str(uid))
    expect(now).to_contain_text("Bạn đang phát biểu")
    timer = now.get_by_test_id("speaker-timer")
    expect(timer).to_have_text(re.compile(r"^0[45]:\d\d$"))  # 5 minutes by default, counting down
    first = timer.inner_text()
    expect(timer).not_to_have_text(first)  # it runs locally
    expect(timer).to_have_attribute("data-level", "ok")
    member.page.screenshot(path="/tmp/ecabinet-live-speaker.png")

    # Last minute amber, overtime red with "+mm:ss" (the countdown helper the strip uses).
    levels = member.page.evaluate(
        """async () => {
            const { countdown } = await import('/static/js/live-speakers.js');
            const started = new Date(Date.now() - 250 * 1000).toISOString();
            const late = new Date(Date.now() - 365 * 1000).toISOString();
            return [countdown({ started_at: started, limit_seconds: 300 }, Date.now()),
                    countdown({ started_at: late, limit_seconds: 300 }, Date.now())];
        }"""
    )
    assert levels[0]["level"] == "warn" and levels[0]["text"] == "00:50"
    assert levels[1]["level"] == "over" and levels[1]["text"] == "+01:05"

    # The chair gives the floor directly to someone else; the speech in progress ends.
    other = chair.page.evaluate("window.ecabinetLive.live.state.participants.find(p => p.role === 'guest').user_id")
    chair.page.get_by_test_id("direct-user").select_option(str(other))
    chair.page.get_by_test_id("btn-direct").tap()
    expect(now).to_have_attribute("data-user-id", str(other))
    expect(member.page.get_by_test_id("btn-speak-request")).to_be_enabled()
    chair.page.get_by_test_id("btn-speak-finish").tap()
    expect(now).to_contain_text("Chưa có đại biểu phát biểu")
    chair.page.screenshot(path="/tmp/ecabinet-live-speakers-tab.png", full_page=True)


def test_remote_join_button_and_chair_controls(tablet, server, meeting) -> None:
    in_session(server, meeting)
    member = tablet("thanhvien07").open_live(meeting)  # hybrid and started
    expect(member.page.get_by_test_id("btn-remote-join")).to_be_visible()
    expect(member.page.get_by_test_id("btn-remote-join")).to_have_text(re.compile("Tham gia trực tuyến"))
    expect(member.page.get_by_test_id("remote-panel")).to_be_hidden()

    check_in_members(server, meeting, ["thanhvien08"], attendance="present_remote")
    chair = tablet("thutuong").open_live(meeting)
    chair.page.get_by_test_id("tab-people").tap()
    remote_row = chair.page.locator("[data-testid=attendee][data-attendance=present_remote]")
    expect(remote_row.get_by_test_id("rtc-mute")).to_have_count(1)
    expect(remote_row.get_by_test_id("rtc-remove")).to_have_count(1)
    member.page.get_by_test_id("tab-people").tap()
    expect(member.page.get_by_test_id("rtc-mute")).to_have_count(0)  # members get no controls

    # A meeting held in the room only offers no remote join.
    staff = tablet("vanphong")
    made = staff.api(
        "POST", "/api/meetings", {"title": "Họp chuyên đề tại phòng họp", "kind": "thematic", "mode": "in_room"}
    )
    assert made.status == 201, made.text()
    mid = made.json()["id"]
    uid = member.page.evaluate("window.ecabinetLive.me.user_id")
    chair_id = chair.page.evaluate("window.ecabinetLive.me.user_id")
    assert staff.api("POST", f"/api/meetings/{mid}/agenda", {"title": "Đề án chuyển đổi số", "planned_minutes": 30}).ok
    assert staff.api("POST", f"/api/meetings/{mid}/participants", {"user_id": chair_id, "role": "chair"}).ok
    assert staff.api("POST", f"/api/meetings/{mid}/participants", {"user_id": uid, "role": "member"}).ok
    assert staff.api("POST", f"/api/meetings/{mid}/publish").ok
    member.open_live(mid)
    expect(member.page.get_by_test_id("check-in")).to_be_visible()
    expect(member.page.get_by_test_id("btn-remote-join")).to_have_count(0)


def _upload(t, meeting: int, title: str, **fields: str) -> int:
    token = t.page.evaluate("document.querySelector('meta[name=csrf-token]')?.content || ''")
    response = t.page.request.post(
        f"{t.base}/api/meetings/{meeting}/documents",
        multipart={
            "title": title,
            **fields,
            "file": {"name": "tai-lieu.pdf", "mimeType": "application/pdf", "buffer": make_pdf(2)},
        },
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201, response.text()
    return response.json()["id"]


def test_documents_list_restricted_badge_and_viewer(tablet, server, meeting) -> None:
    in_session(server, meeting)
    staff = tablet("vanphong").open_live(meeting)
    member = tablet("thanhvien09").open_live(meeting)
    item = member.page.evaluate("window.ecabinetLive.live.state.meeting.current_item_id")
    uid = member.page.evaluate("window.ecabinetLive.me.user_id")
    public = _upload(staff, meeting, "Tờ trình dự thảo Nghị quyết", agenda_item_id=str(item))
    member.page.get_by_test_id("tab-documents").tap()
    links = member.page.get_by_test_id("doc-link")
    expect(links).to_have_count(1)
    # A restricted document for this member arrives live (refetch on the document event).
    _upload(
        staff, meeting, "Báo cáo mật về nhân sự", agenda_item_id=str(item), restricted="true", allowed_user_ids=str(uid)
    )
    expect(links).to_have_count(2)
    restricted = member.page.locator("[data-testid=doc][data-restricted=true]")
    expect(restricted.get_by_test_id("doc-restricted")).to_have_text("Tài liệu hạn chế")
    other = tablet("thanhvien10").open_live(meeting)
    other.page.get_by_test_id("tab-documents").tap()
    expect(other.page.get_by_test_id("doc-link")).to_have_count(1)  # not on the list: not shown
    member.page.get_by_test_id("docs-scope-all").tap()
    expect(links).to_have_count(2)
    member.page.screenshot(path="/tmp/ecabinet-live-documents.png")
    member.page.locator(f"[data-document-id='{public}'] [data-testid=doc-link]").tap()
    member.page.wait_for_url(re.compile(rf"/meetings/{meeting}/documents/{public}$"))
    expect(member.page.get_by_test_id("viewer")).to_have_attribute("data-ready", "true")


def test_staff_tools_display_address_and_minutes_link(tablet, server, meeting) -> None:
    in_session(server, meeting)
    staff = tablet("vanphong").open_live(meeting)
    page = staff.page
    expect(page.get_by_test_id("minutes-link")).to_have_attribute("href", f"/meetings/{meeting}/minutes")
    page.get_by_test_id("btn-display").tap()
    url = page.get_by_test_id("display-url")
    expect(url).to_have_value(re.compile(rf"^http://127\.0\.0\.1:\d+/display/{meeting}\?token=.+"))
    page.screenshot(path="/tmp/ecabinet-live-display-dialog.png")
    page.get_by_test_id("display-revoke").tap()
    expect(page.get_by_test_id("display-dialog")).to_have_count(0)
    member = tablet("thanhvien11").open_live(meeting)
    expect(member.page.get_by_test_id("btn-display")).to_have_count(0)
    expect(member.page.get_by_test_id("minutes-link")).to_have_count(0)
    chair = tablet("thutuong").open_live(meeting)
    expect(chair.page.get_by_test_id("minutes-link")).to_be_visible()
    expect(chair.page.get_by_test_id("btn-display")).to_have_count(0)  # tokens are the secretariat's
