"""The viewer-independent snapshot slice "votes" (every vote of a meeting, in the protocol's shape).

The live room is one audience (members, guests, the hall display; see documents/serialize.py), so the slice
holds only what every viewer may see: a vote's result (`tally`: counts per option, `voters`: who chose what in
a named vote, `result`: the outcome) is in it only once the chair has PUBLISHED it. Before that everyone sees
the progress (`voted_count` of `eligible_count`) and `tally`, `voters` and `result` are null. Those who
conduct the meeting (chair, secretary, secretariat) see the result as it stands (`full=True`) in their own
answers: GET /api/votes/{id} and the list, and the acks of what they do (close → the result, to decide to
publish it). Per-viewer facts (my vote, may I vote) are never in the slice either: the cast ack and GET carry them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from accounts.models import User
from core.clock import iso
from meetings.models import Meeting
from votes.models import Ballot, OptionKind, Vote, VoteKind, VoteOption, VoteRule, VoteState


def options_of(session: Session, vote_ids: list[int]) -> dict[int, list[VoteOption]]:
    by_vote: dict[int, list[VoteOption]] = defaultdict(list)
    if vote_ids:
        rows = session.exec(
            select(VoteOption).where(col(VoteOption.vote_id).in_(vote_ids)).order_by(col(VoteOption.position))
        )
        for option in rows.all():
            by_vote[option.vote_id].append(option)
    return by_vote


def counts(session: Session, vote: Vote) -> dict[int, int]:
    """Current counts per option id (every option present, zeros included)."""
    assert vote.id is not None
    if vote.kind == VoteKind.secret:  # only ever known as the decrypted total (votes/ballot/)
        return {int(k): int(n) for k, n in ((vote.result or {}).get("counts") or {}).items()}
    rows = session.exec(
        select(Ballot.option_id, func.count()).where(Ballot.vote_id == vote.id).group_by(col(Ballot.option_id))
    ).all()
    return {int(option_id): int(n) for option_id, n in rows}


def named_voters(session: Session, vote_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Ballot, User)
        .join(User, col(User.id) == Ballot.user_id)
        .where(Ballot.vote_id == vote_id)
        .order_by(col(User.id))
    ).all()
    return [{"user_id": b.user_id, "full_name": u.full_name, "option_id": b.option_id} for b, u in rows]


def vote_data(
    session: Session, vote: Vote, options: list[VoteOption] | None = None, *, full: bool = False
) -> dict[str, Any]:
    """The vote for everyone (the result only once published), or as it stands for those who conduct (`full`)."""
    assert vote.id is not None
    if options is None:
        options = options_of(session, [vote.id])[vote.id]
    shown = vote.state == VoteState.published or (full and vote.state != VoteState.draft)
    tally: dict[str, int] | None = None
    # A secret vote has no counters, only the decrypted total: none while open, nor closed until the key holders
    # have decrypted it (null, "not yet decrypted", never zeros).
    if shown and (vote.kind != VoteKind.secret or vote.result is not None):
        current = counts(session, vote)
        tally = {str(o.id): current.get(o.id or 0, 0) for o in options}
    voters = named_voters(session, vote.id) if shown and vote.kind == VoteKind.named else None
    return {
        "id": vote.id,
        "meeting_id": vote.meeting_id,
        "agenda_item_id": vote.agenda_item_id,
        "question": vote.question,
        "kind": VoteKind(vote.kind).value,
        "rule": VoteRule(vote.rule).value,
        "state": VoteState(vote.state).value,
        "options": [{"id": o.id, "label": o.label, "kind": OptionKind(o.kind).value} for o in options],
        "voted_count": vote.voted_count,
        "eligible_count": vote.eligible_count,
        "tally": tally,
        "voters": voters,
        "result": vote.result if shown else None,
        "trustee_ids": vote.trustee_ids if vote.kind == VoteKind.secret else None,  # key holders (secret votes)
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
        "published_at": iso(vote.published_at),
    }


def votes_slice(session: Session, meeting: Meeting, *, full: bool = False) -> list[dict[str, Any]]:
    assert meeting.id is not None
    votes = list(session.exec(select(Vote).where(Vote.meeting_id == meeting.id).order_by(col(Vote.id))).all())
    options = options_of(session, [v.id for v in votes if v.id is not None])
    return [vote_data(session, v, options[v.id or 0], full=full) for v in votes]


# Every vote event carries the meeting's "votes" slice. A vote being prepared (a draft: its question, options and
# key holders) is the business of the meeting's members, not of its guests or the hall display: the events go to
# MEMBERS (votes/services.py) and outsiders are told the same event without the drafts (meetings/events.py
# tell_outsiders), as their snapshot is (app/domains.py).
EVENT_TYPES = (
    "vote.created",
    "vote.updated",
    "vote.opened",
    "vote.closed",
    "vote.published",
    "vote.decrypted",
    "vote.tally",
)


def without_drafts(votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in votes if v.get("state") != VoteState.draft.value]


def outsiders_slice(_session: Session, _meeting: Meeting, votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return without_drafts(votes)


def told_outsiders(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "votes": without_drafts(data.get("votes") or [])}


def votes_of_meeting(session: Session, meeting_id: int, *, full: bool = False) -> list[dict[str, Any]]:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    return votes_slice(session, meeting, full=full)
