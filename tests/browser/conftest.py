"""Browser tests: the real server (demo data) in a subprocess, Debian's Chromium driven by Playwright.

Each test module gets its own server and data directory, so modules never see each other's changes; each test
that changes a meeting takes its own (the `meeting` fixture), so tests never see each other's either.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.waiting import eventually_sync

if TYPE_CHECKING:
    from playwright.sync_api import APIResponse, Browser, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET: "ViewportSize" = {"width": 1024, "height": 1366}
PASSWORD = "demo"

sync_api = pytest.importorskip("playwright.sync_api")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


class ServerURL(str):
    """The base URL, carrying the server's data directory (for tests that inspect or alter its database)."""

    data_dir: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """Base URL of a freshly seeded demo server (python -m app.cli demo); a module's SERVER_ENV adds settings."""
    data_dir = tmp_path_factory.mktemp("ecabinet-browser")
    port = _free_port()
    # The bare demo cabinet (no papers, no past or draft meetings): these tests count what they add themselves.
    env = {
        **os.environ,
        "ECABINET_DEMO_BARE": "1",
        **getattr(request.module, "SERVER_ENV", {}),
        "ECABINET_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("ECABINET_DATABASE_URL", None)  # always the test's own SQLite file
    log_path = data_dir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = ServerURL(f"http://127.0.0.1:{port}")
    base.data_dir = data_dir

    def started() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the demo server exited with {proc.returncode}")
        return _healthy(base + "/healthz")

    try:
        try:
            eventually_sync(started, "the demo server to answer /healthz", timeout=60, interval=0.2)
        except (AssertionError, RuntimeError) as exc:
            pytest.fail(f"demo server did not start ({exc}):\n{log_path.read_text(errors='replace')[-4000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# Module scope, not session: Playwright's sync API leaves its event loop marked as running in this thread
# while it is started, which would break the asyncio tests that run after the browser tests.
@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        pytest.skip("Debian's Chromium is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tablet:
    """One person on one tablet: a browser context, its page and the JS errors seen on it."""

    def __init__(self, browser: "Browser", base: str, timezone_id: str = "Asia/Ho_Chi_Minh") -> None:
        self.base = base
        self.context = browser.new_context(
            viewport=TABLET, has_touch=True, locale="vi-VN", timezone_id=timezone_id, base_url=base
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def login(self, username: str, next_path: str = "/meetings") -> "Tablet":
        page = self.page
        page.goto(f"/login?next={next_path}")
        page.fill("#username", username)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(lambda url: urlsplit(url).path == next_path)
        return self

    def open_live(self, meeting_id: int = 1) -> "Tablet":
        self.page.goto(f"/meetings/{meeting_id}")
        sync_api.expect(self.page.locator("#live")).to_have_attribute("data-ready", "true")
        return self

    def api(self, method: str, path: str, body: dict | None = None) -> "APIResponse":
        """A REST call riding on this tablet's session cookie (with the page's CSRF token)."""
        token = self.page.evaluate("document.querySelector('meta[name=csrf-token]')?.content || ''")
        return self.page.request.fetch(self.base + path, method=method, data=body, headers={"X-CSRF-Token": token})

    def close(self) -> None:
        self.context.close()


class MeetingId(int):
    """A meeting's id, carrying the ids of its agenda items in their order (for papers filed under an item)."""

    item_ids: list[int]


def new_meeting(base: str) -> MeetingId:
    """A fresh published copy of the demo's meeting (app/demo/seed.py: its title, time, place, agenda, and its
    roster: the chair, the secretariat, the members, the guest), made over REST by the secretariat."""
    from app.demo.agenda import UPCOMING
    from app.demo.cabinet import MEMBERS
    from app.demo.seed import MEETING_AT, MEETING_DESCRIPTION, MEETING_TITLE, PLACE

    roster = [("thutuong", "chair"), ("vanphong", "secretary")]
    roster += [(f"thanhvien{i:02d}", "member") for i in range(1, len(MEMBERS) + 1)] + [("khachmoi01", "guest")]
    with httpx.Client(base_url=base) as client:
        login = client.post("/api/auth/login", json={"username": "vanphong", "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]

        def post(path: str, body: dict | None = None, status: int = 200) -> dict:
            r = client.post(path, json=body or {})
            assert r.status_code == status, r.text
            return r.json()

        made = post(
            "/api/meetings",
            {
                "title": MEETING_TITLE,
                "kind": "regular",
                "mode": "hybrid",
                "place": PLACE,
                "scheduled_at": MEETING_AT.isoformat(),
                "description": MEETING_DESCRIPTION,
            },
            201,
        )
        meeting = MeetingId(made["id"])
        meeting.item_ids = [
            post(
                f"/api/meetings/{meeting}/agenda",
                {"title": item.title, "presenter": item.presenter, "planned_minutes": item.minutes},
                201,
            )["id"]
            for item in UPCOMING
        ]
        users = {u["username"]: u["id"] for u in client.get("/api/users").json()}
        for username, role in roster:
            post(f"/api/meetings/{meeting}/participants", {"user_id": users[username], "role": role}, 201)
        post(f"/api/meetings/{meeting}/publish")
    return meeting


@pytest.fixture
def meeting(server: str) -> MeetingId:
    """This test's own meeting, published and not started: what other tests did (check-ins, the current item,
    votes, papers, strokes, presenting) is not seen here, so the test passes alone and in any order."""
    return new_meeting(server)


def start_meeting(base: str, meeting_id: int, chair: str = "thutuong") -> None:
    """The meeting (published) started by its chair over REST, whoever is checked in."""
    with httpx.Client(base_url=base) as client:
        login = client.post("/api/auth/login", json={"username": chair, "password": PASSWORD})
        assert login.status_code == 200, login.text
        r = client.post(
            f"/api/meetings/{meeting_id}/start",
            json={"force": True},  # whoever is checked in
            headers={"X-CSRF-Token": login.json()["csrf_token"]},
        )
        assert r.status_code == 200, r.text


@pytest.fixture
def tablet(browser: "Browser", server: str) -> Iterator:
    """Factory: tablet('thanhvien05') → a logged-in Tablet; all are closed after the test."""
    made: list[Tablet] = []

    def make(
        username: str | None = None, next_path: str = "/meetings", timezone_id: str = "Asia/Ho_Chi_Minh"
    ) -> Tablet:
        t = Tablet(browser, server, timezone_id)
        made.append(t)
        return t.login(username, next_path) if username else t

    yield make
    errors = [e for t in made for e in t.errors]
    for t in made:
        t.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def ceremony_over_api(
    base: str, meeting_id: int, trustees: tuple[str, ...] = ("thutuong", "vanphong", "thanhvien01")
) -> None:
    """The meeting's key ceremony with no dealer, for tests about something else: each demo key holder's
    contribution is made by the Python implementation of the protocol (votes/ballot/dkg.py, what dkg.js does on
    a tablet) and sent over REST. Nothing if the meeting's ceremony is already complete."""
    from votes.ballot import dkg

    clients = []
    try:
        for username in trustees:
            client = httpx.Client(base_url=base)
            clients.append(client)
            login = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        url = f"/api/meetings/{meeting_id}/key-ceremony"
        current = clients[0].get(url).json()["ceremony"]
        if current and current["state"] == "complete":
            return
        made = clients[0].post(url, json={})
        assert made.status_code == 201, made.text
        cer = made.json()
        for client in clients:
            index = client.get(url).json()["ceremony"]["me"]["index"]
            body = dkg.contribute(cer["digest"], index, cer["threshold"], cer["trustees"])
            r = client.post(url + "/contributions", json={"ceremony_id": cer["id"], **body})
            assert r.status_code == 200, r.text
    finally:
        for client in clients:
            client.close()
