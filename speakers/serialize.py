"""The viewer-independent "speakers" slice of the live snapshot, and the JSON view of one request.

{"agenda_item_id": current item or null,
 "queue":   [waiting requests of the current item, in the order they were made],
 "current": the speech in progress (with started_at and limit_seconds; clients run the timer) or null,
 "done":    [speeches already given on the current item, in the order they were given]}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, or_
from sqlmodel import Session, col, select

from accounts.models import User
from infra.driver import DriverEntities
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


def _rows_where(*conditions: Any) -> Any:
    return (
        select(SpeakerRequest, User, Participant)
        .join(User, col(User.id) == SpeakerRequest.user_id)
        .join(
            Participant,
            (col(Participant.meeting_id) == SpeakerRequest.meeting_id)
            & (col(Participant.user_id) == SpeakerRequest.user_id),
            isouter=True,
        )
        .where(col(SpeakerRequest.meeting_id) == bindparam("meeting_id"), *conditions)
        .order_by(col(SpeakerRequest.id))
    )


_SPEAKS = col(SpeakerRequest.state) == SpeakerState.speaking
_ON_ITEM = (SpeakerState.done, SpeakerState.waiting)
# Built once, run with the ids bound on the driver's cursor (infra/driver.py): every move of the chair's rebuilds
# the slice, and the tap waits for it. The speech in progress, and the current item's requests (the states as
# two comparisons: an IN list's SQL is only written per call).
_SLICE = {
    False: DriverEntities(_rows_where(_SPEAKS)),
    True: DriverEntities(
        _rows_where(
            or_(
                _SPEAKS,
                and_(
                    col(SpeakerRequest.agenda_item_id) == bindparam("item_id"),
                    or_(*(col(SpeakerRequest.state) == state for state in _ON_ITEM)),
                ),
            )
        )
    ),
}

Row = tuple[SpeakerRequest, User, Participant | None]


def slice_rows(session: Session, meeting: Meeting) -> list[Row]:
    """The requests the slice is made of, as rows (speakers/services.py's item-change hook ends the speech in
    progress among them before the slice is made)."""
    item_id = meeting.current_item_id
    params: dict[str, Any] = {"meeting_id": meeting.id}
    if item_id is not None:
        params["item_id"] = item_id
    return [(r, u, p) for r, u, p in _SLICE[item_id is not None].rows(session, **params)]


def slice_of(rows: list[Row], item_id: int | None) -> dict[str, Any]:
    """The slice for current item `item_id`, from `slice_rows` (a request no longer in it, e.g. the speech the
    item change just ended, is left out)."""
    speaking = [request_data(r, u, p) for r, u, p in rows if r.state == SpeakerState.speaking]
    if item_id is None:
        return {"agenda_item_id": None, "queue": [], "current": speaking[0] if speaking else None, "done": []}
    mine = [request_data(r, u, p) for r, u, p in rows if r.agenda_item_id == item_id and r.state in _ON_ITEM]
    done = [r for r in mine if r["state"] == SpeakerState.done]
    done.sort(key=lambda r: (r["started_at"] or "", r["id"]))
    return {
        "agenda_item_id": item_id,
        "queue": [r for r in mine if r["state"] == SpeakerState.waiting],
        "current": speaking[0] if speaking else None,
        "done": done,
    }


def speakers_slice(session: Session, meeting: Meeting) -> dict[str, Any]:
    """One query for the whole slice (it is rebuilt on every move of the chair's: the tap waits for it)."""
    assert meeting.id is not None
    return slice_of(slice_rows(session, meeting), meeting.current_item_id)


def limit_for(session: Session, item_id: int) -> int:
    """The item's own limit, else the organisation's default (OrgRules.speech_limit_seconds)."""
    item = session.get(AgendaItem, item_id)
    if item is not None and item.speech_limit_seconds:
        return item.speech_limit_seconds
    return get_rules(session).speech_limit_seconds
