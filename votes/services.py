"""Vote operations. Each: permission check -> state guard -> write -> event (sent after commit).

Locking: every operation that changes a vote takes the vote's row (SELECT ... FOR UPDATE on PostgreSQL; the
single SQLite writer is serialised by BEGIN IMMEDIATE), so casts of one vote are serialised with each other
and with close: a cast that commits before close is in the result, a cast that gets the lock after close
sees 'closed' and is refused. Operations that also lock the meeting row take it first (meeting -> vote),
casts included (votes/casting.py, cast_many: once per batch). Casting records no event: votes.live coalesces the
tally events. Secret ballots are cast and decrypted in votes/secret.py.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from core import outbox
from core.clock import utcnow
from core.errors import Conflict, Forbidden, ValidationFailed
from core.i18n import N_, Msg
from core.text import short
from meetings import serialize as meeting_serialize
from meetings.access import Access, access, load_meeting, require_conduct
from meetings.events import MEMBERS, classes, record
from meetings.models import PRESENT, VOTING_ROLES, AgendaItem, Attendance, MeetingRole, MeetingState, Participant
from meetings.rules import OrgRules, get_rules
from meetings.services import NoQuorum, emit, require_state
from votes import serialize, rules
from votes.seen import absent, vote_access
from votes.ballot import ceremony, election
from votes.models import Ballot, OptionKind, VoterRecord, Vote, VoteKind, VoteOption, VoteRule, VoteState
from votes.schemas import DEFAULT_OPTIONS, OptionIn, VoteCreate, VoteUpdate


_STATE_VI = {
    VoteState.draft: N_("biểu quyết đang soạn thảo"),
    VoteState.open: N_("biểu quyết đang mở"),
    VoteState.closed: N_("biểu quyết đã đóng"),
    VoteState.published: N_("kết quả đã công bố"),
}


def require_vote_state(vote: Vote, allowed: tuple[VoteState, ...], action: str) -> None:
    if vote.state not in allowed:
        why = (
            N_("biểu quyết chưa mở")
            if vote.state == VoteState.draft and VoteState.open in allowed
            else _STATE_VI[VoteState(vote.state)]
        )
        raise Conflict(
            "Không thể {action} biểu quyết “{question}”: {why}.",
            action=N_(action),
            question=short(vote.question),
            why=why,
            details={"state": VoteState(vote.state).value},
        )


def load_vote(session: Session, vote_id: int, *, for_update: bool = False) -> Vote:
    stmt = select(Vote).where(Vote.id == vote_id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    vote = session.exec(stmt).first()
    if vote is None:
        raise absent()
    return vote


def open_access(session: Session, actor: Actor, vote_id: int, *, lock_meeting: bool) -> tuple[Access, Vote]:
    """May the caller know the vote exists (votes/seen.py: else the absent vote's 404, before anything else), then
    the vote itself locked (meeting row first when asked: meeting -> vote)."""
    return vote_access(session, actor, vote_id, lock_meeting=lock_meeting, lock_vote=True)


def may_vote(p: Participant | None, org: OrgRules) -> bool:
    if p is None or p.role not in VOTING_ROLES:
        return False
    return p.attendance in PRESENT or (p.attendance == Attendance.deputy and org.deputy_may_vote)


def require_voter(acc: Access, org: OrgRules) -> None:
    p = acc.participant
    if p is None or p.role == MeetingRole.secretary:
        raise Forbidden("Chỉ thành viên dự họp được biểu quyết.")
    if p.role == MeetingRole.guest:
        raise Forbidden("Khách mời không biểu quyết.")
    if p.attendance == Attendance.deputy and not org.deputy_may_vote:
        raise Forbidden("Đại biểu dự thay không được biểu quyết theo quy định của cơ quan.")
    if not may_vote(p, org):
        raise Forbidden("Không thể biểu quyết: bạn chưa được điểm danh có mặt (tại phòng họp hoặc trực tuyến).")


def eligible_counts(session: Session, meeting_id: int, org: OrgRules) -> tuple[int, int]:
    """(members entitled to vote now, all members) of the meeting."""
    rows = [p for p, _ in meeting_serialize.participant_rows(session, meeting_id)]
    members = [p for p in rows if p.role in VOTING_ROLES]
    return sum(1 for p in members if may_vote(p, org)), len(members)


def vote_changed(session: Session, acc: Access, type: str, vote: Vote) -> dict[str, Any]:
    session.flush()
    vote.tally_revision = vote.revision
    session.add(vote)
    session.flush()
    data = serialize.vote_data(session, vote, full=True)  # the answer to the one who conducts
    votes = serialize.votes_of_meeting(session, vote.meeting_id)
    emit(session, acc, type, audience=MEMBERS, vote_id=vote.id, votes=votes)  # outsiders: without the drafts
    return data


def _set_options(session: Session, vote: Vote, options: list[OptionIn]) -> None:
    assert vote.id is not None
    for old in session.exec(select(VoteOption).where(VoteOption.vote_id == vote.id)).all():
        session.delete(old)
    session.flush()
    for position, o in enumerate(options, start=1):
        session.add(VoteOption(vote_id=vote.id, position=position, label=o.label, kind=o.kind))


def _check_item(session: Session, meeting_id: int, item_id: int) -> None:
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise ValidationFailed(
            "Nội dung họp đã chọn không thuộc cuộc họp này.",
            details=[{"field": "agenda_item_id", "message": "không thuộc cuộc họp"}],
        )


def my_vote(session: Session, acc: Access, vote: Vote) -> dict[str, Any]:
    """The caller's own view: may they vote, have they, and (open/named only) what they chose."""
    assert vote.id is not None
    voted = session.get(VoterRecord, (vote.id, acc.actor.id)) is not None
    ballot = session.get(Ballot, (vote.id, acc.actor.id)) if vote.kind != VoteKind.secret else None
    return {
        "may_vote": may_vote(acc.participant, get_rules(session)),
        "voted": voted,
        "option_id": ballot.option_id if ballot else None,
        "final": voted and vote.kind == VoteKind.secret,
    }


# --- reading ------------------------------------------------------------------------------------------


def list_votes(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """Results as everyone sees them (once published), or as they stand for those who conduct; guests and the
    hall display do not see the votes being prepared (drafts), as in their live snapshot."""
    acc = access(session, actor, meeting_id)
    votes = serialize.votes_of_meeting(session, meeting_id, full=acc.can_conduct)
    return votes if MEMBERS in classes(acc) else serialize.for_outsiders(votes)  # nor the decryption's progress


def get_vote(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    acc, vote = vote_access(session, actor, vote_id)  # a draft for guests: as if absent, not even its existence
    data = serialize.vote_data(session, vote, full=acc.can_conduct)
    if MEMBERS not in classes(acc):  # guests and the hall display: as in their live snapshot
        data = serialize.outsider_vote(data)
    return {**data, "me": my_vote(session, acc, vote)}


# --- preparing ----------------------------------------------------------------------------------------


def create_vote(*, session: Session, actor: Actor, meeting_id: int, data: VoteCreate) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.draft, MeetingState.published, MeetingState.started), "tạo biểu quyết cho")
    _check_item(session, meeting_id, data.agenda_item_id)
    vote = Vote(
        meeting_id=meeting_id,
        agenda_item_id=data.agenda_item_id,
        question=data.question,
        kind=data.kind,
        rule=data.rule,
        created_by=actor.id,
        trustee_ids=data.trustee_ids,
    )
    if data.trustee_ids is not None:
        ceremony.check_trustees(session, meeting_id, data.trustee_ids)
    session.add(vote)
    session.flush()
    _set_options(session, vote, data.options or DEFAULT_OPTIONS)
    return vote_changed(session, acc, "vote.created", vote)


def update_vote(*, session: Session, actor: Actor, vote_id: int, data: VoteUpdate) -> dict[str, Any]:
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    require_conduct(acc)
    require_vote_state(vote, (VoteState.draft,), "sửa")
    changes = data.model_dump(exclude_unset=True, exclude={"options"})
    if changes.get("agenda_item_id") is not None:
        _check_item(session, vote.meeting_id, changes["agenda_item_id"])
    for key, value in changes.items():
        if value is not None:
            setattr(vote, key, value)
    if data.options is not None:
        _set_options(session, vote, data.options)
    session.add(vote)
    return vote_changed(session, acc, "vote.updated", vote)


# --- conducting ---------------------------------------------------------------------------------------


def open_vote(*, session: Session, actor: Actor, vote_id: int, force: bool = False) -> dict[str, Any]:
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.started,), "mở biểu quyết trong")
    require_vote_state(vote, (VoteState.draft,), "mở")
    other = session.exec(
        select(Vote.question).where(
            Vote.meeting_id == vote.meeting_id, Vote.state == VoteState.open, Vote.id != vote.id
        )
    ).first()
    if other is not None:
        raise Conflict(
            "Không thể mở biểu quyết “{question}”: biểu quyết “{other}” đang mở; hãy đóng nó trước.",
            question=short(vote.question),
            other=short(other),
        )
    quorum = meeting_serialize.quorum_data(session, vote.meeting_id)
    if not quorum["reached"]:
        message = Msg(
            "Chưa đủ số thành viên có mặt ({present}/{total}, cần {required}); chủ trì có thể vẫn mở biểu quyết.",
            present=quorum["present"],
            total=quorum["total"],
            required=quorum["required"],
        )
        if not force:
            raise NoQuorum(message, details=quorum)
        if acc.role != MeetingRole.chair:
            raise Forbidden("Chỉ chủ trì được mở biểu quyết khi chưa đủ số thành viên có mặt.")
    org = get_rules(session)
    vote.eligible_count, _ = eligible_counts(session, vote.meeting_id, org)
    vote.state = VoteState.open
    vote.opened_at = utcnow()
    session.add(vote)
    if vote.kind == VoteKind.secret:  # the vote's threshold key and public parameters (votes/ballot/election.py)
        election.setup(session, vote, serialize.options_of(session, [vote_id])[vote_id])
    return vote_changed(session, acc, "vote.opened", vote)


