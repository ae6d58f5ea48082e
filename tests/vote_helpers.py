"""Helpers for the votes tests: a started meeting with everyone present and votes in a chosen state."""
from __future__ import annotations

from typing import Any

from accounts.actor import Actor
from app.db import Database
from meetings import participation
from meetings.models import Attendance
from meetings.schemas import CheckInRequest, ParticipantUpdate
from tests.factories import Cabinet, call, make_cabinet
from votes import services
from votes.models import VoteKind, VoteRule
from votes.schemas import VoteCreate


def check_in(db: Database, c: Cabinet, actors: list[Actor]) -> None:
    for actor in actors:
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())


def set_attendance(db: Database, c: Cabinet, actor: Actor, attendance: Attendance, **extra: Any) -> None:
    data = ParticipantUpdate(attendance=attendance, **extra)
    call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=actor.id, data=data)


def present_cabinet(db: Database, n_members: int = 5) -> Cabinet:
    """Started, chair and every member checked in (quorum reached)."""
    c = make_cabinet(db, n_members=n_members, start=True)
    check_in(db, c, [c.chair, *c.members])
    return c


def new_vote(db: Database, c: Cabinet, *, kind: VoteKind = VoteKind.open, rule: VoteRule = VoteRule.all_members,
             state: str = "draft") -> dict[str, Any]:  # fmt: skip
    vote = call(db, services.create_vote, actor=c.secretary, meeting_id=c.meeting_id,
                data=VoteCreate(agenda_item_id=c.item_ids[0], question="Thông qua dự toán ngân sách năm 2027?", kind=kind, rule=rule))  # fmt: skip
    if kind == VoteKind.secret and state != "draft":
        enrol_trustees(db, c)
    if state in ("open", "closed", "published"):
        vote = call(db, services.open_vote, actor=c.chair, vote_id=vote["id"])
    if state in ("closed", "published"):
        vote = call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
        if kind == VoteKind.secret:
            vote = decrypt(db, c, vote)
    if state == "published":
        vote = call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
    return vote


def option(vote: dict[str, Any], kind: str) -> int:
    return next(o["id"] for o in vote["options"] if o["kind"] == kind)


def enrol_trustees(db: Database, c: Cabinet) -> None:
    """The default key holders of a secret vote (chair, secretary, first member) create their trustee keys."""
    from tests.factories import PASSWORD
    from votes.ballot import election

    for actor in (c.chair, c.secretary, c.members[0]):
        call(db, election.enrol_trustee, actor=actor, password=PASSWORD)


def cast_secret(db: Database, voter: Actor, vote: dict[str, Any], kind: str) -> dict[str, Any]:
    """What a tablet does: fetch the parameters, encrypt and prove the choice, send the ballot."""
    import secrets

    from votes.ballot import election, proofs

    p = db.run_read(election.parameters, actor=voter, vote_id=vote["id"])
    index = [o["kind"] for o in vote["options"]].index(kind)
    ballot = proofs.encrypt_ballot(p["params"], p["params_digest"], index, secrets.token_bytes(32))
    return call(db, services.cast_secret, actor=voter, vote_id=vote["id"], ballot=ballot)


def decrypt(db: Database, c: Cabinet, vote: dict[str, Any]) -> dict[str, Any]:
    """Two of the three key holders (chair, secretary) decrypt a closed secret vote's total."""
    from tests.factories import PASSWORD

    call(db, services.decrypt, actor=c.secretary, vote_id=vote["id"], password=PASSWORD)
    return call(db, services.decrypt, actor=c.chair, vote_id=vote["id"], password=PASSWORD)
