"""The viewer-independent snapshot slice "votes" (every vote of a meeting, in the protocol's shape).

The live room is one audience (members, guests, the hall display; see documents/serialize.py), so the slice
holds only what every viewer may see: a vote's result (`tally`: counts per option, `voters`: who chose what in
a named vote, `result`: the outcome) is in it only once the chair has PUBLISHED it. Before that everyone sees
the progress (`voted_count` of `eligible_count`) and `tally`, `voters` and `result` are null. Those who
conduct the meeting (chair, secretary, secretariat) see the result as it stands (`full=True`) in their own
answers: GET /api/votes/{id} and the list, and the acks of what they do (close → the result, to decide to
publish it). Per-viewer facts (my vote, may I vote) are never in the slice either: the cast ack and GET carry them.

A closed secret vote also carries how far its joint decryption has got (`decryption`: shares in, shares needed,
which key holders gave theirs): the members see the key ceremony's list of key holders, and this is that list
again for the decryption (nothing in it depends on any ballot). Guests and the hall display never saw either, so
they get the votes without it (`for_outsiders`), as they get them without the drafts.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from accounts.models import User
from core.clock import iso
from meetings.models import Meeting
from votes.models import (
    Ballot,
    BallotElection,
    OptionKind,
    TrusteeShare,
    Vote,
    VoteKind,
    VoteOption,
    VoteRule,
    VoteState,
)


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


def decryption_of(session: Session, votes: list[Vote]) -> dict[int, dict[str, Any]]:
    """The joint decryption's progress of each closed secret vote among `votes`: `threshold` shares needed,
    `decrypted` given, and the key holders in index order with `decrypted` each (their names as the key ceremony
    shows them). Only closed votes: before, there is nothing to decrypt; once published, the result says it all."""
    ids = [v.id for v in votes if v.id is not None and v.kind == VoteKind.secret and v.state == VoteState.closed]
    if not ids:
        return {}
    threshold = {
        vote_id: int(params.get("threshold") or 0)
        for vote_id, params in session.exec(
            select(BallotElection.vote_id, BallotElection.params).where(col(BallotElection.vote_id).in_(ids))
        ).all()
    }
    rows = session.exec(
        select(TrusteeShare, User.full_name)
        .join(User, col(User.id) == col(TrusteeShare.user_id))
        .where(col(TrusteeShare.vote_id).in_(ids))
        .order_by(col(TrusteeShare.vote_id), col(TrusteeShare.idx))
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for share, name in rows:
        if share.vote_id not in threshold:
            continue
        entry = found.setdefault(share.vote_id, {"threshold": threshold[share.vote_id], "decrypted": 0, "trustees": []})
        done = share.partial is not None  # (a JSON column stores None as JSON null: tested here, not in SQL)
        entry["decrypted"] += int(done)
        entry["trustees"].append({"user_id": share.user_id, "name": name, "decrypted": done})
    return found


def vote_data(
    session: Session,
    vote: Vote,
    options: list[VoteOption] | None = None,
    *,
    full: bool = False,
    decryption: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The vote for everyone (the result only once published), or as it stands for those who conduct (`full`).
    `decryption`: decryption_of the vote, when the caller has read it for several votes at once."""
    assert vote.id is not None
    if options is None:
        options = options_of(session, [vote.id])[vote.id]
    if decryption is None:
        decryption = decryption_of(session, [vote])
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
        "decryption": decryption.get(vote.id),  # closed secret votes: shares in, needed, by whom (members only)
        "opened_at": iso(vote.opened_at),
        "closed_at": iso(vote.closed_at),
        "published_at": iso(vote.published_at),
    }


def votes_slice(session: Session, meeting: Meeting, *, full: bool = False) -> list[dict[str, Any]]:
    assert meeting.id is not None
    votes = list(session.exec(select(Vote).where(Vote.meeting_id == meeting.id).order_by(col(Vote.id))).all())
    options = options_of(session, [v.id for v in votes if v.id is not None])
    decryption = decryption_of(session, votes)
    return [vote_data(session, v, options[v.id or 0], full=full, decryption=decryption) for v in votes]


# Every vote event carries the meeting's "votes" slice. A vote being prepared (a draft: its question, options and
# key holders) is the business of the meeting's members, not of its guests or the hall display: the events go to
# MEMBERS (votes/services.py) and outsiders are told the same event without the drafts (meetings/events.py
# tell_outsiders), as their snapshot is (app/domains.py); nor is the decryption's progress theirs. A key holder's
# share arriving ("vote.partial", votes/secret.py) changes nothing else: outsiders get only its placeholder.
EVENT_TYPES = (
    "vote.created",
    "vote.updated",
    "vote.opened",
    "vote.closed",
    "vote.published",
    "vote.decrypted",
    "vote.tally",
)


PARTIAL_EVENT = "vote.partial"


def without_drafts(votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in votes if v.get("state") != VoteState.draft.value]


def outsider_vote(vote: dict[str, Any]) -> dict[str, Any]:
    """A vote as a guest or the hall display sees it: without the decryption's progress (the key holders' names
    are the members' business, as the key ceremony is)."""
    return {k: v for k, v in vote.items() if k != "decryption"}


def for_outsiders(votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [outsider_vote(v) for v in without_drafts(votes)]


def outsiders_slice(_session: Session, _meeting: Meeting, votes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return for_outsiders(votes)


def told_outsiders(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "votes": for_outsiders(data.get("votes") or [])}


def votes_of_meeting(session: Session, meeting_id: int, *, full: bool = False) -> list[dict[str, Any]]:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    return votes_slice(session, meeting, full=full)
