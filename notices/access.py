"""Who may do what with a conclusion notice and its tasks.

- The secretariat (global role admin / secretariat) drafts, submits, assigns tasks and sees everything.
- The meeting's chair approves and signs its notice, and follows its tasks.
- Once issued, the meeting's participants may read the notice; the users of a unit (User.unit) assigned a
  task read it too and report that task's progress.
- Nobody else learns that a notice exists (404).

"The users of a unit" is defined once, here (`is_unit_user`, `unit_of`, `same_unit`, `unit_users`): active
accounts that are not guests (a hall display is no account at all), whose unit is the same name compared without
case, diacritics or extra spaces. A guest keeps their ministry on their record (a Thứ trưởng invited to one
session), but that gives them no notice, task or notification of the ministry: only the meetings they are invited
to. Every reader, follower and recipient chosen by unit goes through these functions. How a task's unit is
spelled (`unit_names`: as typed when a user's record spells it so, else the unit's canonical spelling) follows
accounts/units.py, never the order the records are read in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from accounts.units import Unit, canonical_units
from accounts.units import unit_key as unit_key  # how two spellings of a unit compare: one rule for accounts and tasks
from core.errors import Forbidden, NotFound
from meetings.models import MeetingRole, Participant
from notices.models import ConclusionNotice, NoticeState, NoticeTask


@dataclass(frozen=True)
class NoticeAccess:
    actor: Actor
    notice: ConclusionNotice
    is_chair: bool
    is_participant: bool
    in_unit: bool
    unit: str = ""  # the reader's unit (ministry): its own tasks' progress is theirs to see

    @property
    def can_edit(self) -> bool:
        return self.actor.is_staff

    @property
    def can_follow(self) -> bool:
        """Sees the notice at any stage and every task of it: the secretariat and the chair."""
        return self.actor.is_staff or self.is_chair


def same_unit(a: str, b: str) -> bool:
    return bool(unit_key(a)) and unit_key(a) == unit_key(b)


def is_unit_user(user: User | None) -> bool:
    """Counts among the users of their unit: an active account, not a guest, with a unit."""
    return user is not None and user.is_active and user.role != GlobalRole.guest and bool(user.unit.strip())


def unit_of(session: Session, actor: Actor) -> str:
    """The unit the actor acts for ("" for a guest, a hall display, an inactive account or one without a unit)."""
    if actor.is_display:
        return ""
    user = session.get(User, actor.id)
    return user.unit.strip() if user is not None and is_unit_user(user) else ""


def chair_of(session: Session, meeting_id: int) -> int | None:
    return session.exec(
        select(Participant.user_id)
        .where(Participant.meeting_id == meeting_id, Participant.role == MeetingRole.chair)
        .order_by(col(Participant.id))
    ).first()


def absent() -> NotFound:
    """Every id the caller may not see answers as an id never used, word for word: no id echoed back, one body."""
    return NotFound("Không tìm thấy thông báo kết luận.")


def notice_access(session: Session, actor: Actor, notice_id: int, *, for_update: bool = False) -> NoticeAccess:
    q = select(ConclusionNotice).where(ConclusionNotice.id == notice_id)
    notice = session.exec(q.with_for_update() if for_update else q).first()
    if notice is None or actor.is_display:
        raise absent()
    role = session.exec(
        select(Participant.role).where(Participant.meeting_id == notice.meeting_id, Participant.user_id == actor.id)
    ).first()
    unit = unit_of(session, actor)
    in_unit = bool(unit) and any(
        same_unit(unit, u) for u in session.exec(select(NoticeTask.unit).where(NoticeTask.notice_id == notice_id))
    )
    acc = NoticeAccess(actor, notice, role == MeetingRole.chair, role is not None, in_unit, unit)
    issued = notice.state == NoticeState.issued
    if not (acc.can_follow or (issued and (acc.is_participant or in_unit))):
        # a draft is nobody's but the secretariat's and the chair's: to the meeting's other participants as absent
        # as to anyone (ids are sequential: a 403 would tell them a notice is being drafted)
        raise absent()
    return acc


def require_staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise Forbidden("Chỉ Văn phòng được soạn thông báo kết luận và giao nhiệm vụ.")


def require_chair(acc: NoticeAccess) -> None:
    if not acc.is_chair:
        raise Forbidden("Chỉ người chủ trì cuộc họp được duyệt và ký thông báo kết luận.")


def _unit_rows(session: Session) -> list[tuple[int, str]]:
    """(id, unit) of every user of a unit (is_unit_user, in SQL)."""
    q = select(User.id, User.unit).where(User.is_active == True, User.role != GlobalRole.guest, User.unit != "")
    q = q.order_by(col(User.id))
    return [(uid, unit) for uid, unit in session.exec(q).all() if uid is not None and unit.strip()]


def unit_users(session: Session, units: set[str]) -> list[int]:
    """The users of these units: who is told of a unit's tasks and follows them live."""
    keys = {unit_key(u) for u in units} - {""}
    return sorted(uid for uid, unit in _unit_rows(session) if unit_key(unit) in keys) if keys else []


def unit_names(session: Session) -> dict[str, Unit]:
    """Every unit that has users, by unit_key: the spellings on its users' records and the canonical one
    (accounts/units.py: the spelling most of its users have, a tie to the earliest account's; never the last row
    read)."""
    return canonical_units((uid, unit, True) for uid, unit in _unit_rows(session))


def staff_users(session: Session) -> list[int]:
    staff = select(User.id).where(col(User.role).in_((GlobalRole.admin, GlobalRole.secretariat)), User.is_active)
    return [uid for uid in session.exec(staff).all() if uid is not None]
