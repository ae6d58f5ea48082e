"""The organisation's time zone (ECABINET_TIMEZONE) is the only one a page shows: a server set to Europe/Paris,
a tablet whose own clock is in New York; every time on the meetings list, the live page, the minutes page and
/minutes/verify, and the scripts' formatting (display clock, date inputs), is Paris time."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

SERVER_ENV = {"ECABINET_TIMEZONE": "Europe/Paris"}
PARIS = ZoneInfo("Europe/Paris")
MEETING = 1
SCHEDULED = "02:00, Thứ Năm, 03/12/2026"  # demo meeting: 2026-12-03 01:00Z (08:00 in Hà Nội, 02:00 in Paris)


def _paris(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(PARIS).strftime("%H:%M, %d/%m/%Y")


def test_every_time_follows_the_organisation_zone_not_the_tablet(tablet) -> None:
    staff = tablet("vanphong", timezone_id="America/New_York")
    page = staff.page
    expect(page.locator("time").first).to_have_text("02:00, 03/12/2026")  # server-rendered list
    assert page.evaluate("document.querySelector('meta[name=timezone]').content") == "Europe/Paris"

    # Scripts: the display clock and the date input read/write Paris wall time (CET in winter, CEST in summer).
    got = page.evaluate("""async () => {
        const f = await import('/static/js/format.js');
        return [f.formatTime(new Date()), f.fromLocalInput('2026-12-03T10:00'), f.fromLocalInput('2026-07-01T10:00'),
                f.toLocalInput('2026-07-01T08:00:00Z'), f.formatDate('2026-12-03T23:30:00Z', {weekday: false})];
    }""")
    now = datetime.now(timezone.utc).astimezone(PARIS)
    assert got[0] in {now.strftime("%H:%M"), (now.replace(second=0)).strftime("%H:%M")}
    assert got[1:] == ["2026-12-03T09:00:00Z", "2026-07-01T08:00:00Z", "2026-07-01T10:00", "04/12/2026"]

    chair = tablet("thutuong", timezone_id="America/New_York")
    for path, body in (("start", {"force": True}), ("end", None)):  # nobody checked in: started knowingly
        assert chair.api("POST", f"/api/meetings/{MEETING}/{path}", body).ok
    page.goto(f"/meetings/{MEETING}")
    expect(page.get_by_text(SCHEDULED).first).to_be_visible()  # live page header (format.js)

    assert staff.api("POST", f"/api/meetings/{MEETING}/minutes/finalise").ok
    for who in (staff, chair):
        assert who.api("POST", f"/api/meetings/{MEETING}/minutes/sign", {"password": "demo", "version": 1}).ok
    status = staff.api("GET", f"/api/meetings/{MEETING}/minutes").json()["minutes"]
    times = [_paris(s["signed_at"]) for s in status["signers"]]

    page.goto(f"/meetings/{MEETING}/minutes")
    expect(page.locator("#minutes")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("minutes-number")).to_have_text("01/BB-CP")
    for when in times:
        expect(page.get_by_text(when).first).to_be_visible()

    pdf = staff.api("GET", f"/api/meetings/{MEETING}/minutes.pdf").body()
    page.goto("/minutes/verify")
    page.get_by_test_id("verify-file").set_input_files(
        files=[{"name": "bb.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_test_id("verify-submit").click()
    boxes = page.get_by_test_id("verify-signature")
    expect(boxes).to_have_count(2)
    for i, when in enumerate(times):
        expect(boxes.nth(i)).to_contain_text(when)
    expect(page.get_by_test_id("verify-verdict")).to_have_text(
        "Hợp lệ: văn bản do hệ thống phát hành, nội dung còn nguyên vẹn, mỗi ô ký do đúng người phải ký ký"
    )
    expect(page.get_by_test_id("verify-document")).to_contain_text("Biên bản cuộc họp số 01/BB-CP")
    expect(page.get_by_test_id("verify-block")).to_have_count(2)
    expect(page.get_by_test_id("verify-reason")).to_have_count(0)

    # A byte changed in the signed range: one verdict, no "unchanged" line anywhere, trust as for the intact file.
    at = pdf.index(b"stream", 2000) + 40
    tampered = pdf[:at] + bytes([pdf[at] ^ 1]) + pdf[at + 1 :]
    page.get_by_test_id("verify-file").set_input_files(
        files=[{"name": "x.pdf", "mimeType": "application/pdf", "buffer": tampered}]
    )
    page.get_by_test_id("verify-submit").click()
    expect(page.get_by_test_id("verify-verdict")).to_have_text("Tài liệu đã bị thay đổi sau khi ký")
    result = page.get_by_test_id("verify-result")
    expect(result).not_to_contain_text("Còn nguyên vẹn")
    expect(result.get_by_text("Đã bị thay đổi sau khi ký", exact=True)).to_have_count(2)
    expect(result.get_by_text("Do cơ quan chứng thực tin cậy cấp", exact=True)).to_have_count(2)
    page.screenshot(path="/tmp/ecabinet-record-verify-tampered.png", full_page=True)
