"""The per-meeting event log (Zulip-style): every change is a row with the next 'seq', written in the same
transaction as the change; the envelope is queued on the session and delivered by the edge after COMMIT.

Every event names its audience, stored with it: VIEWERS (everyone who may see the meeting: its participants
once published, those who manage it, its hall display), MEMBERS (viewers less guests and the hall display),
CONDUCTORS (those who run it: the chair and the managers) or MANAGERS (those who prepare it). Live delivery
(realtime/broadcast.py) and replay (`events_since`) both give a viewer outside the audience only a
placeholder {seq, type: "hidden"}, so seq stays gap-free.

An event that may change who sees what (ACCESS_CHANGING) also moves the meeting's `access_seq`; each envelope
handed to the edge carries the access_seq it was recorded under, so the edge knows when its cached grants
are stale and re-checks them before delivering anything newer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint, and_, bindparam, insert, or_, update
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel, col, select

from infra.driver import DriverStatement
from ledger import chain as audit_chain
from ledger.chain import append as audit_append
from core.clock import iso, utcnow
from meetings.access import Access
from meetings.models import Meeting
from meetings.serialize import told_outsiders as told_participants

_OUTBOX = "ecabinet_outbox"
VIEWERS, MEMBERS, CONDUCTORS, MANAGERS = "viewers", "members", "conductors", "managers"
AUDIENCES = (VIEWERS, MEMBERS, CONDUCTORS, MANAGERS)
# Events for those who write the drafts (the chair and the secretariat: no text, but not everyone's
# business) or who prepare the meeting.
_BY_TYPE = {
    # the participants' data: the members' own; guests and the hall display are told it without what is
    # internal (absence reasons: _TOLD_OUTSIDERS below, meetings/serialize.py told_outsiders)
    "participants.changed": MEMBERS,
    "attendance.changed": MEMBERS,
    "conclusion.saved": CONDUCTORS,
    "minutes.section_edited": CONDUCTORS,
    "meeting.created": MANAGERS,
    "display.revoked": MANAGERS,
}
# Events after which someone may see more or less of the meeting (roster, role, draft state, a display).
ACCESS_CHANGING = frozenset(
    {"participants.changed", "meeting.created", "meeting.published", "meeting.unpublished", "display.revoked"}
)


class MeetingEvent(SQLModel, table=True):
    __tablename__ = "meeting_event"
    __table_args__ = (UniqueConstraint("meeting_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    seq: int
    type: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    audience: str = Field(default=VIEWERS, max_length=16)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


@dataclass(frozen=True)
class Delivery:
    """A committed event as the edge delivers it: the client envelope, who may receive it, and the
    meeting's access_seq when it was recorded."""

    env: dict[str, Any]
    audience: str
    access_seq: int

    @property
    def meeting_id(self) -> int:
        return int(self.env["meeting_id"])


def classes(acc: Access) -> frozenset[str]:
    """The audiences a viewer belongs to (`access` has already checked that they may view)."""
    guest_like = acc.actor.is_display or (acc.role == "guest" and not acc.can_manage)
    found = {VIEWERS} | (set() if guest_like else {MEMBERS})
    return frozenset(found | ({CONDUCTORS} if acc.can_conduct else set()) | ({MANAGERS} if acc.can_manage else set()))


def envelope(event: MeetingEvent) -> dict[str, Any]:
    return {
        "meeting_id": event.meeting_id,
        "seq": event.seq,
        "type": event.type,
        "data": event.data,
        "at": iso(event.at),
    }


# Events whose absence would leave an outsider's state wrong, and what outsiders are told instead (the snapshot's
# outsiders' slices, meetings/serialize.py, agree): a presentation that moves to a document they may not read
# ends for them; the participants come without absence reasons.
# Other domains add theirs from the composition root (`tell_outsiders`): what outsiders may know of the event's data
# (a vote event's "votes" without the drafts, votes/serialize.py).
_TOLD_OUTSIDERS: dict[str, dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]] = {
    "presenter.changed": {"presenter": None},
    "participants.changed": told_participants,
    "attendance.changed": told_participants,
}


