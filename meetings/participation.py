"""Participants and attendance (điểm danh): invite with a meeting role, correct attendance, check in."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts import namesakes
from accounts.models import GlobalRole, User
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from meetings import display_ends, serialize
from meetings.access import Access, access, require_conduct, require_manage
from meetings.attendance import history, record_change, video_joined, video_left
from meetings.events import MEMBERS, classes
from meetings.models import Attendance, AttendanceSource, MeetingMode, MeetingRole, MeetingState, Participant
from meetings.schemas import AttendanceChangePublic, CheckInRequest, ParticipantCreate, ParticipantUpdate
from meetings.services import emit, require_state

_OPEN = (MeetingState.draft, MeetingState.published, MeetingState.started)


def _participant(session: Session, meeting_id: int, user_id: int) -> tuple[Participant, User]:
    row = session.exec(
        select(Participant, User)
        .join(User, col(User.id) == Participant.user_id)
        .where(Participant.meeting_id == meeting_id, Participant.user_id == user_id)
    ).first()
    if row is None:  # unnamed: the name of any account asked for would show a chair who is not staff the directory
        raise NotFound("Người này không phải thành phần của cuộc họp.")
    return row


def _roster_changed(session: Session, acc: Access, type: str, **extra: Any) -> None:
    session.flush()
    mid = acc.meeting_id
    emit(
        session,
        acc,
        type,
        participants=serialize.participants_data(session, mid),
        quorum=serialize.quorum_data(session, mid),
        **extra,
    )


def _check_role(
    session: Session, meeting_id: int, user: User, role: MeetingRole, exclude_user: int | None = None
) -> None:
    if user.role == GlobalRole.guest and role != MeetingRole.guest:
        raise ValidationFailed(
            "{full_name} là khách mời; chỉ có thể mời với vai trò khách mời.",
            full_name=user.full_name,
            details=[{"field": "role", "message": "tài khoản khách mời chỉ dự với vai trò khách mời"}],
        )
    if role == MeetingRole.chair:
        other = session.exec(
            select(Participant).where(
                Participant.meeting_id == meeting_id,
                Participant.role == MeetingRole.chair,
                Participant.user_id != exclude_user,
            )
        ).first()
        if other is not None:
            raise Conflict("Cuộc họp đã có người chủ trì; đổi vai trò người đó trước.")


def list_participants(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """The roster; guests and the hall display get it without absence reasons (as in their snapshot)."""
    acc = access(session, actor, meeting_id)
    rows = serialize.participants_data(session, meeting_id)
    return rows if MEMBERS in classes(acc) else serialize.outsiders_participants(rows)


def attendance_history(*, session: Session, actor: Actor, meeting_id: int) -> list[dict[str, Any]]:
    """Every attendance change of the meeting, oldest first: what the minutes' attendance rests on. Guests and the
    hall display get no notes (an absence's reason, why someone left: the members' business)."""
    members = MEMBERS in classes(access(session, actor, meeting_id))
    names = {p.user_id: u.full_name for p, u in serialize.participant_rows(session, meeting_id)}
    rows = [c for changes in history(session, meeting_id).values() for c in changes]
    rows.sort(key=lambda c: (c.at, c.id))
    return [
        AttendanceChangePublic(
            user_id=c.user_id,
            full_name=names.get(c.user_id, ""),
            at=c.at,
            previous=c.previous,
            attendance=c.attendance,
            note=c.note if members else "",
            source=c.source,
            by=c.actor_id,
        ).model_dump(mode="json")
        for c in rows
    ]


def invite(*, session: Session, actor: Actor, meeting_id: int, data: ParticipantCreate) -> dict[str, Any]:
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, _OPEN, "mời thành phần cho")
    user = session.get(User, data.user_id)
    if user is None or not user.is_active:
        raise NotFound("Không tìm thấy người dùng.")
    if session.exec(
        select(Participant).where(Participant.meeting_id == meeting_id, Participant.user_id == data.user_id)
    ).first():
        raise Conflict("{full_name} đã có trong thành phần cuộc họp.", full_name=user.full_name)
    _distinct(session, meeting_id, user)
    _check_role(session, meeting_id, user, data.role)
    participant = Participant(meeting_id=meeting_id, user_id=data.user_id, role=data.role)
    session.add(participant)
    _roster_changed(session, acc, "participants.changed")
    return serialize.participant_data(participant, user)


def _distinct(session: Session, meeting_id: int, user: User) -> None:
    """The record names participants by name: a name that reads like another participant's but is written with other
    characters (an account made before look-alikes were refused, accounts/namesakes.py) is not invited."""
    others = session.exec(
        select(User.full_name)
        .join(Participant, col(Participant.user_id) == col(User.id))
        .where(Participant.meeting_id == meeting_id)
    ).all()
    if any(namesakes.lookalike(user.full_name, name) for name in others):
        raise Conflict(
            "Không mời được {full_name}: họ tên trông giống hệt họ tên của một thành phần đã có nhưng viết bằng ký tự "
            "khác; biên bản không phân biệt được hai người.",
            full_name=user.full_name,
        )


def update(*, session: Session, actor: Actor, meeting_id: int, user_id: int, data: ParticipantUpdate) -> dict[str, Any]:
    """Staff change a participant's role or correct their attendance (with who changed it)."""
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, _OPEN, "sửa thành phần của")
    participant, user = _participant(session, meeting_id, user_id)
    changes = data.model_dump(exclude_unset=True)
    role_changed = changes.get("role") is not None and changes["role"] != participant.role
    if role_changed:
        _check_role(session, meeting_id, user, changes["role"], exclude_user=user_id)
        participant.role = changes["role"]
    attendance = changes.get("attendance") or Attendance(participant.attendance)
    _check_notes(attendance, changes)
    if changes.get("attendance") is not None or attendance in (Attendance.absent, Attendance.deputy):
        # A new reason of absence or deputy's name is a change of the record too (kept in the history).
        source = AttendanceSource.deputy if attendance == Attendance.deputy else AttendanceSource.correction
        record_change(
            session,
            participant,
            by=acc.actor.id,
            attendance=attendance,
            source=source,
            reason=changes.get("absence_reason"),
            deputy=changes.get("deputy_name"),
        )
    session.add(participant)
    # A role change is always participants.changed: that event changes who may see what (meetings/events.py).
    _roster_changed(
        session, acc, "attendance.changed" if changes.get("attendance") and not role_changed else "participants.changed"
    )
    if role_changed:  # no longer the secretary: the hall-display links he made end for good
        display_ends.end_links_of(session, acc, user, participant.role)
    return serialize.participant_data(participant, user)


