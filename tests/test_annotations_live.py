"""Annotations and presenter mode over real sockets (uvicorn + python-socketio clients)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from accounts.models import User
from annotations.models import Annotation
from tests.annotation_helpers import ink, note
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import LiveClient, live_client, login
from tests.minutes_helpers import pdf_text
from tests.waiting import eventually


class Tablet:
    """A LiveClient that also records the private `annotation` and ephemeral `pointer` events."""

    def __init__(self, client: LiveClient, http: Any) -> None:
        self.client, self.http = client, http
        self.private: list[dict[str, Any]] = []
        self.pointers: list[dict[str, Any]] = []
        client.sio.on("annotation", lambda data: self.private.append(data))
        client.sio.on("pointer", lambda data: self.pointers.append(data))

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        return await self.client.call(event, data)

    async def close(self) -> None:
        await self.client.close()
        await self.http.aclose()


async def tablet(live: LiveServer, username: str, meeting_id: int | None = None) -> Tablet:
    client, http = await live_client(live.url, username)
    t = Tablet(client, http)
    if meeting_id is not None:
        assert (await client.join(meeting_id))["ok"]
    return t


async def _doc(live: LiveServer, c: Cabinet, **fields: Any) -> int:
    staff = await login(live.url, c.staff.username)
    try:
        r = await upload(staff, c.meeting_id, make_pdf(4), **fields)
        assert r.status_code == 201, r.text
        return r.json()["id"]
    finally:
        await staff.aclose()


async def test_private_ink_syncs_to_the_authors_other_tablets_only(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    a1 = await tablet(live_server, c.members[0].username, c.meeting_id)
    a2 = await tablet(live_server, c.members[0].username, c.meeting_id)
    b = await tablet(live_server, c.members[1].username, c.meeting_id)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    try:
        ack = await a1.call("annotation:create", {"document_id": doc, **ink(2)})
        assert ack["ok"], ack
        made = ack["data"]
        await eventually(lambda: a2.private)
        assert a2.private[0] == {"type": "annotation.created", "annotation": made}
        ack = await a2.call(
            "annotation:update", {"annotation_id": made["id"], "data": ink(2, points=[[0.4, 0.4]])["data"]}
        )
        assert ack["ok"], ack
        # Every socket of the author is told, the one that made the change too (the client upserts by id).
        await eventually(lambda: [e for e in a1.private if e["type"] == "annotation.updated"])
        updated = next(e for e in a1.private if e["type"] == "annotation.updated")
        assert updated["annotation"]["data"]["strokes"][0]["points"] == [[0.4, 0.4]]
        # A note made over REST reaches both of the author's sockets.
        r = await a1.http.post(f"/api/documents/{doc}/annotations", json=note(1))
        assert r.status_code == 201
        made_by_rest = lambda t: [e for e in t.private if e["annotation"]["id"] == r.json()["id"]]
        await eventually(lambda: made_by_rest(a1) and made_by_rest(a2))
        assert (await a1.call("annotation:delete", {"annotation_id": made["id"]}))["ok"]
        await eventually(lambda: a2.private[-1]["type"] == "annotation.deleted")
        assert a2.private[-1]["annotation"]["id"] == made["id"]
        # Another member asking by id gets "not found"; nobody else received anything, nor any room event.
        ack = await b.call("annotation:update", {"annotation_id": r.json()["id"], "text": "sửa trộm"})
        assert not ack["ok"] and ack["error"]["code"] == "not_found"
        ack = await b.call("annotation:delete", {"annotation_id": r.json()["id"]})
        assert not ack["ok"] and ack["error"]["code"] == "not_found"
        # Markers: b and the chair each ink for themselves; once their own event is back, nothing else came.
        for t in (b, chair):
            own = await t.call("annotation:create", {"document_id": doc, **ink(3)})
            assert own["ok"], own

            def annotated(t: Tablet = t) -> list[dict[str, Any]]:
                return t.private

            await eventually(annotated, "the marker's annotation event")
            assert t.private == [{"type": "annotation.created", "annotation": own["data"]}]
        assert b.client.events == [] and chair.client.events == []
        assert "Cần làm rõ" not in repr(b.client.state)
    finally:
        for t in (a1, a2, b, chair):
            await t.close()


async def test_presenter_page_change_reaches_every_following_tablet(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c, share_with_guests=True)  # the guest follows too
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    members = [await tablet(live_server, m.username, c.meeting_id) for m in c.members[:3]]
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    try:
        ack = await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 1})
        assert ack["ok"], ack
        assert ack["data"] == {
            "document_id": doc,
            "version": 1,
            "page": 1,
            "presenter_user_id": c.chair.id,
            "presenter_name": "Phạm Thủ Tướng",
        }
        assert (await chair.call("presenter:page", {"meeting_id": c.meeting_id, "page": 3}))["ok"]
        for t in (*members, guest):
            env = await t.client.wait_for(
                lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"]["page"] == 3
            )
            assert env["data"]["presenter"]["document_id"] == doc

            def caught_up(t: Tablet = t, seq: int = env["seq"]) -> bool:
                return t.client.seq == seq

            await eventually(caught_up)
            assert t.client.state is not None and t.client.state["presenter"]["page"] == 3
        fresh = (await members[0].call("meeting:join", {"meeting_id": c.meeting_id}))["data"]["snapshot"]
        assert members[0].client.state == fresh  # events applied to the join snapshot == a fresh snapshot
        # Moving to the next agenda item ends presenting (the hook rides on agenda.current_changed).
        assert (await chair.call("agenda:next", {"meeting_id": c.meeting_id}))["ok"]
        env = await members[1].client.wait_for(lambda e: e["type"] == "agenda.current_changed")
        assert env["data"]["presenter"] is None
        await eventually(lambda: members[1].client.seq == env["seq"])
        fresh = (await members[2].call("meeting:join", {"meeting_id": c.meeting_id}))["data"]["snapshot"]
        assert members[1].client.state is not None and members[1].client.state["presenter"] is None
        assert members[1].client.state == fresh
    finally:
        for t in (chair, *members, guest):
            await t.close()


async def test_presenter_controls_refuse_plain_members_and_guests(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    secret = await _doc(live_server, c, restricted=True, allowed_user_ids=[c.members[0].id])
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    mid = c.meeting_id
    calls = [
        ("presenter:start", {"meeting_id": mid, "document_id": doc, "page": 1}),
        ("presenter:page", {"meeting_id": mid, "page": 2}),
        ("presenter:ink", {"meeting_id": mid, "page": 1, "data": ink(1)["data"]}),
        ("presenter:stop", {"meeting_id": mid}),
    ]
    try:
        for t in (member, guest):
            for name, payload in calls:
                ack = await t.call(name, payload)
                assert not ack["ok"] and ack["error"]["code"] == "forbidden", (name, ack)
            ack = await t.call("presenter:pointer", {"meeting_id": mid, "x": 0.5, "y": 0.5})
            assert not ack["ok"] and ack["error"]["code"] in ("forbidden", "invalid_state")
        r = await member.http.post(f"/api/documents/{doc}/annotations", json={**ink(1), "shared": True})
        assert r.status_code == 403
        assert (await member.http.get(f"/api/meetings/{mid}/presenter")).json()["may_present"] is False
        # Allowed: the secretary, the secretariat, the chair ... but never for a restricted document.
        for username in (c.secretary.username, c.staff.username, c.chair.username):
            t = await tablet(live_server, username, mid)
            try:
                assert (await t.http.get(f"/api/meetings/{mid}/presenter")).json()["may_present"] is True
                ack = await t.call("presenter:start", {"meeting_id": mid, "document_id": doc, "page": 2})
                assert ack["ok"], ack
                ack = await t.call("presenter:start", {"meeting_id": mid, "document_id": secret, "page": 1})
                if username != c.chair.username:  # those who prepare the meeting read it: told why it is not shown
                    assert (
                        not ack["ok"] and ack["error"]["code"] == "forbidden" and "hạn chế" in ack["error"]["message"]
                    )
                else:  # not on its list: for them there is no such paper in this meeting
                    assert not ack["ok"] and ack["error"]["code"] == "not_found", ack
                ack = await t.call("presenter:page", {"meeting_id": mid, "page": 9})
                assert not ack["ok"] and ack["error"]["code"] == "validation_failed"
            finally:
                await t.close()
        # ... and a participant from the current item's presenter agency (cơ quan trình: "Bộ Tài chính").
        with live_server.db.write_session() as s:
            user = s.exec(select(User).where(User.id == c.members[1].id)).one()
            user.unit = "bộ tài  CHÍNH"
            s.add(user)
            s.commit()
        presenter = await tablet(live_server, c.members[1].username, mid)
        try:
            assert (await presenter.call("presenter:page", {"meeting_id": mid, "page": 4}))["ok"]
            await member.client.wait_for(
                lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"]["page"] == 4
            )
            assert member.client.state is not None
            assert member.client.state["presenter"]["presenter_user_id"] == c.members[1].id
            assert (await presenter.call("presenter:stop", {"meeting_id": mid}))["ok"]
        finally:
            await presenter.close()
    finally:
        await member.close()
        await guest.close()


async def test_shared_ink_is_stored_sent_to_the_room_and_only_its_author_deletes_it(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    try:
        ack = await chair.call("presenter:ink", {"meeting_id": c.meeting_id, "page": 1, "data": ink(1)["data"]})
        assert not ack["ok"] and ack["error"]["code"] == "invalid_state"  # nothing presented yet
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc}))["ok"]
        ack = await chair.call("presenter:ink", {"meeting_id": c.meeting_id, "page": 1, "data": ink(1)["data"]})
        assert ack["ok"], ack
        shared = ack["data"]
        env = await member.client.wait_for(lambda e: e["type"] == "presenter.ink")
        assert env["data"]["annotation"] == shared and shared["shared"] and isinstance(env["seq"], int)
        listed = (await member.http.get(f"/api/documents/{doc}/annotations")).json()
        assert [a["id"] for a in listed] == [shared["id"]]
        assert (await member.http.delete(f"/api/annotations/{shared['id']}")).status_code == 403
        assert (await chair.http.patch(f"/api/annotations/{shared['id']}", json={"text": ""})).status_code == 409
        assert (await chair.http.delete(f"/api/annotations/{shared['id']}")).status_code == 204
        env = await member.client.wait_for(lambda e: e["type"] == "presenter.ink_removed")
        assert env["data"]["annotation_id"] == shared["id"]
        assert (await member.http.get(f"/api/documents/{doc}/annotations")).json() == []
    finally:
        await chair.close()
        await member.close()


async def test_pointer_is_relayed_rate_limited_and_floods_do_not_kill_the_connection(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    outsider = await tablet(live_server, c.outsider.username)
    try:
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 2}))["ok"]
        ack = await chair.call("presenter:pointer", {"meeting_id": c.meeting_id, "x": 0.25, "y": 0.75})
        assert ack == {"ok": True, "data": None}
        await eventually(lambda: member.pointers)
        assert member.pointers[0] == {
            "meeting_id": c.meeting_id,
            "x": 0.25,
            "y": 0.75,
            "user_id": c.chair.id,
            "document_id": doc,
            "version": 1,
            "page": 2,
        }
        assert chair.pointers == [] and outsider.pointers == []
        for bad in (
            {"meeting_id": c.meeting_id, "x": 1.5, "y": 0.1},
            {"meeting_id": c.meeting_id, "x": "0.1", "y": 0.1},
            {"meeting_id": c.meeting_id, "x": 0.1, "y": 0.1, "z": 1},
            "nonsense",
        ):
            ack = await chair.call("presenter:pointer", bad)
            assert not ack["ok"] and ack["error"]["code"] == "validation_failed", bad
        # A flood: 300 positions at once. Most are dropped; the connection and every other action carry on.
        member.pointers.clear()
        for i in range(300):
            await chair.client.sio.emit("presenter:pointer", {"meeting_id": c.meeting_id, "x": i / 300, "y": 0.5})
        acks = await asyncio.gather(
            *(chair.call("presenter:pointer", {"meeting_id": c.meeting_id, "x": 0.1, "y": 0.1}) for _ in range(5))
        )
        # Right behind the flood the bucket is empty: refused, though a token (1/30 s) may have come back if the
        # machine paused the server between the flood and these calls.
        assert all(a["ok"] or a["error"]["code"] == "rate_limited" for a in acks)
        assert sum(not a["ok"] for a in acks) >= 3, acks
        # Marker: a page change made after the flood; once the member has it, every relayed position has come.
        assert (await chair.call("presenter:page", {"meeting_id": c.meeting_id, "page": 3}))["ok"]
        await member.client.wait_for(lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"]["page"] == 3)
        assert 0 < len(member.pointers) <= 60
        assert chair.client.sio.connected
        # Someone outside the meeting room cannot point at it.
        ack = await outsider.call("presenter:pointer", {"meeting_id": c.meeting_id, "x": 0.5, "y": 0.5})
        assert not ack["ok"] and ack["error"]["code"] == "forbidden"
    finally:
        for t in (chair, member, outsider):
            await t.close()


async def test_restricted_document_and_bad_payloads_over_sockets(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c, restricted=True, allowed_user_ids=[c.members[0].id])
    inside = await tablet(live_server, c.members[0].username, c.meeting_id)
    outside = await tablet(live_server, c.members[1].username, c.meeting_id)
    try:
        ack = await outside.call("annotation:create", {"document_id": doc, **ink(1)})
        assert not ack["ok"] and ack["error"] == {"code": "not_found", "message": "Không tìm thấy tài liệu."}
        ack = await inside.call("annotation:create", {"document_id": doc, **ink(1)})
        assert ack["ok"]
        for bad in (
            {"document_id": doc, **ink(1, points=[[0.1, 1.01]])},
            {"document_id": doc, **ink(1, points=[[0.2, 0.2]] * 2001)},
            {"document_id": str(doc), **ink(1)},
            {"document_id": doc, **ink(1), "page": 1.5},
            {"document_id": doc, **note(1), "data": {"x": 0.1}},
            None,
            [1, 2],
        ):
            ack = await inside.call("annotation:create", bad)
            assert not ack["ok"] and ack["error"]["code"] == "validation_failed", bad
        ack = await inside.call("annotation:update", {"annotation_id": "x"})
        assert not ack["ok"] and ack["error"]["code"] == "validation_failed"
        assert inside.client.sio.connected and outside.private == []
    finally:
        await inside.close()
        await outside.close()


async def test_removing_a_presented_document_stops_presenting_and_drops_its_notes(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    author = await login(live_server.url, c.members[0].username)
    staff = await login(live_server.url, c.staff.username)
    try:
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 2}))["ok"]
        assert (await author.post(f"/api/documents/{doc}/annotations", json=ink(1))).status_code == 201
        assert (await staff.delete(f"/api/documents/{doc}")).status_code == 204
        env = await member.client.wait_for(
            lambda e: e["type"] == "presenter.changed" and e["data"]["presenter"] is None
        )
        await member.client.wait_for(lambda e: e["type"].startswith("document") and e["seq"] > env["seq"])
        fresh = (await member.call("meeting:join", {"meeting_id": c.meeting_id}))["data"]["snapshot"]
        assert fresh["presenter"] is None
        with live_server.db.read_session() as s:
            left = s.exec(select(Annotation).where(Annotation.document_id == doc)).all()
        assert left == []
    finally:
        for t in (chair, member):
            await t.close()
        await author.aclose()
        await staff.aclose()


async def test_shared_presenter_ink_is_listed_in_the_minutes_annex(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    # shared with guests: the minutes, which the guest receives too, may name it (minutes/facts.py)
    doc = await _doc(live_server, c, title="Tờ trình dự toán ngân sách", share_with_guests=True)
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    staff = await login(live_server.url, c.staff.username)
    try:
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc, "page": 2}))["ok"]
        for _ in range(2):
            ack = await chair.call("presenter:ink", {"meeting_id": c.meeting_id, "page": 2, "data": ink(2)["data"]})
            assert ack["ok"], ack
        draft = (await staff.get(f"/api/meetings/{c.meeting_id}/minutes")).json()
        annex = next(s for s in draft["sections"] if s["key"] == "annex")
        assert (
            annex["generated"]
            == "Tài liệu «Tờ trình dự toán ngân sách», trang 2: 2 nét ghi chú chung (Phạm Thủ Tướng)."
        )
        pdf = (await staff.get(f"/api/meetings/{c.meeting_id}/minutes.pdf")).content
        text, _ = pdf_text(pdf)
        flat = " ".join(text.split())
        assert "PHỤ LỤC" in flat and "trang 2: 2 nét ghi chú chung (Phạm Thủ Tướng)" in flat
    finally:
        await chair.close()
        await staff.aclose()


async def test_shared_ink_on_a_document_not_shared_with_guests_never_reaches_a_guest(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db, start=True)
    doc = await _doc(live_server, c)  # not shared with guests
    chair = await tablet(live_server, c.chair.username, c.meeting_id)
    member = await tablet(live_server, c.members[0].username, c.meeting_id)
    guest = await tablet(live_server, c.guest.username, c.meeting_id)
    try:
        assert (await chair.call("presenter:start", {"meeting_id": c.meeting_id, "document_id": doc}))["ok"]
        ack = await chair.call("presenter:ink", {"meeting_id": c.meeting_id, "page": 1, "data": ink(1)["data"]})
        assert ack["ok"], ack
        shared = ack["data"]
        sent = await member.client.wait_for(lambda e: e["type"] == "presenter.ink")
        assert sent["data"]["annotation"] == shared
        assert (await chair.http.delete(f"/api/annotations/{shared['id']}")).status_code == 204
        removed = await member.client.wait_for(lambda e: e["type"] == "presenter.ink_removed")
        # The guest's stream keeps its seq without a gap, but holds placeholders where the ink was.
        last = await guest.client.wait_for(lambda e: e["seq"] == removed["seq"])
        assert last["type"] == "hidden"
        at_ink = [e for e in guest.client.events if e["seq"] == sent["seq"]]
        assert [e["type"] for e in at_ink] == ["hidden"]
        assert not [e for e in guest.client.events if "annotation" in e["data"] or "annotation_id" in e["data"]]
    finally:
        for t in (chair, member, guest):
            await t.close()
