"""Redirect targets stay on this site: every hostile variant of `next` (and of the language switch's referer)
is replaced by the default, judged the way a browser reads the URL afterwards."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from urllib.parse import quote, urljoin, urlsplit

import httpx

from web.redirects import DEFAULT, safe_next
from tests.conftest import LiveServer
from tests.factories import make_user
from tests.live import login

HOSTS = ["other-host", "evil.example", "127.0.0.2:8000", "[::1]", "xn--80ak6aa92e.com"]
# What browsers drop or rewrite on the way: tab/CR/LF anywhere, leading C0 controls and spaces, '\' as '/'.
INSERTS = ["", "\t", "\r", "\n", "\x00", " ", "\x0b", "\x0c", "\x1f", "\x7f", "\u00a0", "\u3000", "\\"]
ENCODE: list[Callable[[str], str]] = [
    lambda s: s,
    quote,
    lambda s: quote(quote(s)),
    lambda s: s.replace("/", "%2F"),
    lambda s: s.replace("/", "%252f"),
    lambda s: s.replace("\\", "%5C").replace("\t", "%09"),
]
SHAPES = [
    "/{i}/{h}/x",
    "/{i}{i}/{h}",
    "{i}//{h}",
    "/\\{h}",
    "\\\\{h}",
    "//{h}",
    "/{i}\\{h}",
    "https:{h}",
    "https://{h}",
    "javascript:alert(1)//{h}",
    "data:text/html,{h}",
    "{i}https://{h}",
    "/\\/{h}",
    "//{i}{h}",
    "／／{h}",
    "/／{h}",
    "%2F%2F{h}",
    "/%2F{h}",
    "/%5C{h}",
    "/%09/{h}",
    "/%0d%0a/{h}",
]


def hostile() -> list[str]:
    out = set()
    for shape, insert, host, enc in itertools.product(SHAPES, INSERTS, HOSTS, ENCODE):
        out.add(enc(shape.format(i=insert, h=host)))
    return sorted(out)


def browser_reads(base: str, location: str) -> str:
    """Where a browser goes for `location`: it strips tab/CR/LF and leading controls/spaces, and reads '\\'
    as '/'; a percent-encoded target is followed once decoded by whoever redirects it next, so check both."""
    cleaned = location.replace("\t", "").replace("\r", "").replace("\n", "").lstrip("".join(map(chr, range(0x21))))
    return urlsplit(urljoin(base, cleaned.replace("\\", "/"))).netloc


def test_no_hostile_variant_survives() -> None:
    cases = hostile()
    assert len(cases) > 2000
    base = "http://127.0.0.1:8000/login"
    for value in cases:
        target = safe_next(value)
        assert browser_reads(base, target) == "127.0.0.1:8000", (value, target)
        assert target == DEFAULT or target.startswith("/") and not target.startswith("//"), (value, target)
        if target != DEFAULT:  # only harmless look-alikes are kept: they lead to a local page
            from urllib.parse import unquote

            assert browser_reads(base, unquote(unquote(target))) == "127.0.0.1:8000", (value, target)


def test_local_paths_are_kept() -> None:
    for value in [
        "/meetings",
        "/meetings/7",
        "/meetings/7/documents/3?page=2",
        "/minutes/verify",
        "/display/1?token=abc-_",
    ]:
        assert safe_next(value) == value


def test_the_tab_trick_of_the_probe_is_refused() -> None:
    assert safe_next("/\t/other-host/x") == DEFAULT
    assert safe_next("/%09/other-host/x") == DEFAULT
    assert safe_next("/%ff/x") == DEFAULT  # not UTF-8 once decoded


async def test_login_page_and_language_switch_never_send_a_browser_off_site(live_server: LiveServer) -> None:
    user = make_user(live_server.db)
    http = await login(live_server.url, user.username)
    sample = hostile()[::40]
    try:
        async with httpx.AsyncClient(base_url=live_server.url) as anonymous:
            for value in sample:
                r = await http.get("/login", params={"next": value})  # logged in: redirected at once
                assert (
                    r.status_code == 303
                    and browser_reads(live_server.url, r.headers["location"]) == urlsplit(live_server.url).netloc
                )
                page = await anonymous.get("/login", params={"next": value})  # the form carries it to login.js
                assert page.status_code == 200 and f'data-next="{DEFAULT}"' in page.text, value
                if any(not 0x20 <= ord(ch) < 0x7F for ch in value):
                    continue  # a Referer is a serialised URL: no raw controls or non-ASCII
                back = await anonymous.get("/lang/en", headers={"referer": "http://127.0.0.1" + value})
                assert browser_reads(live_server.url, back.headers["location"]) == urlsplit(live_server.url).netloc
    finally:
        await http.aclose()


async def test_redirect_to_login_keeps_the_page_but_only_its_path(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.url) as client:
        r = await client.get("/meetings/3/edit")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/meetings/3/edit"
