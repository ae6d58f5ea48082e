"""In Chromium: no page breaks the Content-Security-Policy (the live socket over ws: works under
connect-src 'self'), the live page cannot be framed by another origin, and a hostile `next` after login
leaves the browser on this site."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.test_viewer import _upload

MEETING = 1
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _watch(t) -> list[str]:
    """CSP reports of this tablet: the DOM event (page scripts) and the console (what the browser refused)."""
    console: list[str] = []
    t.context.add_init_script(WATCH)
    t.page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def _visit(t, console: list[str], path: str, ready: str | None = None) -> None:
    t.page.goto(path)
    if ready:
        expect(t.page.locator(ready)).to_have_attribute("data-ready", "true")
    t.page.wait_for_load_state("networkidle")
    violations = t.page.evaluate("window.__csp")
    assert violations == [] and console == [], (path, violations, console)


def test_no_page_breaks_the_content_security_policy(tablet, server) -> None:
    anonymous = tablet()
    seen = _watch(anonymous)
    _visit(anonymous, seen, "/login")
    _visit(anonymous, seen, "/minutes/verify")

    staff = tablet()
    seen = _watch(staff)
    staff.login("vanphong")
    doc = _upload(staff, MEETING, pages=2)
    screen = staff.api("POST", f"/api/meetings/{MEETING}/display-tokens").json()
    for path, ready in [
        ("/meetings", None),
        (f"/meetings/{MEETING}", "#live"),
        (f"/meetings/{MEETING}/edit", None),
        ("/meetings/new", None),
        (f"/meetings/{MEETING}/minutes", "#minutes"),
        (f"/meetings/{MEETING}/documents/{doc}", "[data-testid=viewer]"),
        (f"/meetings/{MEETING}/remote", None),
        (screen["url"], "#display"),
    ]:
        _visit(staff, seen, path, ready)
    expect(staff.page.locator("#display")).to_have_attribute("data-ready", "true")  # its socket is connected

    admin = tablet()
    seen = _watch(admin)
    admin.login("admin")
    _visit(admin, seen, "/audit")


@contextlib.contextmanager
def _framing_site(html: str) -> Iterator[str]:
    """Another origin on 127.0.0.1 (a real server: Chromium treats a faked response as a public site and
    would refuse the loopback frame for that reason alone)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/frame.html"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_live_page_cannot_be_framed_by_another_origin(tablet, server) -> None:
    member = tablet("thanhvien01")
    html = (
        f'<!doctype html><title>x</title><iframe id="f" src="{server}/meetings/{MEETING}" width="800" '
        'height="600"></iframe>'
    )
    with _framing_site(html) as other:
        member.page.goto(other)
        member.page.wait_for_load_state("load")
        child = member.page.frames[1]
        assert child.query_selector("#live") is None, "the live page rendered inside another origin's frame"
        assert child.url.startswith("chrome-error://"), child.url  # Chromium shows its own error page instead
        text = child.inner_text("body")
        assert "local network" not in text, text  # refused for framing, not for another reason


def test_a_hostile_next_after_login_stays_on_this_site(tablet, server) -> None:
    here = urlsplit(server).netloc
    for hostile in (f"/%09/localhost:{urlsplit(server).port}/meetings", "/%5C/localhost/meetings", "/%0A/localhost"):
        t = tablet()
        t.page.goto(f"/login?next={hostile}")
        t.page.fill("#username", "thanhvien02")
        t.page.fill("#password", PASSWORD)
        with t.page.expect_navigation():
            t.page.click("#login-submit")
        t.page.wait_for_load_state("load")
        assert urlsplit(t.page.url).netloc == here, (hostile, t.page.url)
        assert urlsplit(t.page.url).path == "/meetings"


def test_a_tap_before_the_login_script_is_ready_sends_nothing(tablet, server) -> None:
    """The login module waits for its translations before it handles the form. Until then the button takes no
    tap and the browser does not submit the form itself: no password in a URL, no login sent behind the
    user's back later."""
    t = tablet()
    held: list = []
    # The translations do not arrive until the test lets them (the first time only).
    t.page.route("**/i18n/*.json*", lambda route: held.append(route), times=1)
    seen: list[str] = []
    t.page.on("request", lambda request: seen.append(request.url))
    t.page.goto("/login?next=/meetings")
    t.page.fill("#username", "thanhvien03")
    t.page.fill("#password", PASSWORD)
    submit = t.page.locator("#login-submit")
    assert submit.evaluate("(b) => getComputedStyle(b).pointerEvents") == "none"
    # Enter in the password field (implicit submission) and a scripted submit: the browser sends nothing.
    t.page.press("#password", "Enter")
    t.page.evaluate("document.getElementById('login-form').requestSubmit()")
    # A marker: the page's own request after both; a submission by the browser would have gone out before it.
    assert t.page.evaluate("fetch('/healthz?after-submit').then((r) => r.status)") == 200
    assert any(u.endswith("/healthz?after-submit") for u in seen)
    assert urlsplit(t.page.url).path == "/login" and urlsplit(t.page.url).query == "next=/meetings"
    assert not [u for u in seen if PASSWORD in u or "thanhvien03" in u], seen

    assert held, "the page asked for its translations"
    for route in held:
        route.continue_()
    expect(t.page.locator("#login-form")).to_have_attribute("data-handled", "true")
    assert not [u for u in seen if "/api/auth/login" in u], "the early Enter is not sent later either"
    t.page.click("#login-submit")
    t.page.wait_for_url(lambda url: urlsplit(url).path == "/meetings")
    assert len([u for u in seen if u.endswith("/api/auth/login")]) == 1, seen
    assert not [u for u in seen if PASSWORD in u], seen