def publish_tally(*, session: Session, vote_id: int) -> bool:
    """Record one vote.tally event if casts changed the tally since the last one (called by votes.live)."""
    meeting_id = load_vote(session, vote_id).meeting_id
    load_meeting(session, meeting_id, for_update=True)  # lock order: meeting -> vote, as everywhere
    vote = load_vote(session, vote_id, for_update=True)
    if vote.state != VoteState.open or vote.revision == vote.tally_revision:
        return False
    vote.tally_revision = vote.revision
    session.add(vote)
    session.flush()
    record(
        session,
        meeting_id=meeting_id,
        type="vote.tally",
        actor_id=None,
        audience=MEMBERS,  # outsiders: without the drafts (serialize.told_outsiders)
        data={"vote_id": vote_id, "votes": serialize.votes_of_meeting(session, meeting_id)},
    )
    return True


def close_vote(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    require_conduct(acc)
    require_vote_state(vote, (VoteState.open,), "đóng")
    return _close(session, acc, vote)


def close_open_votes(session: Session, acc: Access) -> None:
    """Meetings hook: the chair ends the meeting; its votes still open close with it, counted as they stand."""
    for vote in session.exec(select(Vote).where(Vote.meeting_id == acc.meeting.id, col(Vote.state) == VoteState.open)):
        _close(session, acc, vote)


def _close(session: Session, acc: Access, vote: Vote) -> dict[str, Any]:
    assert vote.id is not None
    vote_id = vote.id
    org = get_rules(session)
    eligible, total = eligible_counts(session, vote.meeting_id, org)
    options = serialize.options_of(session, [vote.id])[vote.id]
    vote.member_count = total  # the rule's counts are those at close, for every kind (a secret vote's at decryption)
    if vote.kind == VoteKind.secret:  # the ballots are multiplied; the trustees decrypt the total (decrypt below)
        election.close(session, vote)
        vote.eligible_count = eligible
        vote.state = VoteState.closed
        vote.closed_at = utcnow()
        session.add(vote)
        outbox.add(session, kind="vote.scrub", ref=vote_id)
        return vote_changed(session, acc, "vote.closed", vote)
    current = serialize.counts(session, vote)
    by_kind = {OptionKind(o.kind): current.get(o.id or 0, 0) for o in options}
    outcome = rules.compute(
        vote.rule,
        total_members=total,
        present=eligible,
        yes=by_kind.get(OptionKind.yes, 0),
        no=by_kind.get(OptionKind.no, 0),
        abstain=by_kind.get(OptionKind.abstain, 0),
        chair_choice=_chair_choice(session, vote, options),
    )
    vote.result = {
        **outcome.as_dict(),
        "rule": VoteRule(vote.rule).value,
        "counts": {str(o.id): current.get(o.id or 0, 0) for o in options},
        "voted_count": vote.voted_count,
    }
    vote.eligible_count = eligible
    vote.state = VoteState.closed
    vote.closed_at = utcnow()
    session.add(vote)
    return vote_changed(session, acc, "vote.closed", vote)


def _chair_choice(session: Session, vote: Vote, options: list[VoteOption]) -> OptionKind | None:
    if vote.kind == VoteKind.secret:
        return None  # never known: a secret ballot is not linked to its voter
    chair = session.exec(
        select(Participant.user_id).where(
            Participant.meeting_id == vote.meeting_id, Participant.role == MeetingRole.chair
        )
    ).first()
    ballot = session.get(Ballot, (vote.id, chair)) if chair is not None else None
    kinds = {o.id: OptionKind(o.kind) for o in options}
    return kinds.get(ballot.option_id) if ballot else None


def publish_vote(*, session: Session, actor: Actor, vote_id: int) -> dict[str, Any]:
    acc, vote = open_access(session, actor, vote_id, lock_meeting=True)
    require_conduct(acc)
    require_vote_state(vote, (VoteState.closed,), "công bố kết quả")
    if vote.result is None:
        raise Conflict("Chưa thể công bố: người giữ khóa chưa giải mã tổng phiếu kín.", details={"vote_id": vote_id})
    vote.state = VoteState.published
    vote.published_at = utcnow()
    session.add(vote)
    return vote_changed(session, acc, "vote.published", vote)
