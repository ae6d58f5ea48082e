"""Casting on open and named votes: one tap, the last choice counts. Casts that arrive together are one batch
(cast_many: infra/groupcommit.py, AppContext.write_many), locked meeting -> vote once per batch as every writer
locks them; a lone cast is a batch of one. Secret ballots are cast_secret (votes/secret.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from core.actor import Actor
from core import outbox
from core.clock import utcnow
from core.errors import DomainError, NotFound, ValidationFailed
from core.text import short
from meetings.access import Access, load_meeting
from meetings.models import Participant
from meetings.rules import OrgRules, get_rules
from votes import serialize
from votes.seen import require_visible
from votes.models import Ballot, VoterRecord, Vote, VoteKind, VoteState
from votes.services import load_vote, require_vote_state, require_voter


def cast(*, session: Session, actor: Actor, vote_id: int, option_id: int) -> dict[str, Any]:
    """Open and named votes: one tap + confirm, the last choice counts. Secret votes take cast_secret only.
    A cast alone is a batch of one (cast_many): the same checks, the same rows."""
    ok, answer = cast_many(session=session, calls=[{"actor": actor, "vote_id": vote_id, "option_id": option_id}])[0]
    if not ok:
        raise answer
    done: dict[str, Any] = answer
    return done


def cast_many(*, session: Session, calls: list[dict[str, Any]]) -> list[tuple[bool, Any]]:
    """The casts that arrived together (infra/groupcommit.py, AppContext.write_many): calls {actor, vote_id,
    option_id}; answers (True, what `cast` answers) or (False, the error it raises), in the same order.

    What the calls share is read once per vote: the vote and its meeting (locked: meeting -> vote, as every
    writer takes them, so the batch is serialised with other casts and with close), the options, the callers'
    participations and their current choices. Each call is then checked on its own, in arrival order, exactly as
    a lone cast is (invited, entitled to vote, vote open, not secret, an option of this vote): a refused call
    writes nothing. The same member twice (two taps, two tablets) sees their first choice: one voter record,
    the last choice counts. The accepted calls' rows are inserted together; one vote.tally job per vote."""
    answers: list[tuple[bool, Any]] = [(False, None)] * len(calls)
    by_vote: dict[int, list[int]] = {}
    for i, call in enumerate(calls):
        by_vote.setdefault(call["vote_id"], []).append(i)
    votes: dict[int, Vote] = {}
    for vote_id, indexes in by_vote.items():
        try:
            votes[vote_id] = load_vote(session, vote_id)
        except NotFound as exc:
            for i in indexes:
                answers[i] = (False, exc)
    org = get_rules(session) if votes else OrgRules()
    for vote_id in sorted(votes, key=lambda v: (votes[v].meeting_id, v)):  # one lock order for every batch
        _cast_on(session, votes[vote_id], [(i, calls[i]) for i in by_vote[vote_id]], org, answers)
    return answers


def _cast_on(
    session: Session,
    vote: Vote,
    calls: list[tuple[int, dict[str, Any]]],
    org: OrgRules,
    answers: list[tuple[bool, Any]],
) -> None:
    """cast_many for the calls of one vote."""
    vote_id = vote.id
    assert vote_id is not None
    meeting = load_meeting(session, vote.meeting_id, for_update=True)
    vote = load_vote(session, vote_id, for_update=True)  # serialises with other casts and with close
    user_ids = {call["actor"].id for _, call in calls}
    participants = {
        p.user_id: p
        for p in session.exec(
            select(Participant).where(Participant.meeting_id == meeting.id, col(Participant.user_id).in_(user_ids))
        ).all()
    }
    options = {o.id for o in serialize.options_of(session, [vote_id])[vote_id]}
    choice: dict[int, int] = dict(
        session.exec(
            select(Ballot.user_id, Ballot.option_id).where(Ballot.vote_id == vote_id, col(Ballot.user_id).in_(user_ids))
        ).all()
    )
    new: dict[int, dict[str, Any]] = {}  # user id -> the ballot row to insert
    changed: set[int] = set()  # user ids whose stored ballot takes another option
    now = utcnow()
    for i, call in calls:
        actor, option_id = call["actor"], call["option_id"]
        try:
            _check_cast(Access(actor, meeting, participants.get(actor.id)), vote, option_id, options, org)
        except DomainError as exc:
            answers[i] = (False, exc)
            continue
        if choice.get(actor.id) != option_id:
            if actor.id in new:
                new[actor.id].update(option_id=option_id, changed_at=now)
            elif actor.id in choice:
                changed.add(actor.id)
            else:
                new[actor.id] = {
                    "vote_id": vote_id,
                    "user_id": actor.id,
                    "option_id": option_id,
                    "cast_at": now,
                    "changed_at": None,
                }
                vote.voted_count += 1
            choice[actor.id] = option_id
            vote.revision += 1
        me = {"may_vote": True, "voted": True, "option_id": option_id, "final": False}
        answers[i] = (True, {"vote_id": vote_id, "voted_count": vote.voted_count, "me": me})
    if new:  # Core executemany: one statement, compiled once (SQLite's C loop; PostgreSQL's pipeline)
        voters = [{"vote_id": vote_id, "user_id": user_id} for user_id in new]
        session.connection().execute(insert(VoterRecord.__table__), voters)  # type: ignore[attr-defined]
        session.connection().execute(insert(Ballot.__table__), list(new.values()))  # type: ignore[attr-defined]
    for user_id in changed:
        session.execute(
            update(Ballot)
            .where(col(Ballot.vote_id) == vote_id, col(Ballot.user_id) == user_id)
            .values(option_id=choice[user_id], changed_at=now)
        )
    if new or changed:
        session.add(vote)
        outbox.add(session, kind="vote.tally", ref=vote_id)  # one coalesced vote.tally after commit (votes/live.py)
        session.flush()


def _check_cast(acc: Access, vote: Vote, option_id: int, options: set[int | None], org: OrgRules) -> None:
    """May this caller cast this option now (everything a cast checks before it writes)."""
    require_voter(require_visible(acc, vote), org)  # not the caller's to know: the absent vote's 404, first
    require_vote_state(vote, (VoteState.open,), "bỏ phiếu cho")
    if vote.kind == VoteKind.secret:
        raise ValidationFailed(
            "Biểu quyết kín chỉ nhận phiếu đã được mã hóa trên máy tính bảng.",
            details=[{"field": "option_id", "message": "phiếu kín phải được mã hóa"}],
        )
    if option_id not in options:
        raise ValidationFailed(
            "Lựa chọn này không thuộc biểu quyết “{question}”.",
            question=short(vote.question),
            details=[{"field": "option_id", "message": "không thuộc biểu quyết"}],
        )
