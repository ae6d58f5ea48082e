"""Signed minutes state every vote's result: while a secret vote waits for its key holders, the minutes cannot be
finalised (else the result would be known only after the signatures, and the signed record would say "no result")."""

from __future__ import annotations

import pytest

from app.db import Database
from core.errors import Conflict
from meetings import services as meetings
from minutes import services
from tests.factories import call
from tests.minutes_helpers import QUESTIONS, _cast
from tests.vote_helpers import decrypt, ensure_ceremony, present_cabinet
from votes import services as votes
from votes.models import VoteKind
from votes.schemas import VoteCreate


def test_minutes_wait_for_a_secret_votes_decryption(db: Database) -> None:
    c = present_cabinet(db)  # started, everyone present
    ensure_ceremony(db, c)
    made = call(
        db,
        votes.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(agenda_item_id=c.item_ids[0], question=QUESTIONS[VoteKind.secret], kind=VoteKind.secret),
    )
    vote = call(db, votes.open_vote, actor=c.chair, vote_id=made["id"])
    _cast(db, vote, [(c.chair, "yes"), (c.members[0], "yes"), (c.members[1], "no")])
    call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    with pytest.raises(Conflict) as refused:  # denied: the result is not known yet
        call(db, services.finalise, actor=c.staff, meeting_id=c.meeting_id)
    assert "chưa có kết quả" in str(refused.value) and refused.value.details == {"vote_id": vote["id"]}
    decrypt(db, c, vote)
    frozen = call(db, services.finalise, actor=c.staff, meeting_id=c.meeting_id)  # allowed: every result known
    assert frozen["state"] == "final" and frozen["version"] == 1