def _check_notes(attendance: Attendance, changes: dict[str, Any]) -> None:
    """A reason of absence or a deputy's name that the attendance would not keep is refused, not dropped."""
    if changes.get("absence_reason") and attendance != Attendance.absent:
        raise ValidationFailed(
            "Lý do vắng chỉ ghi khi thành viên vắng mặt.",
            details=[{"field": "absence_reason", "message": "chỉ dùng khi vắng mặt", "type": "not_applicable"}],
        )
    if changes.get("deputy_name") and attendance != Attendance.deputy:
        raise ValidationFailed(
            "Họ tên đại biểu dự thay chỉ ghi khi có người dự thay.",
            details=[{"field": "deputy_name", "message": "chỉ dùng khi dự thay", "type": "not_applicable"}],
        )


def remove(*, session: Session, actor: Actor, meeting_id: int, user_id: int) -> None:
    acc = access(session, actor, meeting_id, for_update=True)
    require_manage(acc)
    require_state(acc.meeting, (MeetingState.draft, MeetingState.published), "bớt thành phần của")
    participant, user = _participant(session, meeting_id, user_id)
    session.delete(participant)
    _roster_changed(session, acc, "participants.changed")
    display_ends.end_links_of(session, acc, user, None)


def check_in(*, session: Session, actor: Actor, meeting_id: int, data: CheckInRequest) -> dict[str, Any]:
    """A participant marks themself present (in the room). Attendance is explicit and outlives disconnects."""
    acc = access(session, actor, meeting_id, for_update=True)
    if acc.participant is None:
        raise Forbidden("Chỉ thành phần của cuộc họp được điểm danh.")
    require_state(acc.meeting, (MeetingState.published, MeetingState.started), "điểm danh cho")
    if data.attendance not in (Attendance.present_room, Attendance.present_remote):
        raise ValidationFailed(
            "Tự điểm danh chỉ có thể là có mặt tại phòng họp hoặc trực tuyến; vắng mặt do Văn phòng ghi nhận.",
            details=[{"field": "attendance", "message": "chỉ present_room hoặc present_remote"}],
        )
    participant, user = _participant(session, meeting_id, actor.id)
    if not record_change(
        session, participant, by=actor.id, attendance=data.attendance, source=AttendanceSource.check_in
    ):
        return serialize.participant_data(participant, user)  # idempotent: a second tap changes nothing
    session.flush()
    emit(
        session,
        acc,
        "attendance.changed",
        participant=serialize.participant_data(participant, user),
        quorum=serialize.quorum_data(session, meeting_id),
    )
    return serialize.participant_data(participant, user)


