"""GET /api/notices reads only the notices the caller may read: it once opened every notice in the database and
asked notice_access of each, so its work (and its time) grew with the drafts of meetings the caller may not know
of. The statements it runs for a member stay the same however many such notices exist; what each reader sees is
unchanged (the chair his draft; a participant and a user of a unit with a task the issued notice)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from app.db import Database
from core.actor import Actor
from notices import services as notices
from meetings import services as meetings
from minutes import conclusions
from tests.factories import call, make_cabinet
from tests.notice_helpers import CONCLUSIONS, held_meeting


def _listed(db: Database, actor: Actor) -> tuple[list[int], int]:
    """(ids listed, SELECT statements run)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = db.run_read(notices.list_notices, actor=actor)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return [n["id"] for n in listed], len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def _other_meeting_ended(db: Database) -> tuple[Actor, int]:
    """(its staff, its id): a meeting of other people, held and ended with a conclusion."""
    c = make_cabinet(db, n_members=1, n_items=1, start=True)
    call(
        db,
        conclusions.save_conclusion,
        actor=c.staff,
        meeting_id=c.meeting_id,
        item_id=c.item_ids[0],
        text=CONCLUSIONS[0],
        base_revision=0,
    )
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    return c.staff, c.meeting_id


def test_a_members_list_costs_the_same_however_many_notices_he_may_not_see(db: Database) -> None:
    mine = held_meeting(db)
    c = mine.cabinet
    nid = call(db, notices.create_notice, actor=c.staff, meeting_id=c.meeting_id)["id"]
    ministry = mine.ministry
    before = {who: _listed(db, actor) for who, actor in (("member", c.members[0]), ("ministry", ministry))}
    assert before["member"][0] == [] and before["ministry"][0] == []  # a draft: not theirs yet
    assert _listed(db, c.chair)[0] == [nid]  # the chair follows his meeting's draft
    for _ in range(4):  # drafts of other meetings: nothing of them may show, not even in the time taken
        staff, meeting_id = _other_meeting_ended(db)
        call(db, notices.create_notice, actor=staff, meeting_id=meeting_id)
    after = {who: _listed(db, actor) for who, actor in (("member", c.members[0]), ("ministry", ministry))}
    assert after == before
    assert _listed(db, c.chair)[0] == [nid]
    assert len(_listed(db, c.staff)[0]) == 5
