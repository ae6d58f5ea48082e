"""Meeting operations. Each: permission check -> state guard -> write -> event (sent after commit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, cast, literal, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from accounts.models import User
from core.actor import Actor
from core.clock import as_utc, utcnow
from core.errors import Conflict, NotFound
from core.i18n import N_
from infra.driver import DriverStatement
from meetings import hooks, notify, serialize
from meetings.access import Access, access, access_with_agenda, require_conduct, require_create, require_manage
from meetings.events import MEMBERS, classes, events_since, record
from meetings.models import AgendaItem, ItemState, Meeting, MeetingState, Participant
from meetings.schemas import MeetingCreate, MeetingUpdate

_STATE_VI = {
    MeetingState.draft: N_("còn là bản nháp, chưa phát hành"),
    MeetingState.published: N_("chưa bắt đầu"),
    MeetingState.started: N_("đang diễn ra"),
    MeetingState.ended: N_("đã kết thúc"),
}


def state_name(state: MeetingState | str) -> str:
    return _STATE_VI[MeetingState(state)]


def require_state(meeting: Meeting, allowed: tuple[MeetingState, ...], action: str) -> None:
    if meeting.state not in allowed:
        raise Conflict(
            "Không thể {action} cuộc họp “{title}”: cuộc họp {state}.",
            action=N_(action),
            title=meeting.title,
            state=state_name(meeting.state),
            details={"state": MeetingState(meeting.state).value},
        )


def emit(
    session: Session,
    acc: Access,
    type: str,
    *,
    audience: str | None = None,
    set_meeting: dict[str, Any] | None = None,
    **data: Any,
) -> dict[str, Any]:
    """Record a meeting event; `audience` (meetings/events.py) narrows who receives it (default: by type);
    `set_meeting`: the meeting's columns it changes, written with its seq (events.record)."""
    assert acc.meeting.id is not None
    data.setdefault("by", {"user_id": acc.actor.id, "full_name": acc.actor.full_name})
    return record(
        session,
        meeting_id=acc.meeting.id,
        type=type,
        data=data,
        actor_id=acc.actor.id,
        audience=audience,
        set_meeting=set_meeting,
    )


# --- reading ------------------------------------------------------------------------------------------


def list_meetings(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Staff see every meeting; others the published meetings they are invited to."""
    if actor.is_staff:
        rows: list[tuple[Meeting, Any]] = [(m, None) for m in session.exec(select(Meeting)).all()]
        mine = {
            p.meeting_id: p.role for p in session.exec(select(Participant).where(Participant.user_id == actor.id)).all()
        }
        rows = [(m, mine.get(m.id or 0)) for m, _ in rows]
    else:
        rows = list(
            session.exec(
                select(Meeting, Participant.role)
                .join(Participant, col(Participant.meeting_id) == Meeting.id)
                .where(Participant.user_id == actor.id, Meeting.state != MeetingState.draft)
            ).all()
        )
    rows.sort(key=lambda r: (r[0].scheduled_at is None, r[0].scheduled_at or r[0].created_at), reverse=False)
    return [serialize.meeting_data(m, role) for m, role in rows]


def get_meeting(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    acc = access(session, actor, meeting_id)
    return serialize.meeting_data(acc.meeting, acc.role)


def join(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """What a live client needs: the snapshot, its seq, and the caller's powers."""
    acc = access(session, actor, meeting_id)
    return joined(acc, serialize.snapshot(session, acc.meeting, members=MEMBERS in classes(acc)))


def joined(acc: Access, snapshot: dict[str, Any]) -> dict[str, Any]:
    """`join`'s answer for `acc`, given the meeting's snapshot read in the same transaction."""
    me = {"user_id": acc.actor.id, "role": acc.role, "can_manage": acc.can_manage, "can_conduct": acc.can_conduct}
    return {"snapshot": snapshot, "seq": acc.meeting.last_seq, "me": me}


def sync(*, session: Session, actor: Actor, meeting_id: int, since: int, limit: int) -> dict[str, Any]:
    """Missed events after `since`, or a fresh snapshot when too many were missed (or `since` is bogus)."""
    acc = access(session, actor, meeting_id)
    last = acc.meeting.last_seq
    ok = 0 <= since <= last
    events = (
        events_since(session, meeting_id=meeting_id, since=since, limit=limit, audience=classes(acc)) if ok else None
    )
    if events is None:
        return {"snapshot": serialize.snapshot(session, acc.meeting, members=MEMBERS in classes(acc)), "seq": last}
    return {"events": events, "seq": last}


# --- preparing ----------------------------------------------------------------------------------------


def create_meeting(*, session: Session, actor: Actor, data: MeetingCreate) -> dict[str, Any]:
    require_create(actor)
    meeting = Meeting(**data.model_dump(), created_by=actor.id)
    session.add(meeting)
    session.flush()
    hooks.text_changed(session, meeting.id or 0)
    acc = Access(actor, meeting, None)
    emit(session, acc, "meeting.created", meeting=serialize.meeting_data(meeting))
    return serialize.meeting_data(meeting)


def update_meeting(*, session: Session, actor: Actor, meeting_id: int, data: MeetingUpdate) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, (MeetingState.draft, MeetingState.published, MeetingState.started), "sửa")
    changes = data.model_dump(exclude_unset=True)
    for key in ("title", "kind", "mode"):
        if key in changes and changes[key] is None:
            changes.pop(key)
    told = [
        name
        for key, name in (("scheduled_at", "time"), ("place", "place"))
        if key in changes and _same(changes[key]) != _same(getattr(acc.meeting, key))
    ]
    if "time" in told and acc.meeting.state == MeetingState.started:
        # Its members are in it: a new time would tell them it moved (to a time already past, say). The record keeps
        # when it really began (meeting.started_at); a session to be held again is a new meeting.
        raise Conflict(MOVED_WHILE_ON)
    for key, value in changes.items():
        setattr(acc.meeting, key, value)
    session.add(acc.meeting)
    session.flush()
    hooks.text_changed(session, meeting_id)
    emit(session, acc, "meeting.updated", meeting=serialize.meeting_data(acc.meeting))
    notify.changed(session, acc.meeting, actor.id, told)
    return serialize.meeting_data(acc.meeting, acc.role)


