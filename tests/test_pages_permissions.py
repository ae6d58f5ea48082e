"""Every page asks what its API asks (issue 10: a member could open /meetings/{id}/edit): a denied/allowed pair
per page over a table, a 403 page in the user's language, 404 for a meeting the user is not invited to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from accounts.models import GlobalRole
from meetings import participation, services
from meetings.models import MeetingMode
from meetings.schemas import MeetingUpdate, ParticipantCreate
from core.clock import utcnow
from notices import services as notices
from notifications import address
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, call, make_cabinet, make_user
from tests.live import login


@dataclass
class World:
    c: Cabinet  # hybrid, started
    in_room: int  # another meeting (in the room only) with the same people
    draft: Cabinet
    admin: Any
    docs: dict[str, int]
    token: str  # the member's link confirming a new notification address


def _path(template: str, w: World) -> str:
    return template.format(m=w.c.meeting_id, in_room=w.in_room, token=w.token, **w.docs)


# page (path template) -> [(who, expected status)]: who is a role of the hybrid meeting, "draft_member" (invited
# to a draft), "admin" or "anonymous". Each page has at least one allowed and one denied row.
PAGES: dict[str, list[tuple[str, int]]] = {
    "/meetings": [("member", 200), ("anonymous", 303)],
    "/meetings/new": [("staff", 200), ("chair", 403), ("member", 403)],
    "/meetings/{m}": [("guest", 200), ("outsider", 404), ("draft_member", 404)],
    "/meetings/{m}/edit": [
        ("secretary", 200),
        ("staff", 200),
        ("chair", 403),
        ("member", 403),
        ("guest", 403),
        ("outsider", 404),
    ],
    "/meetings/{m}/documents/{plain}": [("member", 200), ("guest", 404), ("outsider", 404)],
    "/meetings/{m}/documents/{restricted}": [("staff", 200), ("member", 404)],
    "/meetings/{m}/documents/{elsewhere}": [("staff", 404), ("member", 404)],
    "/meetings/{m}/minutes": [("member", 200), ("outsider", 404), ("draft_member", 404)],
    "/meetings/{m}/remote": [("member", 200), ("guest", 200), ("staff", 403), ("outsider", 404)],
    "/meetings/{m}/remote?hall=1": [("secretary", 200), ("member", 403)],
    "/meetings/{in_room}/remote": [("member", 403)],
    "/display/{m}": [("member", 200), ("outsider", 404), ("anonymous", 303)],
    "/audit": [("admin", 200), ("staff", 403)],
    "/users": [("admin", 200), ("staff", 403), ("member", 403)],
    "/account": [("member", 200), ("guest", 200), ("anonymous", 303)],
    "/minutes/verify": [("anonymous", 200)],
    "/notifications": [("member", 200), ("guest", 200), ("anonymous", 303)],
    "/notifications/email/confirm/{token}": [("member", 200), ("guest", 404), ("staff", 404), ("anonymous", 303)],
    "/notices/dashboard": [("staff", 200), ("member", 200), ("guest", 403), ("anonymous", 303)],
    "/notices/{notice}": [("staff", 200), ("member", 404), ("outsider", 404), ("anonymous", 303)],
}
CASES = [(page, who, status) for page, rows in PAGES.items() for who, status in rows]


def _route(page: str) -> str:
    """The route a page path of the table is served by."""
    path = (
        page.split("?")[0]
        .replace("{m}", "{meeting_id:int}")
        .replace("{in_room}", "{meeting_id:int}")
        .replace("{notice}", "{notice_id:int}")
    )
    return "/meetings/{meeting_id:int}/documents/{document_id:int}" if "/documents/" in path else path


def test_every_page_route_has_an_allowed_and_a_denied_row() -> None:
    from app import domains, pages

    seen: dict[str, set[bool]] = {}
    for page, rows in PAGES.items():
        seen.setdefault(_route(page), set()).update(s == 200 for _, s in rows)
    public = {"/minutes/verify"}  # anyone holding a file may check it: no role by design
    assert {route for route, allowed in seen.items() if allowed != {True, False}} == public
    paths: list[str] = [getattr(r, "path", "/api") for r in [*domains.http_routes(), *pages.routes]]
    served = {path for path in paths if not path.startswith("/api")}
    polls = {
        "/polls",
        "/polls/{poll_id:int}",
        "/workdays",
    }  # their pairs: tests/test_polls_pages.py, tests/test_workdays.py
    assert (
        served - set(seen) == {"/", "/login", "/lang/{lang}"} | polls
    )  # redirects and the login page: no role to check


async def _world(live: LiveServer) -> World:
    db = live.db
    c = make_cabinet(db, start=True)
    call(
        db, services.update_meeting, actor=c.staff, meeting_id=c.meeting_id, data=MeetingUpdate(mode=MeetingMode.hybrid)
    )
    other = make_cabinet(db)
    staff = await login(live.url, c.staff.username)
    docs: dict[str, int] = {}
    try:
        uploads: list[tuple[str, int, dict[str, Any]]] = [
            ("plain", c.meeting_id, {}),
            ("restricted", c.meeting_id, {"restricted": True}),
            ("elsewhere", other.meeting_id, {}),
        ]
        for name, meeting, fields in uploads:
            r = await upload(staff, meeting, make_pdf(1), **fields)
            assert r.status_code == 201, r.text
            docs[name] = r.json()["id"]
    finally:
        await staff.aclose()
    # The other meeting is in the room only; the member is invited to it too.
    call(
        db,
        participation.invite,
        actor=other.staff,
        meeting_id=other.meeting_id,
        data=ParticipantCreate(user_id=c.members[0].id),
    )
    held = make_cabinet(
        db, n_members=1, n_items=1, start=True
    )  # a held meeting of other people, with its conclusion notice
    call(db, services.end_meeting, actor=held.chair, meeting_id=held.meeting_id)
    docs["notice"] = call(db, notices.create_notice, actor=held.staff, meeting_id=held.meeting_id)["id"]
    member = c.members[0]
    change = db.run_write(lambda session: address.request(session, member, "thanhvien.moi@example.gov.vn", utcnow()))
    token = db.run_write(lambda session: address.mint(session, change.result.id, change.result.new_email, utcnow()))
    draft = make_cabinet(db, publish=False)
    return World(c, other.meeting_id, draft, make_user(db, GlobalRole.admin), docs, token.result)


async def _client(live: LiveServer, w: World, who: str) -> httpx.AsyncClient:
    if who == "anonymous":
        return httpx.AsyncClient(base_url=live.url)
    actor = {"draft_member": w.draft.members[0], "admin": w.admin}.get(who) or w.c.by_name(who)
    return await login(live.url, actor.username)


@pytest.mark.parametrize(("page", "who", "status"), CASES, ids=[f"{p} {w}" for p, w, _ in CASES])
async def test_page_answers_as_its_api(live_server: LiveServer, page: str, who: str, status: int) -> None:
    w = await _world(live_server)
    http = await _client(live_server, w, who)
    try:
        r = await http.get(_path(page, w))
        assert r.status_code == status, r.text[:500]
        if status in (403, 404):
            assert 'data-testid="error-message"' in r.text and "Phiên họp thử nghiệm ngân sách" not in r.text
            assert 'id="meeting-form"' not in r.text and "Tờ trình" not in r.text
        if status == 303:
            assert r.headers["location"].startswith("/login")
    finally:
        await http.aclose()


async def test_refusals_speak_the_users_language_and_hide_meetings_not_theirs(live_server: LiveServer) -> None:
    w = await _world(live_server)
    member, outsider = await _client(live_server, w, "member"), await _client(live_server, w, "outsider")
    try:
        vi = await member.get(f"/meetings/{w.c.meeting_id}/edit")
        assert vi.status_code == 403 and "Chỉ Văn phòng (thư ký cuộc họp) được chuẩn bị cuộc họp này." in vi.text
        member.cookies.set("ecabinet_lang", "en")
        en = await member.get(f"/meetings/{w.c.meeting_id}/edit")
        assert (
            en.status_code == 403
            and "Only the Office (the meeting&#39;s secretary) may prepare this meeting." in en.text
        )
        assert "Văn phòng (thư ký" not in en.text
        missing, hidden = await outsider.get("/meetings/999999"), await outsider.get(f"/meetings/{w.c.meeting_id}")
        assert missing.status_code == hidden.status_code == 404
        assert missing.text.replace("999999", str(w.c.meeting_id)) == hidden.text  # nothing tells the two apart
    finally:
        await member.aclose()
        await outsider.aclose()


async def test_the_signing_dialog_says_which_password_it_asks_for(live_server: LiveServer) -> None:
    w = await _world(live_server)
    chair = await _client(live_server, w, "chair")
    try:
        page = (await chair.get(f"/meetings/{w.c.meeting_id}/minutes")).text
        assert "Mật khẩu chứng thư số (khóa ký số)" in page and "không phải mật khẩu đăng nhập" in page
        assert 'autocomplete="current-password"' not in page  # a browser must not offer the login password here
        chair.cookies.set("ecabinet_lang", "en")
        page = (await chair.get(f"/meetings/{w.c.meeting_id}/minutes")).text
        assert "Signing certificate (key) password" in page and "not your login password" in page
    finally:
        await chair.aclose()