# --- remote attendance (the media connection; realtime/rtc.py) ----------------------------------------

_REMOTE_MODES = (MeetingMode.remote, MeetingMode.hybrid)
_REMOTE_STATES = (MeetingState.published, MeetingState.started)
_participant_json, _quorum = serialize.participant_data, serialize.quorum_data  # (a parameter below is named `present`)


def _remote_guard(acc: Access) -> None:
    if acc.actor.is_display:
        raise Forbidden("Màn hình phòng họp không tham gia trực tuyến.")
    if acc.meeting.mode not in _REMOTE_MODES:
        raise Forbidden("Cuộc họp này không có hình thức tham dự trực tuyến.")  # shown on a 403 page: no title
    require_state(acc.meeting, _REMOTE_STATES, "tham gia trực tuyến")


def authorize_remote(*, session: Session, actor: Actor, meeting_id: int, hall: bool = False) -> dict[str, Any]:
    """May `actor` open a media connection to the meeting? A participant (guests included: they are
    invited) of a remote or hybrid meeting; the hall camera only for those who conduct the meeting.
    Answers what the media worker needs: the name label and whether the user conducts."""
    acc = access(session, actor, meeting_id)
    _remote_guard(acc)
    if hall:
        require_conduct(acc)
    elif acc.participant is None:
        raise Forbidden("Chỉ thành phần của cuộc họp được tham gia trực tuyến.")
    user = session.get(User, actor.id)
    return {"label": user.full_name if user else actor.full_name, "can_conduct": acc.can_conduct}


def authorize_remote_control(*, session: Session, actor: Actor, meeting_id: int) -> None:
    """Muting someone else or ending their remote session: the chair (or those who conduct the meeting)."""
    acc = access(session, actor, meeting_id)
    require_conduct(acc)


def set_remote_presence(
    *,
    session: Session,
    actor: Actor,
    meeting_id: int,
    present: bool,
    user_id: int | None = None,
    publishing: bool = True,
    source: AttendanceSource = AttendanceSource.video_leave,
) -> dict[str, Any] | None:
    """The video joined (present=True; `publishing`: it sends camera or microphone) or ended (`source`:
    left, or lost after the grace period); what that does to attendance: meetings/attendance.py. A
    participant sets their own; for someone else (the chair ends their session) the actor must conduct."""
    acc = access(session, actor, meeting_id, for_update=True)
    target = actor.id if user_id is None else user_id
    if target != actor.id:
        require_conduct(acc)
    elif acc.participant is None:
        raise Forbidden("Chỉ thành phần của cuộc họp được tham gia trực tuyến.")
    _remote_guard(acc)
    participant, user = _participant(session, meeting_id, target)
    if present:
        changed = video_joined(session, participant, by=actor.id, publishing=publishing)
    else:
        changed = video_left(session, participant, by=actor.id, source=source)
    if not changed:
        return _participant_json(participant, user)  # nothing changes, no event
    session.flush()
    data = _participant_json(participant, user)
    emit(session, acc, "attendance.changed", participant=data, quorum=_quorum(session, meeting_id))
    return data
