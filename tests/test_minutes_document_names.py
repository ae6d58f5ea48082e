"""Every participant receives the signed minutes, guests included: a document is named in them only where each of
them may know it (minutes/facts.py); of the others nothing is said, not even how many there are (a count would tell
a member off a restricted list, or a guest, what their own list hides). Documents uploaded through the real
server."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from meetings.models import MeetingRole, Participant
from minutes.facts import gather
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import make_cabinet
from tests.live import login

SHARED, MEMBERS_ONLY, RESTRICTED = "Tờ trình chia sẻ khách mời", "Báo cáo chỉ thành viên", "Báo cáo thẩm định mật"


async def _papers(live: LiveServer, c: Any) -> None:
    staff = await login(live.url, c.staff.username)
    try:
        item = c.item_ids[0]
        for title, fields in (
            (SHARED, {"share_with_guests": True}),
            (MEMBERS_ONLY, {}),
            (RESTRICTED, {"restricted": True, "allowed_user_ids": [c.members[0].id]}),
        ):
            r = await upload(staff, c.meeting_id, make_pdf(1), title=title, agenda_item_id=item, **fields)
            assert r.status_code == 201, r.text
    finally:
        await staff.aclose()


def _listed(live: LiveServer, meeting_id: int, item_id: int) -> tuple[str, ...]:
    facts = live.db.run_read(lambda session: gather(session, meeting_id))
    return facts.documents[item_id]


async def test_with_a_guest_only_what_the_guest_may_read_is_named(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    await _papers(live_server, c)
    assert _listed(live_server, c.meeting_id, c.item_ids[0]) == (SHARED,)


async def test_without_guests_only_a_restricted_paper_goes_unnamed(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)

    def no_guests(*, session: Any) -> None:
        guests = select(Participant).where(
            Participant.meeting_id == c.meeting_id, Participant.role == MeetingRole.guest
        )
        for p in session.exec(guests):
            session.delete(p)

    live_server.db.run_write(no_guests)
    await _papers(live_server, c)
    listed = _listed(live_server, c.meeting_id, c.item_ids[0])
    assert listed == (SHARED, MEMBERS_ONLY)


async def test_an_item_whose_papers_cannot_be_named_lists_no_papers(live_server: LiveServer) -> None:
    """Only unnameable papers under an item: no "Tài liệu" line at all, so the item reads as one without papers."""
    c = make_cabinet(live_server.db)
    staff = await login(live_server.url, c.staff.username)
    try:
        r = await upload(
            staff,
            c.meeting_id,
            make_pdf(1),
            title=RESTRICTED,
            agenda_item_id=c.item_ids[1],
            restricted=True,
            allowed_user_ids=[c.members[0].id],
        )
        assert r.status_code == 201, r.text
    finally:
        await staff.aclose()
    facts = live_server.db.run_read(lambda session: gather(session, c.meeting_id))
    assert c.item_ids[1] not in facts.documents
