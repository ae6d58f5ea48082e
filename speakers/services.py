"""Speaker queue operations. Each: permission check -> state guard -> write -> event "speaker.queue_changed"
carrying the "speakers" slice (sent after commit).

Behaviour a chair expects (documented in docs/speakers-and-display.md):
- only one speech at a time: giving the floor to the next person ends the current speech first (its end is
  recorded), as when the chair says "xin cảm ơn, mời đồng chí ..."; the event says which speech it ended;
- a request belongs to the agenda item that was current when it was made; moving to another item keeps the
  waiting requests with their item (they come back if the chair returns to it) and ends a running speech.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.clock import utcnow
from core.errors import Conflict, Forbidden, NotFound
from core.i18n import N_, Msg
from meetings.access import Access, access, require_conduct
from meetings.models import Attendance, MeetingRole, MeetingState, Participant
from meetings.services import emit, require_state
from speakers import serialize
from speakers.models import SpeakerRequest, SpeakerState
from speakers.schemas import SpeakRequest

EVENT = "speaker.queue_changed"
MAY_SPEAK = (Attendance.present_room, Attendance.present_remote, Attendance.deputy)
_STATE_VI = {
    SpeakerState.waiting: N_("đang chờ"),
    SpeakerState.speaking: N_("đang phát biểu"),
    SpeakerState.done: N_("đã phát biểu xong"),
    SpeakerState.withdrawn: N_("đã rút đăng ký"),
}


def _current_item(acc: Access, action: str) -> int:
    require_state(acc.meeting, (MeetingState.started,), action)
    if acc.meeting.current_item_id is None:
        raise Conflict(
            "Không thể {action} cuộc họp: chưa có nội dung nào đang được thảo luận.",
            action=N_(action),
        )
    return acc.meeting.current_item_id


def _why_not_eligible(participant: Participant | None, name: str) -> str | None:
    """None when the person may speak; otherwise the reason, in Vietnamese."""
    if participant is None:
        return Msg("{name} không phải thành phần của cuộc họp.", name=name)
    role = MeetingRole(participant.role)
    if role == MeetingRole.guest:
        return None  # guests are invited to speak on their items
    if role == MeetingRole.secretary:
        return Msg("{name} là thư ký cuộc họp, không đăng ký phát biểu.", name=name)
    if participant.attendance not in MAY_SPEAK:
        return Msg("{name} chưa được điểm danh có mặt (tại phòng họp, trực tuyến hoặc dự thay).", name=name)
    return None


def _open_request(session: Session, meeting_id: int, item_id: int, user_id: int) -> SpeakerRequest | None:
    return session.exec(
        select(SpeakerRequest).where(
            SpeakerRequest.meeting_id == meeting_id,
            SpeakerRequest.agenda_item_id == item_id,
            SpeakerRequest.user_id == user_id,
            SpeakerRequest.state.in_((SpeakerState.waiting, SpeakerState.speaking)),  # type: ignore[attr-defined]
        )
    ).first()


def _speaking(session: Session, meeting_id: int) -> SpeakerRequest | None:
    return session.exec(
        select(SpeakerRequest).where(
            SpeakerRequest.meeting_id == meeting_id, SpeakerRequest.state == SpeakerState.speaking
        )
    ).first()


def _end(session: Session, req: SpeakerRequest, by: Actor) -> None:
    req.state = SpeakerState.done
    req.ended_at = utcnow()
    req.ended_by = by.id
    session.add(req)


def _start(session: Session, acc: Access, req: SpeakerRequest) -> dict[str, Any] | None:
    """Give `req` the floor; ends the speech in progress, if any, and returns it (JSON) for the event."""
    ended = None
    running = _speaking(session, req.meeting_id)
    if running is not None and running.id != req.id:
        _end(session, running, acc.actor)
        ended = running
    req.state = SpeakerState.speaking
    req.started_at = utcnow()
    req.limit_seconds = serialize.limit_for(session, req.agenda_item_id)
    req.granted_by = acc.actor.id
    session.add(req)
    session.flush()
    return serialize.one(session, ended) if ended is not None else None


def _changed(session: Session, acc: Access, action: str, req: SpeakerRequest, **extra: Any) -> dict[str, Any]:
    session.flush()
    row = serialize.one(session, req)
    emit(
        session,
        acc,
        EVENT,
        action=action,
        request=row,
        speakers=serialize.speakers_slice(session, acc.meeting),
        **extra,
    )
    return row


def _absent() -> NotFound:
    return NotFound("Không tìm thấy đăng ký phát biểu.")


def _load(session: Session, actor: Actor, request_id: int) -> tuple[Access, SpeakerRequest]:
    """A request of a meeting the caller may see (every participant sees its queue); any other answers exactly as
    an id that does not exist, before any role or state check."""
    req = session.get(SpeakerRequest, request_id)
    if req is None:
        raise _absent()
    acc = access(session, actor, req.meeting_id, for_update=True, absent=_absent)
    session.refresh(req)  # read again under the meeting's lock
    return acc, req


def _require_state(req: SpeakerRequest, allowed: SpeakerState, action: str) -> None:
    if req.state != allowed:
        raise Conflict(
            "Không thể {action} đăng ký phát biểu này: đăng ký {state}.",
            action=N_(action),
            state=_STATE_VI[SpeakerState(req.state)],
            details={"state": SpeakerState(req.state).value},
        )


# --- reading ------------------------------------------------------------------------------------------


def list_speakers(*, session: Session, actor: Actor, meeting_id: int) -> dict[str, Any]:
    acc = access(session, actor, meeting_id)
    return serialize.speakers_slice(session, acc.meeting)


# --- asking and withdrawing ---------------------------------------------------------------------------


def request_floor(*, session: Session, actor: Actor, meeting_id: int, data: SpeakRequest) -> dict[str, Any]:
    """{} : the caller asks to speak on the current item. {user_id}: the chair gives that person the floor."""
    acc = access(session, actor, meeting_id, for_update=True)
    if data.user_id is not None and (data.user_id != actor.id or acc.can_conduct):
        return _give_floor(session, acc, data.user_id)
    if acc.participant is None:
        raise Forbidden("Chỉ thành phần của cuộc họp được đăng ký phát biểu.")
    item_id = _current_item(acc, "đăng ký phát biểu trong")
    reason = _why_not_eligible(acc.participant, "Bạn")
    if reason:
        raise Forbidden(reason)
    existing = _open_request(session, meeting_id, item_id, actor.id)
    if existing is not None:
        raise Conflict(
            "Bạn đã đăng ký phát biểu ở nội dung này ({state}).",
            state=_STATE_VI[SpeakerState(existing.state)],
            details={"request_id": existing.id, "state": SpeakerState(existing.state).value},
        )
    req = SpeakerRequest(
        meeting_id=meeting_id,
        agenda_item_id=item_id,
        user_id=actor.id,
        deputy_name=acc.participant.deputy_name if acc.participant.attendance == Attendance.deputy else "",
    )
    session.add(req)
    return _changed(session, acc, "requested", req)


def _give_floor(session: Session, acc: Access, user_id: int) -> dict[str, Any]:
    if not acc.can_conduct:
        raise Forbidden("Chỉ chủ trì hoặc thư ký được mời người khác phát biểu.")
    item_id = _current_item(acc, "mời phát biểu trong")
    row = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.meeting_id == acc.meeting.id, Participant.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound("Người này không phải thành phần của cuộc họp.")
    participant, user = row
    reason = _why_not_eligible(participant, user.full_name)
    if reason:
        raise Conflict("Không thể mời phát biểu: {reason}", reason=reason)
    req = _open_request(session, acc.meeting.id, item_id, user_id)  # type: ignore[arg-type]
    if req is not None and req.state == SpeakerState.speaking:
        raise Conflict("{full_name} đang phát biểu.", full_name=user.full_name, details={"request_id": req.id})
    if req is None:  # not in the queue: the chair gives the floor directly
        deputy = participant.deputy_name if participant.attendance == Attendance.deputy else ""
        req = SpeakerRequest(
            meeting_id=acc.meeting.id,  # type: ignore[arg-type]
            agenda_item_id=item_id,
            user_id=user_id,
            direct=True,
            deputy_name=deputy,
        )
        session.add(req)
        session.flush()
    ended = _start(session, acc, req)
    return _changed(session, acc, "granted", req, ended=ended)


def withdraw(*, session: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    """The requester leaves the queue (or the chair strikes a name) while still waiting."""
    acc, req = _load(session, actor, request_id)
    if req.user_id != actor.id and not acc.can_conduct:
        raise Forbidden("Chỉ người đăng ký hoặc chủ trì được rút đăng ký phát biểu này.")
    require_state(acc.meeting, (MeetingState.started,), "rút đăng ký phát biểu trong")
    _require_state(req, SpeakerState.waiting, "rút")
    req.state = SpeakerState.withdrawn
    req.ended_at = utcnow()
    req.ended_by = actor.id
    session.add(req)
    return _changed(session, acc, "withdrawn", req)


# --- the floor ----------------------------------------------------------------------------------------


def grant(*, session: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    """Give the floor to a waiting request of the current item (ending the speech in progress, if any)."""
    acc, req = _load(session, actor, request_id)
    require_conduct(acc)
    item_id = _current_item(acc, "mời phát biểu trong")
    _require_state(req, SpeakerState.waiting, "mời phát biểu theo")
    if req.agenda_item_id != item_id:
        raise Conflict(
            "Không thể mời phát biểu theo đăng ký này: đăng ký thuộc nội dung khác; chuyển về nội dung đó trước.",
            details={"agenda_item_id": req.agenda_item_id, "current_item_id": item_id},
        )
    ended = _start(session, acc, req)
    return _changed(session, acc, "granted", req, ended=ended)


def finish(*, session: Session, actor: Actor, request_id: int) -> dict[str, Any]:
    """End a speech: the chair (or secretary) does; the speaker may also end their own."""
    acc, req = _load(session, actor, request_id)
    if req.user_id != actor.id and not acc.can_conduct:
        raise Forbidden("Chỉ chủ trì, thư ký hoặc chính người phát biểu được kết thúc phần phát biểu.")
    _require_state(req, SpeakerState.speaking, "kết thúc")
    _end(session, req, actor)
    return _changed(session, acc, "finished", req)


# --- hook: the current agenda item changed (registered in app/domains.py) -----------------------------


def on_current_item_changed(session: Session, acc: Access, previous_item_id: int | None) -> dict[str, Any]:
    """A speech in progress ends when the chair moves on; waiting requests stay with their own item."""
    assert acc.meeting.id is not None
    rows = serialize.slice_rows(session, acc.meeting)  # the speech in progress is among them: one query for both
    running = next((r for r, _, _ in rows if r.state == SpeakerState.speaking), None)
    if running is not None and running.agenda_item_id != acc.meeting.current_item_id:
        _end(session, running, acc.actor)
        session.flush()
    return {"speakers": serialize.slice_of(rows, acc.meeting.current_item_id)}
