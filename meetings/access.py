"""Who may do what in a meeting. A user's power comes from their participation (chair, secretary,
member, guest) and, for preparing and running meetings, from the global secretariat/admin role."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, select

from core.actor import Actor
from core.errors import Forbidden, NotFound
from core.i18n import N_
from infra.driver import DriverEntities
from meetings.models import AgendaItem, Meeting, MeetingRole, MeetingState, Participant


DISPLAY_DRAFT = N_(
    "Cuộc họp chưa được phát hành; màn hình phòng họp hiển thị cuộc họp sau khi Văn phòng phát hành (tải lại trang)."
)


class NotInvited(NotFound):
    """The meeting is not the actor's to see (not invited, or invited to a draft): answered exactly as an absent
    meeting (same code, status and message, no details), on pages and the API alike, since ids are sequential
    and a draft's id is known to nobody outside. A thing addressed by its own id inside such a meeting (a vote, a
    speaker request) answers as that thing absent instead (`access(..., absent=...)`)."""


@dataclass(frozen=True)
class Access:
    actor: Actor
    meeting: Meeting
    participant: Participant | None

    @property
    def meeting_id(self) -> int:
        """The meeting's id: it was read from the database, so it is never None."""
        assert self.meeting.id is not None
        return self.meeting.id

    @property
    def role(self) -> MeetingRole | None:
        return MeetingRole(self.participant.role) if self.participant else None

    @property
    def can_manage(self) -> bool:
        """Prepare the meeting: details, agenda, participants, publish."""
        return manages(self.actor, self.role)

    @property
    def can_conduct(self) -> bool:
        """Run the session: start, move the current item, end."""
        return self.can_manage or self.role == MeetingRole.chair

    @property
    def can_view(self) -> bool:
        return sees(self.actor, self.meeting.id, self.meeting.state, self.role)


# The two rules on plain values, for who decides from a narrow row without loading the meeting
# (documents/access.py `readable`); Access asks them too.
def manages(actor: Actor, role: MeetingRole | None) -> bool:
    return actor.is_staff or role == MeetingRole.secretary


def sees(actor: Actor, meeting_id: int | None, state: MeetingState, role: MeetingRole | None) -> bool:
    """Whether the actor may see a meeting in `state` where their participation is `role` (None: none)."""
    if actor.is_display:  # a room display sees the one meeting its token was made for, once published
        return actor.display_meeting_id == meeting_id and state != MeetingState.draft
    if manages(actor, role):
        return True
    return role is not None and state != MeetingState.draft


# Built once and run with their ids bound: building a statement costs several times what running it does
# (about 150 µs against 30), and every tap of the chair's, cast and page read runs these.
_MEETING_FOR_UPDATE = select(Meeting).where(col(Meeting.id) == bindparam("meeting_id")).with_for_update()
_PARTICIPANT = select(Participant).where(
    col(Participant.meeting_id) == bindparam("meeting_id"), col(Participant.user_id) == bindparam("user_id")
)
# A write's meeting (its row locked: FOR UPDATE OF meeting on PostgreSQL) and the actor's participation, one query.
_BOTH_FOR_UPDATE = (
    select(Meeting, Participant)
    .outerjoin(
        Participant,
        and_(col(Participant.meeting_id) == col(Meeting.id), col(Participant.user_id) == bindparam("user_id")),
    )
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .with_for_update(of=Meeting)
)


# The same with the meeting's agenda, in order: the chair's moves through it, one query (a row per item), on the
# driver's cursor (infra/driver.py): the ORM's loading of these rows cost more than the rest of the tap's reads.
_BOTH_FOR_UPDATE_WITH_AGENDA = DriverEntities(
    select(Meeting, Participant, AgendaItem)
    .outerjoin(
        Participant,
        and_(col(Participant.meeting_id) == col(Meeting.id), col(Participant.user_id) == bindparam("user_id")),
    )
    .outerjoin(AgendaItem, col(AgendaItem.meeting_id) == col(Meeting.id))
    .where(col(Meeting.id) == bindparam("meeting_id"))
    .order_by(col(AgendaItem.position))
    .with_for_update(of=Meeting)
)


MEETING_ABSENT = N_("Không tìm thấy cuộc họp.")


def not_found() -> NotFound:
    return NotFound(MEETING_ABSENT)  # no id: a caller must not learn or count what exists


def load_meeting(session: Session, meeting_id: int, *, for_update: bool = False) -> Meeting:
    if for_update:
        meeting = session.exec(_MEETING_FOR_UPDATE, params={"meeting_id": meeting_id}).first()
    else:  # the session's own copy when it has one (callers of a batched read ask for the same meeting)
        meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise not_found()
    return meeting


def access(
    session: Session,
    actor: Actor,
    meeting_id: int,
    *,
    for_update: bool = False,
    absent: Callable[[], NotFound] | None = None,
) -> Access:
    """The actor's access to a meeting they may see; else the absent meeting's 404, or `absent()` when the caller
    addressed a thing of the meeting by that thing's own id (it must answer as that thing absent)."""
    try:
        if for_update:
            row = session.exec(_BOTH_FOR_UPDATE, params={"meeting_id": meeting_id, "user_id": actor.id}).first()
            if row is None:
                raise not_found()
            return require_view(Access(actor, row[0], row[1]))
        meeting = load_meeting(session, meeting_id)
        participant = session.exec(_PARTICIPANT, params={"meeting_id": meeting_id, "user_id": actor.id}).first()
        return require_view(Access(actor, meeting, participant))
    except NotFound:
        if absent is None:
            raise
        raise absent() from None


def access_with_agenda(session: Session, actor: Actor, meeting_id: int) -> tuple[Access, list[AgendaItem]]:
    """`access(..., for_update=True)` and the meeting's agenda items in order, read by one query: on PostgreSQL a
    round trip fewer for every move of the chair's."""
    rows = _BOTH_FOR_UPDATE_WITH_AGENDA.rows(session, meeting_id=meeting_id, user_id=actor.id)
    if not rows:
        raise not_found()
    acc = require_view(Access(actor, rows[0][0], rows[0][1]))
    return acc, [item for _, _, item in rows if item is not None]


def require_view(acc: Access) -> Access:
    """`acc` if the meeting is the actor's to see (access() asks it; batched services ask it per caller)."""
    if not acc.can_view:
        if acc.actor.display_meeting_id == acc.meeting.id:  # its own meeting, not (or no longer) published
            raise Forbidden(DISPLAY_DRAFT)
        raise NotInvited(MEETING_ABSENT)
    return acc


def require_create(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden("Chỉ Văn phòng được tạo cuộc họp.")


def authorize_manage(*, session: Session, actor: Actor, meeting_id: int) -> None:
    """What every API that prepares a meeting asks (details, agenda, participants): its edit page asks it too."""
    require_manage(access(session, actor, meeting_id))


def require_manage(acc: Access) -> None:
    if not acc.can_manage:
        raise Forbidden("Chỉ Văn phòng (thư ký cuộc họp) được chuẩn bị cuộc họp này.")


def require_conduct(acc: Access) -> None:
    if not acc.can_conduct:
        raise Forbidden("Chỉ chủ trì hoặc thư ký được điều hành cuộc họp này.")
