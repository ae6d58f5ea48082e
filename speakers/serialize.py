"""The viewer-independent "speakers" slice of the live snapshot, and the JSON view of one request.

{"agenda_item_id": current item or null,
 "queue":   [waiting requests of the current item, in the order they were made],
 "current": the speech in progress (with started_at and limit_seconds; clients run the timer) or null,
 "done":    [speeches already given on the current item, in the order they were given]}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from accounts.models import User
from meetings.models import Meeting, Participant
from meetings.rules import get_rules
from meetings.models import AgendaItem
from speakers.models import SpeakerRequest, SpeakerState
from speakers.schemas import SpeakerPublic


def request_data(req: SpeakerRequest, user: User, participant: Participant | None) -> dict[str, Any]:
    return SpeakerPublic(
        id=req.id,
        meeting_id=req.meeting_id,
        agenda_item_id=req.agenda_item_id,
        user_id=req.user_id,
        full_name=user.full_name,
        title=user.title,
        role=participant.role if participant else None,
        deputy_name=req.deputy_name,
        state=req.state,
        direct=req.direct,
        requested_at=req.requested_at,
        started_at=req.started_at,
        ended_at=req.ended_at,
        limit_seconds=req.limit_seconds,
    ).model_dump(mode="json")


def one(session: Session, req: SpeakerRequest) -> dict[str, Any]:
    user = session.get(User, req.user_id)
    assert user is not None
    participant = session.exec(
        select(Participant).where(Participant.meeting_id == req.meeting_id, Participant.user_id == req.user_id)
    ).first()
    return request_data(req, user, participant)


def _rows(session: Session, meeting_id: int, *conditions: Any) -> list[dict[str, Any]]:
    rows = session.exec(
        select(SpeakerRequest, User, Participant)
        .join(User, col(User.id) == SpeakerRequest.user_id)
        .join(
            Participant,
            (col(Participant.meeting_id) == SpeakerRequest.meeting_id)
            & (col(Participant.user_id) == SpeakerRequest.user_id),
            isouter=True,
        )
        .where(SpeakerRequest.meeting_id == meeting_id, *conditions)
        .order_by(col(SpeakerRequest.id))
    ).all()
    return [request_data(r, u, p) for r, u, p in rows]


def speakers_slice(session: Session, meeting: Meeting) -> dict[str, Any]:
    """One query for the whole slice (it is rebuilt on every move of the chair's: the tap waits for it)."""
    assert meeting.id is not None
    item_id = meeting.current_item_id
    speaks = col(SpeakerRequest.state) == SpeakerState.speaking
    on_item = and_(
        col(SpeakerRequest.agenda_item_id) == item_id,
        col(SpeakerRequest.state).in_([SpeakerState.done, SpeakerState.waiting]),
    )
    rows = _rows(session, meeting.id, speaks if item_id is None else or_(speaks, on_item))
    speaking = [r for r in rows if r["state"] == SpeakerState.speaking]
    if item_id is None:
        return {"agenda_item_id": None, "queue": [], "current": speaking[0] if speaking else None, "done": []}
    done = [r for r in rows if r["state"] == SpeakerState.done]
    done.sort(key=lambda r: (r["started_at"] or "", r["id"]))
    return {
        "agenda_item_id": item_id,
        "queue": [r for r in rows if r["state"] == SpeakerState.waiting],
        "current": speaking[0] if speaking else None,
        "done": done,
    }


def limit_for(session: Session, item_id: int) -> int:
    """The item's own limit, else the organisation's default (OrgRules.speech_limit_seconds)."""
    item = session.get(AgendaItem, item_id)
    if item is not None and item.speech_limit_seconds:
        return item.speech_limit_seconds
    return get_rules(session).speech_limit_seconds
