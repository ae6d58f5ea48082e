"""May this caller know that a vote exists? The one loader every route and socket event addressed by a vote id
goes through before any kind, state or permission check (votes/services.py, secret.py, casting.py, ballot/*).

A vote is there for the caller when its meeting is (meetings/access.py `sees`: staff, or invited and the meeting
not a draft) and, while the vote is a draft, when the caller belongs to the meeting's members (not a guest, not a
hall display: meetings/events.py `classes`). Otherwise it answers exactly as an id that does not exist: the same
404, the same message, no details, decided by the same single statement (a hidden and an absent id cost alike)."""

from __future__ import annotations

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, select

from core.actor import Actor
from core.errors import NotFound
from core.i18n import N_
from meetings.access import Access, access, manages, sees
from meetings.models import Meeting, MeetingRole, MeetingState, Participant
from votes.models import Vote, VoteState

VOTE_ABSENT = N_("Không tìm thấy biểu quyết.")

_SEEN = (
    select(Vote.meeting_id, Vote.state, Meeting.state, Participant.role)
    .join(Meeting, col(Meeting.id) == col(Vote.meeting_id))
    .outerjoin(
        Participant,
        and_(col(Participant.meeting_id) == col(Vote.meeting_id), col(Participant.user_id) == bindparam("user_id")),
    )
    .where(col(Vote.id) == bindparam("vote_id"))
)


def absent() -> NotFound:
    return NotFound(VOTE_ABSENT)  # no id: the answer of an id that does not exist, word for word


def sees_drafts(actor: Actor, role: MeetingRole | None) -> bool:
    """The rule of meetings/events.py `classes` (MEMBERS) on plain values: guests and displays see no drafts."""
    return not (actor.is_display or (role == MeetingRole.guest and not manages(actor, role)))


def knows(
    actor: Actor, meeting_id: int, meeting_state: MeetingState, role: MeetingRole | None, state: VoteState
) -> bool:
    if not sees(actor, meeting_id, MeetingState(meeting_state), role):
        return False
    return VoteState(state) != VoteState.draft or sees_drafts(actor, role)


def visible(acc: Access, vote: Vote) -> bool:
    """`knows` for a caller whose Access and vote are already read (a batch of casts)."""
    return acc.can_view and (VoteState(vote.state) != VoteState.draft or sees_drafts(acc.actor, acc.role))


def require_visible(acc: Access, vote: Vote) -> Access:
    if not visible(acc, vote):
        raise absent()
    return acc


def meeting_of(session: Session, actor: Actor, vote_id: int) -> int:
    """The vote's meeting id if the caller may know the vote exists; else the absent vote's 404."""
    row = session.exec(_SEEN, params={"vote_id": vote_id, "user_id": actor.id}).first()
    if row is None:
        raise absent()
    meeting_id, state, meeting_state, role = row
    state, meeting_state = VoteState(state), MeetingState(meeting_state)
    if not knows(actor, meeting_id, meeting_state, MeetingRole(role) if role is not None else None, state):
        raise absent()
    return int(meeting_id)


def vote_access(
    session: Session, actor: Actor, vote_id: int, *, lock_meeting: bool = False, lock_vote: bool = False
) -> tuple[Access, Vote]:
    """The caller's Access to the vote's meeting and the vote, once it is known to be theirs to know (locks taken
    meeting -> vote as every writer does); only then may a caller get 403/409 for what they may not do."""
    meeting_id = meeting_of(session, actor, vote_id)
    acc = access(session, actor, meeting_id, for_update=lock_meeting, absent=absent)
    stmt = select(Vote).where(col(Vote.id) == vote_id).execution_options(populate_existing=True)
    vote = session.exec(stmt.with_for_update() if lock_vote else stmt).first()
    if vote is None:  # deleted in between
        raise absent()
    require_visible(acc, vote)  # read again under the lock: still the caller's to know
    return acc, vote
