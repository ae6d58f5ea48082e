"""Ending the meeting closes the votes still open, counted as they stand: nothing is cast, closed or counted once
the session is over and its minutes are being written (meetings/hooks.py on_meeting_ended)."""

from __future__ import annotations

import pytest

from core.errors import Conflict
from meetings import services as meetings
from tests.conftest import LiveServer
from tests.factories import call
from tests.vote_helpers import new_vote, present_cabinet
from votes import casting, services


def _option(vote: dict, kind: str) -> int:
    return next(o["id"] for o in vote["options"] if o["kind"] == kind)


async def test_a_vote_open_at_the_end_closes_with_the_meeting(live_server: LiveServer) -> None:
    db = live_server.db  # the app wires the domains' hooks (app/domains.py)
    c = present_cabinet(db)
    vote = new_vote(db, c, state="open")
    for member, kind in zip(c.members[:3], ("yes", "yes", "no")):
        call(db, casting.cast, actor=member, vote_id=vote["id"], option_id=_option(vote, kind))
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    closed = db.run_read(services.get_vote, actor=c.chair, vote_id=vote["id"])
    assert closed["state"] == "closed" and closed["result"]["voted_count"] == 3
    assert closed["result"]["counts"] == {
        str(_option(vote, "yes")): 2,
        str(_option(vote, "no")): 1,
        str(_option(vote, "abstain")): 0,
    }
    with pytest.raises(Conflict):  # a member late to the vote: the meeting is over
        call(db, casting.cast, actor=c.members[3], vote_id=vote["id"], option_id=_option(vote, "yes"))
    with pytest.raises(Conflict):
        call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
