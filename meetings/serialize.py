"""Public (JSON-ready) views of meetings, agenda and participants; shared by the API, snapshots and events."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from accounts.models import User
from meetings.models import AgendaItem, Meeting, MeetingRole, Participant
from meetings.rules import compute_quorum, get_rules
from meetings.schemas import AgendaItemPublic, MeetingPublic, ParticipantPublic

# Other domains (votes, speakers, ...) add their slice of the live snapshot here, from the composition root
# (app/domains.py). A slice must be the same for every member; per-viewer facts go in the join ack's "me". A slice
# may tell viewers outside the members' audience (guests, the hall display) less: `outsiders(session, meeting,
# slice)` answers what they get (the presented document when it is not shared with guests: nothing).
_EXTRA_SLICES: dict[str, Callable[[Session, Meeting], Any]] = {}
_OUTSIDERS: dict[str, Callable[[Session, Meeting, Any], Any]] = {}


def register_slice(
    name: str, build: Callable[[Session, Meeting], Any], outsiders: Callable[[Session, Meeting, Any], Any] | None = None
) -> None:
    _EXTRA_SLICES[name] = build
    if outsiders is not None:
        _OUTSIDERS[name] = outsiders


_ROLE_ORDER = {MeetingRole.chair: 0, MeetingRole.member: 1, MeetingRole.secretary: 2, MeetingRole.guest: 3}


# pydantic's own validator and serializer of the public models, called directly: SQLModel's model_validate and
# model_dump wrap them in work these plain views do not need, and every tap of the chair's dumps the meeting and
# its whole agenda (tests/test_meetings_flow.py holds the two to the same output).
_MEETING_IN, _MEETING_OUT = MeetingPublic.__pydantic_validator__, MeetingPublic.__pydantic_serializer__
_ITEM_IN, _ITEM_OUT = AgendaItemPublic.__pydantic_validator__, AgendaItemPublic.__pydantic_serializer__
_NO_ROLE = {"my_role"}


def meeting_data(meeting: Meeting, my_role: MeetingRole | None = None) -> dict[str, Any]:
    pub = _MEETING_IN.validate_python(meeting, from_attributes=True)
    pub.my_role = my_role
    data: dict[str, Any] = _MEETING_OUT.to_python(pub, mode="json", exclude=_NO_ROLE if my_role is None else None)
    return data


def with_role(data: dict[str, Any], my_role: MeetingRole | None) -> dict[str, Any]:
    """`meeting_data(meeting, my_role)` from `meeting_data(meeting)` (the event's copy), without a second dump."""
    return data if my_role is None else {**data, "my_role": MeetingRole(my_role).value}


# Built once (every tap of the chair's reads the agenda): building a statement costs more than running it.
_AGENDA = (
    select(AgendaItem).where(col(AgendaItem.meeting_id) == bindparam("meeting_id")).order_by(col(AgendaItem.position))
)


def agenda_items(session: Session, meeting_id: int) -> list[AgendaItem]:
    return list(session.exec(_AGENDA, params={"meeting_id": meeting_id}).all())


def agenda_data(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    return agenda_dump(agenda_items(session, meeting_id))


def agenda_dump(items: list[AgendaItem]) -> list[dict[str, Any]]:
    """`items` (the whole agenda in order, as agenda_items reads it) as the clients see it."""
    return [_ITEM_OUT.to_python(_ITEM_IN.validate_python(i, from_attributes=True), mode="json") for i in items]


def participant_rows(session: Session, meeting_id: int) -> list[tuple[Participant, User]]:
    rows = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.meeting_id == meeting_id)
    ).all()
    # Protocol order: chair first, then members in the order they were invited, then secretariat, guests.
    return sorted(rows, key=lambda r: (_ROLE_ORDER[MeetingRole(r[0].role)], r[0].id))


def participant_data(p: Participant, u: User) -> dict[str, Any]:
    return ParticipantPublic(
        user_id=p.user_id,
        full_name=u.full_name,
        title=u.title,
        unit=u.unit,
        role=p.role,
        attendance=p.attendance,
        absence_reason=p.absence_reason,
        deputy_name=p.deputy_name,
        attendance_at=p.attendance_at,
    ).model_dump(mode="json")


def participants_data(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    return [participant_data(p, u) for p, u in participant_rows(session, meeting_id)]


# What of a participant is not for guests and the hall display: why someone is absent is often their health or
# family (members, the chair and the secretariat keep it; the minutes record it). Blanked, not dropped: one shape.
_INTERNAL = {"absence_reason": ""}


def outsiders_participant(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{k: v for k, v in _INTERNAL.items() if k in row}}


def outsiders_participants(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The participants as guests and the hall display receive them (snapshot, events, REST)."""
    return [outsiders_participant(r) for r in rows]


def told_outsiders(data: dict[str, Any]) -> dict[str, Any]:
    """An attendance or roster event's data as outsiders get it (meetings/events.py tell_outsiders)."""
    out = dict(data)
    if isinstance(out.get("participants"), list):
        out["participants"] = outsiders_participants(out["participants"])
    if isinstance(out.get("participant"), dict):
        out["participant"] = outsiders_participant(out["participant"])
    return out


def quorum_data(session: Session, meeting_id: int) -> dict[str, Any]:
    participants = [p for p, _ in participant_rows(session, meeting_id)]
    return compute_quorum(participants, get_rules(session)).model_dump()


def snapshot(session: Session, meeting: Meeting, *, members: bool = True) -> dict[str, Any]:
    """The full live state a client needs; applying later events to it equals a later snapshot. `members`
    False: as viewers outside the members' audience see it (meetings/events.py: what `hidden` tells them)."""
    assert meeting.id is not None
    rows = participants_data(session, meeting.id)
    state = {
        "meeting": meeting_data(meeting),
        "agenda": agenda_data(session, meeting.id),
        "participants": (rows if members else outsiders_participants(rows)),
        "quorum": quorum_data(session, meeting.id),
    }
    for name, build in _EXTRA_SLICES.items():
        state[name] = build(session, meeting)
        if not members and name in _OUTSIDERS:
            state[name] = _OUTSIDERS[name](session, meeting, state[name])
    return state
