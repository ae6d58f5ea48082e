"""Presenting is reading aloud: a participant may present only a paper they may read themselves (a guest whose
unit presents the current item cannot put a members-only paper on the room's tablets, nor learn of it from the
refusals), and the laser pointer follows the presentation at once when it moves (no cached answer outlives a page
turn or a change of paper). Real sockets."""

from __future__ import annotations

import pytest
from sqlmodel import select

from accounts.models import User
from meetings.models import AgendaItem, Meeting
from tests.conftest import LiveServer
from tests.factories import make_cabinet
from tests.annotation_helpers import ink
from tests.test_annotations_live import _doc, tablet
from tests.waiting import eventually


def _unit_presents_current_item(live: LiveServer, meeting_id: int, user_id: int) -> None:
    with live.db.write_session() as s:
        meeting = s.exec(select(Meeting).where(Meeting.id == meeting_id)).one()
        item = s.exec(select(AgendaItem).where(AgendaItem.id == meeting.current_item_id)).one()
        user = s.exec(select(User).where(User.id == user_id)).one()
        user.unit = item.presenter
        s.add(user)
        s.commit()


async def test_a_guest_presenting_the_current_item_cannot_present_a_paper_they_may_not_read(
    live_server: LiveServer,
) -> None:
    c = make_cabinet(live_server.db, start=True)
    shared = await _doc(live_server, c, share_with_guests=True)
    members_only = await _doc(live_server, c)
    other_meeting = make_cabinet(live_server.db, start=True)
    elsewhere = await _doc(live_server, other_meeting, share_with_guests=True)
    _unit_presents_current_item(live_server, c.meeting_id, c.guest.id)
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    mid = c.meeting_id
    try:
        # denied: a paper not shared with guests answers exactly as one that is not in this meeting
        refused = await guest.call("presenter:start", {"meeting_id": mid, "document_id": members_only})
        missing = await guest.call("presenter:start", {"meeting_id": mid, "document_id": elsewhere})
        assert not refused["ok"] and refused["error"]["code"] == "not_found"
        assert refused["error"]["message"].replace(str(members_only), "#") == missing["error"]["message"].replace(
            str(elsewhere), "#"
        )
        # nor can it turn the pages of one the chair presents (nor learn its page count from the refusal)
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": members_only}))["ok"]
        turned = await guest.call("presenter:page", {"meeting_id": mid, "page": 99})
        assert not turned["ok"] and turned["error"]["code"] == "forbidden" and "4" not in turned["error"]["message"]
        # allowed: a paper shared with guests, which the members' tablets follow
        assert (await guest.call("presenter:start", {"meeting_id": mid, "document_id": shared, "page": 2}))["ok"]
        followed = await member.client.wait_for(
            lambda e: e["type"] == "presenter.changed" and (e["data"]["presenter"] or {}).get("document_id") == shared
        )
        assert followed["data"]["presenter"]["presenter_user_id"] == c.guest.id
    finally:
        for t in (guest, member, chair):
            await t.close()


async def test_the_pointer_follows_the_paper_as_soon_as_the_room_is_told(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    shared = await _doc(live_server, c, share_with_guests=True)
    members_only = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    mid = c.meeting_id
    try:
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": shared}))["ok"]
        assert (await chair.call("presenter:pointer", {"meeting_id": mid, "x": 0.1, "y": 0.1}))["ok"]
        await eventually(lambda: guest.pointers and member.pointers, "the room to see the pointer")
        assert guest.pointers[-1]["document_id"] == shared
        # the chair moves to a members-only paper; the pointer, sent right after the room was told, is on it
        # and reaches the members only (before, a check cached for a second sent it to the guest, on the old paper)
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": members_only}))["ok"]
        await member.client.wait_for(
            lambda e: (
                e["type"] == "presenter.changed" and (e["data"]["presenter"] or {}).get("document_id") == members_only
            )
        )
        seen_by_guest = len(guest.pointers)
        assert (await chair.call("presenter:pointer", {"meeting_id": mid, "x": 0.9, "y": 0.9}))["ok"]
        await eventually(lambda: member.pointers[-1]["x"] == 0.9, "the member to see the new pointer")
        assert member.pointers[-1]["document_id"] == members_only
        # the chair stops: a pointer now is refused at once
        assert (await chair.call("presenter:stop", {"meeting_id": mid}))["ok"]
        await member.client.wait_for(lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"] is None)
        late = await chair.call("presenter:pointer", {"meeting_id": mid, "x": 0.5, "y": 0.5})
        assert not late["ok"] and late["error"]["code"] == "invalid_state"
        assert len(guest.pointers) == seen_by_guest  # nothing on the members-only paper, nothing after the end
    finally:
        for t in (chair, member, guest):
            await t.close()


async def test_shared_ink_stays_once_the_session_is_over(live_server: LiveServer) -> None:
    """Shared ink is part of the session's record (the minutes list it): its author may take it off during the
    session, not after the meeting has ended (nor once the minutes are signed)."""
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    mid = c.meeting_id
    try:
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": doc}))["ok"]
        strokes = []
        for _ in range(2):
            ack = await chair.call("presenter:ink", {"meeting_id": mid, "page": 1, "data": ink(1)["data"]})
            assert ack["ok"], ack
            strokes.append(ack["data"]["id"])
        assert (await chair.http.delete(f"/api/annotations/{strokes[0]}")).status_code == 204  # allowed: in session
        ended = await chair.http.post(f"/api/meetings/{mid}/end")
        assert ended.status_code == 200, ended.text
        late = await chair.http.delete(f"/api/annotations/{strokes[1]}")  # denied: the session is over
        assert late.status_code == 409 and late.json()["error"]["code"] == "invalid_state"
        listed = (await chair.http.get(f"/api/documents/{doc}/annotations")).json()
        assert [a["id"] for a in listed if a["shared"]] == [strokes[1]]
    finally:
        await chair.close()


async def test_shared_ink_is_bounded_per_paper(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reader's listing holds the presenters' ink: past its budget a stroke is refused (409, in words),
    the strokes before it stay, and removing some makes room again."""
    from annotations import services as annotations

    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    mid = c.meeting_id
    stroke = {"meeting_id": mid, "page": 1, "data": ink(1)["data"]}
    try:
        assert (await chair.call("presenter:start", {"meeting_id": mid, "document_id": doc}))["ok"]
        first = await chair.call("presenter:ink", stroke)
        assert first["ok"], first
        with live_server.db.read_session() as session:
            held = annotations._held(session, doc, 1, None)[1]  # what one stroke takes
        monkeypatch.setattr(annotations, "SHARED_BUDGET", 2 * held + 10)
        assert (await chair.call("presenter:ink", stroke))["ok"]  # allowed: within the budget
        refused = await chair.call("presenter:ink", stroke)  # denied: a third would pass it
        assert (
            not refused["ok"]
            and refused["error"]["code"] == "invalid_state"
            and "giới hạn" in refused["error"]["message"]
        )
        assert (await chair.http.delete(f"/api/annotations/{first['data']['id']}")).status_code == 204
        assert (await chair.call("presenter:ink", stroke))["ok"]  # room again
    finally:
        await chair.close()