MOVED_WHILE_ON = N_("Cuộc họp đang diễn ra: không thể đổi thời gian họp.")


def _same(value: Any) -> Any:
    """A stored time (naive UTC on SQLite) and a sent one compare as moments."""
    return as_utc(value) if isinstance(value, datetime) else value


def publish_meeting(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, (MeetingState.draft,), "phát hành")
    if not serialize.agenda_items(session, meeting_id):
        raise Conflict("Không thể phát hành cuộc họp “{title}”: chưa có nội dung họp nào.", title=acc.meeting.title)
    if not any(p.role == "chair" for p, _ in serialize.participant_rows(session, meeting_id)):
        raise Conflict("Không thể phát hành cuộc họp “{title}”: chưa có người chủ trì.", title=acc.meeting.title)
    acc.meeting.state = MeetingState.published
    session.add(acc.meeting)
    session.flush()
    emit(session, acc, "meeting.published", meeting=serialize.meeting_data(acc.meeting))
    notify.published(session, acc.meeting, actor.id)
    return serialize.meeting_data(acc.meeting, acc.role)


def unpublish_meeting(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    """Back to draft before it starts (e.g. to rework it): invitees no longer see it, and their open pages are
    taken out of the meeting at once (meeting.unpublished changes access: realtime/audience.py)."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, (MeetingState.published,), "đưa về bản nháp")
    acc.meeting.state = MeetingState.draft
    session.add(acc.meeting)
    session.flush()
    emit(session, acc, "meeting.unpublished", meeting=serialize.meeting_data(acc.meeting))
    return serialize.meeting_data(acc.meeting, acc.role)


# --- conducting ---------------------------------------------------------------------------------------


class NoQuorum(Conflict):
    """Fewer members present than the quorum: the conductor may still go on, knowingly (force)."""

    code = "no_quorum"


def start_meeting(*, session: Session, actor: Actor, meeting_id: int, force: bool = False) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.published,), "bắt đầu")
    quorum = serialize.quorum_data(session, meeting_id)
    if not quorum["reached"] and not force:
        raise NoQuorum("Chưa đủ số thành viên có mặt để bắt đầu phiên họp; xác nhận để vẫn bắt đầu.", details=quorum)
    acc.meeting.state = MeetingState.started
    acc.meeting.started_at = utcnow()
    items = serialize.agenda_items(session, meeting_id)
    if items and acc.meeting.current_item_id is None:
        _make_current(session, items, items[0])
        acc.meeting.current_item_id = items[0].id
    session.add(acc.meeting)
    session.flush()
    emit(
        session,
        acc,
        "meeting.started",
        meeting=serialize.meeting_data(acc.meeting),
        agenda=serialize.agenda_data(session, meeting_id),
        quorum=serialize.quorum_data(session, meeting_id),
        **hooks.current_item_changed(session, acc, None),
    )
    return serialize.meeting_data(acc.meeting, acc.role)


def end_meeting(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.started,), "kết thúc")
    hooks.meeting_ended(session, acc)  # e.g. the votes still open close now (votes/services.py)
    for item in serialize.agenda_items(session, meeting_id):
        if item.state == ItemState.current:
            item.state = ItemState.done
            session.add(item)
    acc.meeting.state = MeetingState.ended
    acc.meeting.ended_at = utcnow()
    freeze_identities(session, meeting_id)
    previous = acc.meeting.current_item_id
    acc.meeting.current_item_id = None
    session.add(acc.meeting)
    session.flush()
    emit(
        session,
        acc,
        "meeting.ended",
        meeting=serialize.meeting_data(acc.meeting),
        agenda=serialize.agenda_data(session, meeting_id),
        **hooks.current_item_changed(session, acc, previous),
    )
    return serialize.meeting_data(acc.meeting, acc.role)


def freeze_identities(session: Session, meeting_id: int) -> None:
    """Copies each participant's name, title and unit onto their row as the meeting ends: the minutes print people
    as they were at the meeting (minutes/facts.py), whatever their account says after a rename, a new title or
    another unit. One UPDATE with correlated subqueries; nothing in this transaction reads these columns after it,
    so the loaded rows are not refreshed."""

    def of(column: Any) -> Any:
        return select(column).where(col(User.id) == Participant.user_id).scalar_subquery()

    session.execute(
        update(Participant)
        .where(col(Participant.meeting_id) == meeting_id)
        .values(name_at_end=of(User.full_name), title_at_end=of(User.title), unit_at_end=of(User.unit))
        .execution_options(synchronize_session=False)
    )


_ITEMS = AgendaItem.__table__  # type: ignore[attr-defined]
# Built once, run on the driver's cursor (infra/driver.py): the chair's tap changes two items (the new current
# one, and the one it was, now done) in one statement, and the meeting's current item in the UPDATE that takes
# the event's seq (meetings/events.py record). The loaded objects learn the new values as committed
# (set_committed_value) rather than being flushed: the ORM's unit of work costs several times these statements,
# and on PostgreSQL each statement is a round trip, before the COMMIT that every tablet waits for. The rows are
# the target and whichever item is current: those `_make_current` finds among the agenda it read under the
# meeting's lock (the target again when it already is current: a write of the same value).
_SET_ITEM_STATES = DriverStatement(
    update(_ITEMS)
    .where(
        _ITEMS.c.meeting_id == bindparam("meeting_id"),
        or_(_ITEMS.c.id == bindparam("current_id"), _ITEMS.c.state == literal(ItemState.current, _ITEMS.c.state.type)),
    )
    .values(
        state=cast(  # PostgreSQL keeps the state as an enum of its own, and types a CASE of strings as text
            case(
                (_ITEMS.c.id == bindparam("current_id"), literal(ItemState.current, _ITEMS.c.state.type)),
                else_=literal(ItemState.done, _ITEMS.c.state.type),
            ),
            _ITEMS.c.state.type,
        )
    )
)


def _make_current(session: Session, items: list[AgendaItem], target: AgendaItem) -> None:
    """The items' states for `target` becoming the current item; the caller sets the meeting's."""
    changes: list[tuple[AgendaItem, ItemState]] = []
    for item in items:
        if item.id == target.id:
            if item.state != ItemState.current:
                changes.append((item, ItemState.current))
        elif item.state == ItemState.current:
            changes.append((item, ItemState.done))  # an item that was discussed stays 'done' if the chair goes back
    if changes:
        _SET_ITEM_STATES.run(session, meeting_id=target.meeting_id, current_id=target.id)
        for item, state in changes:
            set_committed_value(item, "state", state)


def activate_item(*, session: Session, actor: Actor, meeting_id: int, item_id: int) -> dict[str, Any]:
    acc, items = access_with_agenda(session, actor, meeting_id)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.started,), "chuyển nội dung của")
    target = next((i for i in items if i.id == item_id), None)
    if target is None:
        raise NotFound("Không tìm thấy nội dung họp.")
    return _switch(session, acc, items, target)


def step_item(*, session: Session, actor: Actor, meeting_id: int, direction: int) -> dict[str, Any]:
    """Next (+1) or previous (-1) agenda item."""
    acc, items = access_with_agenda(session, actor, meeting_id)
    require_conduct(acc)
    require_state(acc.meeting, (MeetingState.started,), "chuyển nội dung của")
    if not items:
        raise Conflict("Cuộc họp “{title}” chưa có nội dung họp.", title=acc.meeting.title)
    ids = [i.id for i in items]
    if acc.meeting.current_item_id in ids:
        index = ids.index(acc.meeting.current_item_id) + (1 if direction > 0 else -1)
    else:
        index = 0 if direction > 0 else len(items) - 1
    if not 0 <= index < len(items):
        last, first = (
            N_("Đang ở nội dung cuối cùng của chương trình."),
            N_("Đang ở nội dung đầu tiên của chương trình."),
        )
        raise Conflict(last if direction > 0 else first)
    return _switch(session, acc, items, items[index])


def _switch(session: Session, acc: Access, items: list[AgendaItem], target: AgendaItem) -> dict[str, Any]:
    previous = acc.meeting.current_item_id
    _make_current(session, items, target)
    set_committed_value(acc.meeting, "current_item_id", target.id)  # written with the event's seq (below)
    session.flush()
    meeting = serialize.meeting_data(acc.meeting)
    emit(
        session,
        acc,
        "agenda.current_changed",
        set_meeting={"current_item_id": target.id},
        previous_item_id=previous,
        current_item_id=target.id,
        meeting=meeting,
        agenda=serialize.agenda_dump(items),  # the whole agenda, just flushed: not read again
        **hooks.current_item_changed(session, acc, previous),
    )
    return serialize.with_role(meeting, acc.role)
