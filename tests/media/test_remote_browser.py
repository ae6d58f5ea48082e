"""Browser: Debian's Chromium (fake camera and microphone) opens /meetings/{id}/remote, clicks "Tham gia
trực tuyến", connects to the MCU and plays the composite, in which an aiortc peer's red tile shows; the
member counts as present remotely, then leaves. In a loopback-only network namespace, ICE on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.live import live_client, login
from tests.media.peers import Peer, close_all
from tests.media.test_remote_media import _attendance, hybrid_cabinet
from tests.waiting import eventually

playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]

_SAMPLE = """(v) => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 36;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 64, 36);
  const px = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
  return {
    w: v.videoWidth, h: v.videoHeight, frames: v.getVideoPlaybackQuality().totalVideoFrames,
    left: px(16, 18), right: px(48, 18),
  };
}"""


async def _join_from_chromium(browser, url: str, http, meeting_id: int):
    """The signed-in user's remote page, "Tham gia trực tuyến" clicked and connected; seconds it took."""
    context = await browser.new_context()
    await context.add_cookies([{"name": "ecabinet_session", "value": http.cookies["ecabinet_session"], "url": url}])
    page = await context.new_page()
    await page.goto(f"{url}/meetings/{meeting_id}/remote")
    clicked = asyncio.get_running_loop().time()
    await page.get_by_test_id("btn-remote-join").click()
    await page.wait_for_selector("#remote[data-state=connected]", timeout=15000)
    return page, asyncio.get_running_loop().time() - clicked


@contextlib.asynccontextmanager
async def _red_publisher_and_chair(server):
    """A hybrid meeting with an aiortc peer publishing red, the chair watching it, and members[0] signed in."""
    c = hybrid_cabinet(server.db)
    watcher, wh = await live_client(server.url, c.chair.username)
    await watcher.join(c.meeting_id)
    red_client, rh = await live_client(server.url, c.members[1].username)
    red = Peer(red_client, c.meeting_id)
    http = await login(server.url, c.members[0].username)
    try:
        assert (await red.join((230, 30, 30)))["ok"]
        yield c, watcher, http
    finally:
        await close_all([red], [(watcher, wh), (red_client, rh)])
        await http.aclose()


async def test_a_member_joins_from_chromium_and_plays_the_composite(media_server) -> None:
    async with _red_publisher_and_chair(media_server) as (c, watcher, http):
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                page, connected = await _join_from_chromium(browser, media_server.url, http, c.meeting_id)
                video = page.get_by_test_id("remote-video")
                await page.wait_for_function(
                    "() => document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames > 15",
                    timeout=15000,
                )
                seen = await video.evaluate(_SAMPLE)
                assert (seen["w"], seen["h"]) == (1280, 720), seen
                r, g, b = seen["left"]  # the red publisher joined first: left half of the two-tile grid
                assert r > 150 and g < 90 and b < 90, seen
                assert connected < 5, connected
                await watcher.wait_for(_attendance(c.members[0].id, "present_remote"), timeout=10)
                await page.get_by_test_id("btn-remote-mic").click()
                await page.wait_for_selector("#remote[data-audio=live]", timeout=5000)
                await page.get_by_test_id("btn-remote-leave").click()
                await page.wait_for_selector("#remote[data-state=ended]", timeout=5000)
                await watcher.wait_for(_attendance(c.members[0].id, "unknown"), timeout=10)
            finally:
                await browser.close()


async def _published_width(server, meeting_id: int, user_id: int, want, timeout: float = 45) -> int:
    """The width of the picture the server decodes from that publisher, once `want(width)` holds."""

    async def width() -> int:
        stats = await server.app.state.remote.workers.request(meeting_id, "stats")
        decoded = (stats.get(str(meeting_id), {}).get("published", {}).get(str(user_id)) or [0])[0]
        return decoded if decoded and want(decoded) else 0

    return await eventually(width, f"the right picture width from user {user_id}", timeout=timeout, interval=0.2)


