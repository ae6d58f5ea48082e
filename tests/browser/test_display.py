"""The room display in Debian's Chromium (Playwright, async API) against the real server (live_server):
opened with a display token and no login at 1920x1080, it shows the speaker the moment the chair gives the
floor, the queue, the quorum and the vote (progress, then the published result)."""

from __future__ import annotations

import re

import pytest

from display import services as display
from meetings import participation
from meetings.schemas import CheckInRequest
from speakers import services as speakers
from speakers.schemas import SpeakRequest
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet
from tests.live import login
from votes import services as votes
from votes.schemas import VoteCreate

async_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HALL = {"width": 1920, "height": 1080}


async def test_display_follows_the_floor_and_the_vote_live(live_server: LiveServer) -> None:
    db, ctx = live_server.db, live_server.app.state.ctx
    c = make_cabinet(db, n_members=6, start=True)
    for actor in (c.chair, *c.members):
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    for member in c.members[1:4]:
        call(db, speakers.request_floor, actor=member, meeting_id=c.meeting_id, data=SpeakRequest())
    token = call(db, display.create_token, actor=c.staff, meeting_id=c.meeting_id)
    chair = await login(live_server.url, c.chair.username)
    expect = async_api.expect
    async with async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=HALL)  # a fresh context: no cookie, only the token
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(live_server.url + token["url"])
            await expect(page.locator("#display")).to_have_attribute("data-ready", "true", timeout=10000)
            await expect(page.get_by_test_id("current-item")).to_have_text("Nội dung 1: dự toán ngân sách")
            await expect(page.get_by_test_id("speaker-name")).to_have_text("Chưa có đại biểu phát biểu")
            await expect(page.get_by_test_id("queue").locator("li")).to_have_count(3)
            await expect(page.locator("#quorum-present")).to_have_text("7")

            # The chair gives the floor directly (REST, like the console): the screen follows at once.
            r = await chair.post(f"/api/meetings/{c.meeting_id}/speakers", json={"user_id": c.members[0].id})
            assert r.status_code == 201, r.text
            await expect(page.get_by_test_id("speaker-name")).to_have_text(c.members[0].full_name, timeout=5000)
            await expect(page.locator("#timer-value")).to_have_text(re.compile(r"^0[45]:\d\d$"))
            # Then the next one in the queue: the first speech ends, the queue shrinks.
            first_in_queue = (await chair.get(f"/api/meetings/{c.meeting_id}/speakers")).json()["queue"][0]
            assert (await chair.post(f"/api/speakers/{first_in_queue['id']}/grant")).status_code == 200
            await expect(page.get_by_test_id("speaker-name")).to_have_text(c.members[1].full_name)
            await expect(page.get_by_test_id("queue").locator("li")).to_have_count(2)

            # A vote opens: progress "voted/eligible" appears and moves with every ballot.
            # (ctx.write: the same unit of work as the routes, so the events are delivered after commit)
            vote = await ctx.write(
                votes.create_vote,
                actor=c.chair,
                meeting_id=c.meeting_id,
                data=VoteCreate(agenda_item_id=c.item_ids[0], question="Thông qua dự toán ngân sách năm 2027"),
            )
            await ctx.write(votes.open_vote, actor=c.chair, vote_id=vote["id"])
            await expect(page.get_by_test_id("vote")).to_be_visible()
            yes = next(o["id"] for o in vote["options"] if o["kind"] == "yes")
            for member in c.members[:4]:  # the ballot route: it also schedules the (coalesced) tally event
                tablet = await login(live_server.url, member.username)
                assert (
                    await tablet.post(f"/api/votes/{vote['id']}/ballots", json={"option_id": yes})
                ).status_code == 200
                await tablet.aclose()
            await expect(page.locator("#vote-voted")).to_have_text("4")
            await expect(page.locator("#vote-eligible")).to_have_text("7")
            await page.screenshot(path="/tmp/display.png")

            await ctx.write(votes.close_vote, actor=c.chair, vote_id=vote["id"])
            await ctx.write(votes.publish_vote, actor=c.chair, vote_id=vote["id"])
            await expect(page.get_by_test_id("vote-verdict")).to_have_text("Thông qua")
            await expect(page.locator("#vote-counts li.opt-yes strong")).to_have_text("4")
            await page.screenshot(path="/tmp/display-result.png")

            # Moving on ends the speech on every screen.
            assert (await chair.post(f"/api/meetings/{c.meeting_id}/next")).status_code == 200
            await expect(page.get_by_test_id("current-item")).to_have_text("Nội dung 2: dự toán ngân sách")
            await expect(page.get_by_test_id("speaker-name")).to_have_text("Chưa có đại biểu phát biểu")
            assert errors == []
        finally:
            await browser.close()
            await chair.aclose()
