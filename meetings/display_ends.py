"""A hall-display link ends for good when its creator loses, in its meeting, the right he made it with.

Links are made by whoever prepares the meeting (meetings/access.py manages: the Office, or the meeting's
secretary). A change of global role ends them through the creator's credential epoch (accounts/services.py
end_credentials). A change of meeting role is written here, in the same transaction as the change
(meetings/participation.py update and remove): the links are revoked, with why, so that making him secretary again
brings none of them back (meetings/display_rules.py works: a revoked link never works). Each revocation is a
`display.revoked` event carrying the reason: the meeting's log and the audit chain keep why, its managers are told,
and the screens showing it go dark (the access check the event starts, and realtime/recheck.py at the latest)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import utcnow
from meetings.access import Access, manages
from meetings.display_tokens import DisplayToken
from meetings.models import MeetingRole
from meetings.services import emit

# Why a link ended, as its display.revoked event says (a revocation by staff carries no reason).
CREATOR_LOST_RIGHT = "creator_lost_meeting_role"


def end_links_of(session: Session, acc: Access, creator: User, role: MeetingRole | None) -> list[int]:
    """After `creator`'s participation in the meeting became `role` (None: removed from it): if that leaves him
    unable to prepare the meeting, every link he made for it that is not revoked yet ends now. The ids ended."""
    if manages(Actor.of(creator), role):
        return []  # the Office keeps its right whatever its meeting role
    rows = session.exec(
        select(DisplayToken)
        .where(
            DisplayToken.meeting_id == acc.meeting_id,
            DisplayToken.created_by == creator.id,
            col(DisplayToken.revoked_at).is_(None),
        )
        .order_by(col(DisplayToken.id))
    ).all()
    now = utcnow()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    session.flush()
    ended = [row.id for row in rows if row.id is not None]
    for token_id in ended:
        emit(session, acc, "display.revoked", token_id=token_id, reason=CREATOR_LOST_RIGHT, creator_id=creator.id)
    return ended
