"""A vote, poll, meeting, speaker request, conclusion notice, task or display token the caller may not know of
answers exactly as an id never used: every route of the app addressed by such an id (walked from the route table,
so a new route is covered by itself) and every vote socket event gives a hidden id the status and body of an absent
one, before any kind, state or permission check would tell it exists. Who may see the thing still gets it, or the
403/409 of what they may not do with it. And no error's details carry a Python enum's name ("VoteState.draft")."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import httpx
from starlette.routing import Route

from accounts.models import GlobalRole
from app import domains
from core.errors import Conflict
from tests.conftest import LiveServer
from tests.factories import call, make_cabinet, make_user
from tests.live import live_client, login
from tests.vote_helpers import check_in
from tests.poll_helpers import in_, make_board, make_poll
from votes import services as votes
from votes.schemas import VoteCreate

ABSENT = 987_654
RECEIPT = "0" * 64
# a valid body per route suffix, so that the request reaches the service (an invalid one is refused alike, first)
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", ""): {"question": "Câu hỏi đã sửa lại?"},
    ("POST", "/open"): {"force": True},
    ("POST", "/ballots"): {"option_id": 1},
    ("POST", "/decrypt"): {"password": "mat-khau-bat-ky"},
    ("POST", "/answers"): {"answers": []},
    ("POST", "/extend"): {"deadline_at": "2099-01-01T00:00:00+07:00"},
    ("POST", "/withdraw"): {"reason": "Rút phiếu để soạn lại."},
    ("POST", "/reports"): {"percent": 50, "note": "Đã rà soát xong một nửa."},
}


def _routes(param: str) -> list[tuple[str, str]]:
    """(method, path) of every API route addressed by `param` (the route table of the app, as served)."""
    found = []
    for r in domains.http_routes():
        if isinstance(r, Route) and r.path.startswith("/api/") and "{" + param in r.path:
            found += [(m, r.path) for m in sorted(r.methods or ()) if m != "HEAD"]
    assert found, param
    return found


def _url(path: str, param: str, value: int) -> str:
    url = re.sub(r"\{" + param + r"(:int)?\}", str(value), path)
    url = re.sub(r"\{receipt\}", RECEIPT, url)
    return re.sub(r"\{[a-z_]+(:int)?\}", "1", url)  # any other id (a user, a document, a page): the same for both


def _body(method: str, path: str, param: str) -> Any:
    tail = re.sub(r"^.*\{" + param + r"(:int)?\}", "", path)
    return BODIES.get((method, tail), {} if method in ("POST", "PATCH", "PUT") else None)


def _answer(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.text


async def _same_everywhere(http: httpx.AsyncClient, param: str, hidden: int, why: str) -> None:
    for method, path in _routes(param):
        body = _body(method, path, param)
        kw = {"json": body} if body is not None else {}
        a = await http.request(method, _url(path, param, hidden), **kw)
        b = await http.request(method, _url(path, param, ABSENT), **kw)
        assert _answer(a) == _answer(b), (why, method, path, a.status_code, a.text, b.text)
        assert "Enum" not in a.text and "State." not in a.text, (method, path, a.text)


async def test_hidden_votes_answer_as_absent_on_every_route_and_event(live_server: LiveServer) -> None:
    db = live_server.db
    a = make_cabinet(db, start=True)  # the guest's meeting: a draft vote in it
    b = make_cabinet(db, publish=False)  # a draft meeting with a vote: its own members are invited
    c = make_cabinet(db, start=True)  # a meeting a's people are not invited to, with an open vote
    q = VoteCreate(agenda_item_id=a.item_ids[0], question="Thông qua dự toán ngân sách năm sau?")
    draft = call(db, votes.create_vote, actor=a.staff, meeting_id=a.meeting_id, data=q)["id"]
    in_b = call(
        db,
        votes.create_vote,
        actor=b.staff,
        meeting_id=b.meeting_id,
        data=q.model_copy(update={"agenda_item_id": b.item_ids[0]}),
    )["id"]
    in_c = call(
        db,
        votes.create_vote,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=q.model_copy(update={"agenda_item_id": c.item_ids[0]}),
    )["id"]
    call(db, votes.open_vote, actor=c.chair, vote_id=in_c, force=True)
    cases = [
        (a.guest, draft, "a guest and a draft vote of his meeting"),
        (a.members[1], in_b, "a member and a vote of a draft meeting he is not invited to"),
        (b.members[0], in_b, "a member invited to a draft meeting, and its vote"),
        (a.members[1], in_c, "a member and an open vote of a meeting he is not invited to"),
    ]
    for who, vote_id, why in cases:
        http = await login(live_server.url, who.username)
        try:
            await _same_everywhere(http, "vote_id", vote_id, why)
        finally:
            await http.aclose()
    # the socket events, as the guest and an outsider: not_found for both, the same message
    for who, vote_id in ((a.guest, draft), (a.members[1], in_c)):
        sock, http = await live_client(live_server.url, who.username)
        try:
            for event, extra in (
                ("vote:cast", {"option_id": 1}),
                ("vote:open", {}),
                ("vote:close", {}),
                ("vote:publish", {}),
            ):
                hidden = await sock.call(event, {"vote_id": vote_id, **extra})
                absent = await sock.call(event, {"vote_id": ABSENT, **extra})
                assert hidden == absent and hidden["error"]["code"] == "not_found", (event, hidden, absent)
        finally:
            await sock.close()
            await http.aclose()
    # the allowed cases: a member reads the draft; the guest reads the open vote and is told he may not cast (403);
    # a member who sees an open vote may not close it (403); the chair closes it
    member = await login(live_server.url, a.members[0].username)
    guest, _ = await live_client(live_server.url, c.guest.username)
    outsider = await login(live_server.url, c.members[0].username)
    try:
        assert (await member.get(f"/api/votes/{draft}")).json()["state"] == "draft"
        ack = await guest.call("vote:cast", {"vote_id": in_c, "option_id": 1})
        assert ack["error"]["code"] == "forbidden", ack
        r = await outsider.post(f"/api/votes/{in_c}/close", json={})
        assert r.status_code == 403, r.text
        r = await outsider.get(f"/api/votes/{in_c}/trustee-material")
        assert r.status_code == 409 and r.json()["error"].get("details", {}).get("state") in (None, "open"), r.text
    finally:
        await guest.close()
        for h in (member, outsider, _):
            await h.aclose()
    assert call(db, votes.close_vote, actor=c.chair, vote_id=in_c)["state"] == "closed"


async def test_hidden_meetings_and_speaker_requests_answer_as_absent(live_server: LiveServer) -> None:
    db = live_server.db
    a = make_cabinet(db, start=True)
    b = make_cabinet(db, publish=False)
    for who, meeting_id, why in (
        (a.members[1], b.meeting_id, "not invited to a draft"),
        (b.members[0], b.meeting_id, "invited to a draft"),
        (b.members[0], a.meeting_id, "not invited"),
        (a.guest, b.meeting_id, "a guest, not invited"),
    ):
        http = await login(live_server.url, who.username)
        try:
            await _same_everywhere(http, "meeting_id", meeting_id, why)
        finally:
            await http.aclose()
    # a speaker request of a meeting one is not invited to
    speaker = await login(live_server.url, a.members[0].username)
    outsider = await login(live_server.url, b.members[0].username)
    try:
        check_in(db, a, [a.members[0]])
        r = await speaker.post(f"/api/meetings/{a.meeting_id}/speakers", json={})
        assert r.status_code in (200, 201), r.text
        request_id = r.json()["request"]["id"] if "request" in r.json() else r.json()["id"]
        await _same_everywhere(outsider, "request_id", request_id, "a speaker request of another meeting")
        # the pair: the staff still read a draft meeting; a member who sees the queue may not grant (403)
        staff = await login(live_server.url, b.staff.username)
        try:
            assert (await staff.get(f"/api/meetings/{b.meeting_id}")).status_code == 200
        finally:
            await staff.aclose()
        other = await login(live_server.url, a.members[1].username)
        try:
            assert (await other.post(f"/api/speakers/{request_id}/grant", json={})).status_code == 403
        finally:
            await other.aclose()
    finally:
        await speaker.aclose()
        await outsider.aclose()


async def test_a_poll_off_ones_list_answers_as_absent(live_server: LiveServer) -> None:
    db = live_server.db
    board = make_board(db)
    poll = make_poll(db, board, deadline=in_(3600))
    draft = make_poll(db, board, deadline=in_(3600), state="draft")
    stranger = make_user(db, GlobalRole.member, "Người Không Được Hỏi")  # made after the poll was sent: not on it
    for who, poll_id, why in (
        (stranger, poll["id"], "a member not on the list"),
        (board.outsider, poll["id"], "a guest"),
        (board.chair, draft["id"], "the chair, before submission"),
        (board.members[0], draft["id"], "a voter, before it is sent"),
    ):
        http = await login(live_server.url, who.username)
        try:
            await _same_everywhere(http, "poll_id", poll_id, why)
        finally:
            await http.aclose()
    voter = await login(live_server.url, board.members[0].username)
    try:
        assert (await voter.get(f"/api/polls/{poll['id']}")).status_code == 200
        r = await voter.post(f"/api/polls/{poll['id']}/approve", json={})
        assert r.status_code == 403, r.text  # he sees it, and is told he may not approve it
    finally:
        await voter.aclose()


def test_no_enum_repr_in_error_details() -> None:
    from votes.models import VoteState

    err = Conflict(
        "x", details={"state": VoteState.draft, "states": [VoteState.open], "nested": {"s": VoteState.closed}}
    )
    assert err.to_dict()["details"] == {"state": "draft", "states": ["open"], "nested": {"s": "closed"}}
    assert "VoteState" not in repr(err.to_dict())


async def test_hidden_notices_and_tasks_answer_as_absent(live_server: LiveServer) -> None:
    """A draft notice is the secretariat's and the chair's: to the meeting's other participants, to a ministry's
    user whose unit has a task in it and to anyone else it answers as an id never used, on every route (no id
    echoed back in the body); the chair reads it and the secretariat may not approve it in the chair's place."""
    from notices import services as notices
    from tests.notice_helpers import UNIT, held_meeting

    db = live_server.db
    h = held_meeting(db)
    c = h.cabinet
    other = make_cabinet(db, start=True)
    nid = call(db, notices.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]
    task_id = call(
        db,
        notices.add_task,
        actor=c.staff,
        notice_id=nid,
        conclusion_id=None,
        unit=UNIT,
        what="Báo cáo kết quả rà soát dự toán.",
        deadline=date.today() + timedelta(days=30),
    )["id"]
    for who, why in (
        (c.members[1], "a participant, not the chair, and a draft"),
        (other.members[0], "a member of another meeting"),
        (h.ministry, "a user of the unit the draft's task is for"),
    ):
        http = await login(live_server.url, who.username)
        try:
            await _same_everywhere(http, "notice_id", nid, why)
            await _same_everywhere(http, "task_id", task_id, why)
            r = await http.get(f"/api/notices/{nid}")
            assert r.status_code == 404 and str(nid) not in r.text, r.text
        finally:
            await http.aclose()
    chair = await login(live_server.url, c.chair.username)
    staff = await login(live_server.url, c.staff.username)
    try:
        assert (await chair.get(f"/api/notices/{nid}")).json()["id"] == nid
        r = await staff.post(f"/api/notices/{nid}/approve", json={})
        assert r.status_code in (403, 409), r.text  # he sees it, and is told what he may not do with it
    finally:
        await chair.aclose()
        await staff.aclose()