async def test_a_chromium_camera_in_a_small_tile_sends_a_smaller_picture_until_given_the_floor(media_server) -> None:
    c = hybrid_cabinet(media_server.db)
    hall_client, hall_http = await live_client(media_server.url, c.secretary.username)
    hall = Peer(hall_client, c.meeting_id)
    assert (await hall.join((40, 60, 230), hall=True))["ok"]  # the hall camera: the big picture
    chair = await login(media_server.url, c.chair.username)
    http = await login(media_server.url, c.members[0].username)
    me = c.members[0].id
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page, _ = await _join_from_chromium(browser, media_server.url, http, c.meeting_id)
            camera = await page.evaluate(
                "navigator.mediaDevices.getUserMedia({video: {width: {ideal: 640}, height: {ideal: 360}}})"
                ".then((s) => s.getVideoTracks()[0].getSettings().width)"
            )
            small = await _published_width(media_server, c.meeting_id, me, lambda w: w <= 320)
            assert small <= camera // 2, (small, camera)  # a small tile in the right column
            r = await chair.post(f"/api/meetings/{c.meeting_id}/speakers", json={"user_id": me})
            assert r.status_code == 201, r.text
            big = await _published_width(media_server, c.meeting_id, me, lambda w: w > 320)
            assert small < big <= camera  # the big picture: full size again (less only if Chromium's own CPU
            # adaptation scales it down on a busy machine)
        finally:
            await browser.close()
            await hall.close()
            await hall_client.close()
            for h in (hall_http, chair, http):
                await h.aclose()


async def test_watch_and_listen_only_sends_nothing_asks_for_no_camera_and_still_counts_as_present(media_server) -> None:
    async with _red_publisher_and_chair(media_server) as (c, watcher, http):
        me = c.members[0].id
        async with playwright_api.async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(locale="en-US")
                await context.add_cookies(
                    [
                        {
                            "name": "ecabinet_session",
                            "value": http.cookies["ecabinet_session"],
                            "url": media_server.url,
                        },
                        {"name": "ecabinet_lang", "value": "en", "url": media_server.url},
                    ]
                )
                page = await context.new_page()
                await page.add_init_script(
                    "window.__gum = 0; const g = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);"
                    "navigator.mediaDevices.getUserMedia = (c) => { window.__gum++; return g(c); };"
                )
                await page.goto(f"{media_server.url}/meetings/{c.meeting_id}/remote")
                assert await page.get_by_test_id("remote-status").inner_text() == "Not joined"  # the English UI
                await page.get_by_test_id("btn-remote-watch").click()
                await page.wait_for_selector("#remote[data-state=connected]", timeout=15000)
                await page.wait_for_function(
                    "() => document.getElementById('remote-video').getVideoPlaybackQuality().totalVideoFrames > 15",
                    timeout=15000,
                )
                seen = await page.get_by_test_id("remote-video").evaluate(_SAMPLE)
                r, g, b = seen["left"]  # the one publisher fills the picture: a viewer gets no tile of its own
                assert r > 150 and g < 90 and b < 90, seen
                r, g, b = seen["right"]
                assert r > 150 and g < 90 and b < 90, seen
                assert await page.evaluate("window.__gum") == 0  # never asked for the camera or microphone
                assert (
                    await page.get_by_test_id("btn-remote-mic").is_hidden()
                    and await page.get_by_test_id("btn-remote-cam").is_hidden()
                )
                assert await page.get_by_test_id("remote-status").inner_text() == "Connected"
                await watcher.wait_for(_attendance(me, "present_remote"), timeout=10)
                stats = await media_server.app.state.remote.workers.request(c.meeting_id, "stats")
                assert (
                    str(me) not in stats[str(c.meeting_id)]["published"]
                    and stats[str(c.meeting_id)]["participants"] == 2
                )
            finally:
                await browser.close()