def tell_outsiders(type: str, told: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Outsiders of events of `type` get `told(data)` instead of a bare placeholder."""
    _TOLD_OUTSIDERS[type] = told


def hidden(env: dict[str, Any]) -> dict[str, Any]:
    """What a viewer outside an event's audience gets in its place: the seq moves on, nothing else is told (but
    for the events above)."""
    told = _TOLD_OUTSIDERS.get(env["type"])
    if told is not None:
        data = told(env["data"]) if callable(told) else told
        return {"meeting_id": env["meeting_id"], "seq": env["seq"], "type": env["type"], "data": data, "at": env["at"]}
    return {"meeting_id": env["meeting_id"], "seq": env["seq"], "type": "hidden", "data": {}, "at": env["at"]}


@lru_cache(maxsize=32)
def _next_seq(access_too: bool, lock: bool, also: tuple[str, ...]) -> DriverStatement:
    """Built once per shape and run on the driver's cursor (infra/driver.py): every event runs one.
    `access_too`: an event that changes who sees what; `lock`: the audit chain's append lock taken by this
    statement (PostgreSQL, the transaction's first event); `also`: other columns of the meeting the event
    changes, set here rather than by an UPDATE of their own (bound as set_<name>)."""
    table = Meeting.__table__  # type: ignore[attr-defined]  # the table, not the entity: no ORM bulk-update work
    values: dict[str, Any] = {"last_seq": table.c.last_seq + 1}
    if access_too:
        values["access_seq"] = table.c.last_seq + 1
    values.update({name: bindparam(f"set_{name}") for name in also})
    returned = (table.c.last_seq, table.c.access_seq, *([audit_chain.LOCK] if lock else []))
    return DriverStatement(
        update(table).where(table.c.id == bindparam("meeting_id")).values(**values).returning(*returned)
    )


_EVENTS = MeetingEvent.__table__  # type: ignore[attr-defined]
# The values bound by name (ev_<column>): on PostgreSQL the audit chain's tail is read by the same statement
# (ledger/chain.py insert_reading_tail), which needs them named.
_INSERT_EVENT = insert(_EVENTS).values(
    {name: bindparam(f"ev_{name}", type_=_EVENTS.c[name].type) for name in _EVENTS.c.keys() if name != "id"}
)


def record(
    session: Session,
    *,
    meeting_id: int,
    type: str,
    data: dict[str, Any],
    actor_id: int | None,
    audience: str | None = None,
    set_meeting: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Append an event with the meeting's next seq. The UPDATE takes the row lock on PostgreSQL (and SQLite
    writers are serialised by BEGIN IMMEDIATE), so seq is gap-free and unique under concurrency.
    `set_meeting`: columns of the meeting this event changes, written by that same UPDATE (the chair's tap:
    the current item); the session's copy of the meeting, if loaded, must hold them already."""
    audience = audience or _BY_TYPE.get(type, VIEWERS)
    assert audience in AUDIENCES, audience
    also = set_meeting or {}
    lock = audit_chain.must_lock(session)
    statement = _next_seq(type in ACCESS_CHANGING, lock, tuple(sorted(also)))
    params = {"meeting_id": meeting_id, **{f"set_{name}": value for name, value in also.items()}}
    seq, access_seq, *_ = statement.one(session, **params)
    if lock:
        audit_chain.locked(session)
    # The session's copy of the meeting, if it holds one, learns the new seqs as if read (not a change to write,
    # and no SELECT to refresh them later); none is loaded for this.
    meeting = session.identity_map.get(identity_key(Meeting, meeting_id))
    if meeting is not None:
        set_committed_value(meeting, "last_seq", seq)
        set_committed_value(meeting, "access_seq", access_seq)
    at = utcnow()
    row = {"meeting_id": meeting_id, "seq": seq, "type": type, "data": data, "actor_id": actor_id, "audience": audience}
    audit_chain.insert_reading_tail(
        session, _INSERT_EVENT, {f"ev_{name}": value for name, value in {**row, "at": at}.items()}
    )
    # Every meeting change is also a link in the hash-chained audit log (which keeps a hash, not a copy).
    audit_append(session, type=type, data=data, actor_id=actor_id, meeting_id=meeting_id, event_seq=seq)
    env = {"meeting_id": meeting_id, "seq": seq, "type": type, "data": data, "at": iso(at)}
    session.info.setdefault(_OUTBOX, []).append(Delivery(env, audience, access_seq))
    return env


def take_outbox(session: Session) -> list[Delivery]:
    deliveries: list[Delivery] = session.info.pop(_OUTBOX, [])
    return deliveries


def events_since(
    session: Session, *, meeting_id: int, since: int, limit: int, audience: frozenset[str]
) -> list[dict[str, Any]] | None:
    """Events with seq > since as `audience` may see them (others as placeholders), or None when more than
    `limit` are missing (the client then takes a snapshot)."""
    rows = session.exec(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == meeting_id, MeetingEvent.seq > since)
        .order_by(col(MeetingEvent.seq))
        .limit(limit + 1)
    ).all()
    if len(rows) > limit:
        return None
    return [envelope(r) if r.audience in audience else hidden(envelope(r)) for r in rows]


def heads(session: Session, *, meeting_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each meeting's (last_seq, access_seq), one query for them all: how far its durable event log goes
    (realtime/repair.py compares it with what a node has delivered)."""
    if not meeting_ids:
        return {}
    rows = session.exec(
        select(Meeting.id, Meeting.last_seq, Meeting.access_seq).where(col(Meeting.id).in_(meeting_ids))
    ).all()
    return {int(mid): (int(last), int(access)) for mid, last, access in rows if mid is not None}


def events_between(session: Session, *, ranges: dict[int, tuple[int, int]]) -> list[Delivery]:
    """The events with `after < seq <= upto` of each meeting ({meeting: (after, upto)}), one query for them all,
    in (meeting, seq) order, as the edge delivers them. Their access_seq is not stored: an event that changed
    access carries its own seq, any other 0 (the caller re-checks the grants against the meeting's access_seq)."""
    if not ranges:
        return []
    where = or_(
        *(
            and_(col(MeetingEvent.meeting_id) == mid, col(MeetingEvent.seq) > after, col(MeetingEvent.seq) <= upto)
            for mid, (after, upto) in ranges.items()
        )
    )
    rows = session.exec(
        select(MeetingEvent).where(where).order_by(col(MeetingEvent.meeting_id), col(MeetingEvent.seq))
    ).all()
    return [Delivery(envelope(r), r.audience, r.seq if r.type in ACCESS_CHANGING else 0) for r in rows]