async def test_a_display_token_of_another_meeting_answers_as_absent(live_server: LiveServer) -> None:
    """DELETE /api/meetings/{a}/display-tokens/{a token of b}: as a token id never used, even to the secretariat
    (who manages both); the token revoked through its own meeting; a member who sees that meeting is refused."""
    from display import services as display

    db = live_server.db
    a = make_cabinet(db, start=True)
    b = make_cabinet(db, start=True)
    token_b = call(db, display.create_token, actor=b.staff, meeting_id=b.meeting_id)["id"]
    staff = await login(live_server.url, a.staff.username)
    member = await login(live_server.url, b.members[0].username)
    outsider = await login(live_server.url, a.members[0].username)
    try:
        base = f"/api/meetings/{a.meeting_id}/display-tokens"
        hidden, absent = await staff.delete(f"{base}/{token_b}"), await staff.delete(f"{base}/{ABSENT}")
        assert _answer(hidden) == _answer(absent) and hidden.status_code == 404, (hidden.text, absent.text)
        assert str(token_b) not in hidden.text
        own = f"/api/meetings/{b.meeting_id}/display-tokens/{token_b}"
        hidden = await outsider.delete(own)  # not invited to b: b is absent to him
        absent = await outsider.delete(f"/api/meetings/{ABSENT}/display-tokens/{token_b}")
        assert _answer(hidden) == _answer(absent) and hidden.status_code == 404, (hidden.text, absent.text)
        assert (await member.delete(own)).status_code == 403  # he sees b, and may not revoke its screen
        assert (await staff.delete(own)).status_code == 204
        listed = (await staff.get(f"/api/meetings/{b.meeting_id}/display-tokens")).json()
        assert [t["revoked_at"] is not None for t in listed if t["id"] == token_b] == [True]
    finally:
        for http in (staff, member, outsider):
            await http.aclose()
