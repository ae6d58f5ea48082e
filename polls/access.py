"""Who sees a poll and what every poll service records: loading, guards, live events, notifications, audit.

Who sees a poll: the secretariat (admin, secretariat) always; its chair from submission on; its voters once it
is open; the designated signers of the summary report (polls/signers.py) once it is closed. Results (counts,
comments) reach everyone who sees the poll only once it is closed; before that the secretariat and the chair see
who has answered (the follow-up), never what."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from ledger.chain import append
from core import outbox
from notifications.contract import notify as notify_users
from core.clock import as_utc, iso, local, utcnow, zone
from core.i18n import N_
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from polls import signers
from polls.models import Poll, PollRules, PollState, PollVoter
from workdays.services import add_working_days

LIVE = "poll.live"  # outbox kind: tell the poll's audience (checked at delivery) that it changed
SEEN_BY_VOTERS = (PollState.open, PollState.closed, PollState.reported, PollState.decided)
DONE = (PollState.closed, PollState.reported, PollState.decided)  # counted: results and the summary report
_STATE_VI = {
    "draft": "đang soạn",
    "submitted": "chờ duyệt",
    "open": "đang lấy ý kiến",
    "closed": "đã hết hạn",
    "reported": "đã có báo cáo tổng hợp đã ký, chờ người chủ trì quyết định",
    "decided": "đã quyết định",
    "withdrawn": "đã rút",
}
HORIZON = timedelta(days=366)  # a poll's deadline is at most a year ahead (a typo 9998-12-31 is refused)


# ---- reading helpers ----


def get_rules(session: Session) -> PollRules:
    return session.get(PollRules, 1) or PollRules()


def absent(poll_id: int) -> NotFound:
    """What an id that does not exist answers, and every poll the caller may not see: word for word the same."""
    return NotFound("Không tìm thấy phiếu lấy ý kiến.")  # no id: one body for every id, used or not


def load(session: Session, poll_id: int, *, for_update: bool = False, actor: Actor | None = None) -> Poll:
    """The poll; with `actor`, only if the actor may see it (may_see), else exactly the absent poll's 404: every
    service addressed by a poll id asks this first, before any role or state check that would tell it exists."""
    stmt = select(Poll).where(Poll.id == poll_id)
    if for_update:
        stmt = stmt.with_for_update()
    poll = session.exec(stmt).first()
    if poll is None or (actor is not None and not may_see(session, actor, poll)):
        raise absent(poll_id)
    return poll


def voter_ids(session: Session, poll_id: int) -> list[int]:
    return list(
        session.exec(
            select(PollVoter.user_id).where(PollVoter.poll_id == poll_id).order_by(col(PollVoter.user_id))
        ).all()
    )


def is_voter(session: Session, poll_id: int, user_id: int) -> bool:
    return session.get(PollVoter, (poll_id, user_id)) is not None


def sent(poll: Poll) -> bool:
    """The voters have it: open, closed, decided, or withdrawn after it was sent (it stays in their list)."""
    return poll.state in SEEN_BY_VOTERS or (poll.state == PollState.withdrawn and poll.opened_at is not None)


def chair_sees(poll: Poll) -> bool:
    return poll.state != PollState.draft and not (poll.state == PollState.withdrawn and poll.submitted_at is None)


def may_see(session: Session, actor: Actor, poll: Poll) -> bool:
    if actor.is_display:
        return False
    if actor.is_staff:
        return True
    if actor.id == poll.chair_id and chair_sees(poll):
        return True
    if sent(poll) and is_voter(session, poll.id or 0, actor.id):
        return True
    return poll.state in DONE and signers.is_signer(session, actor.id)


def require_see(session: Session, actor: Actor, poll: Poll) -> None:
    if not may_see(session, actor, poll):
        raise absent(poll.id or 0)  # as if absent: who is not on its list does not learn that it exists


def require_staff(actor: Actor) -> None:
    if not actor.is_staff or actor.is_display:
        raise Forbidden("Chỉ Văn phòng được soạn và trình phiếu lấy ý kiến.")


def require_state(poll: Poll, *states: PollState, action: str) -> None:
    if poll.state not in states:
        raise Conflict(
            "Phiếu lấy ý kiến không ở trạng thái cho phép thao tác này.",
            details={
                "poll_id": poll.id,
                "state": poll.state.value,
                "action": action,
                "state_vi": _STATE_VI[poll.state.value],
            },
        )


def future(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise ValidationFailed(
            "Thời hạn phải ghi rõ múi giờ.", details=[{"field": field, "message": N_("cần ghi múi giờ")}]
        )
    moment = as_utc(moment)
    if moment <= utcnow():
        raise ValidationFailed(
            "Thời hạn phải ở tương lai.", details=[{"field": field, "message": N_("phải ở tương lai")}]
        )
    if moment > utcnow() + HORIZON:
        raise ValidationFailed(
            "Thời hạn lấy ý kiến không được quá một năm kể từ hôm nay.",
            details=[{"field": field, "message": N_("quá một năm kể từ hôm nay"), "type": "too_far"}],
        )
    return moment


# ---- who is asked and who chairs: a written opinion of the Government ----


def active_members(session: Session) -> list[int]:
    """Every active member of the Government (role member), by id."""
    return [
        uid
        for uid in session.exec(
            select(User.id).where(User.role == GlobalRole.member, User.is_active == True).order_by(col(User.id))
        ).all()
        if uid is not None
    ]


def government(session: Session) -> tuple[int | None, list[int]]:
    """(who chairs the Government, the deputies he designated to chair written polls), active members only.
    The organisation's rule when the administrator set it (PUT /api/poll-rules); otherwise the active member
    whose title begins "Thủ tướng" (the Prime Minister; "Phó Thủ tướng" does not), else the first member."""
    rules = get_rules(session)
    members = session.exec(
        select(User).where(User.role == GlobalRole.member, User.is_active == True).order_by(col(User.id))
    ).all()
    ids = {u.id for u in members}
    deputies = [d for d in rules.deputy_ids if d in ids]
    if rules.chair_id is not None:
        return (rules.chair_id if rules.chair_id in ids else None), deputies
    pm = next((u.id for u in members if u.title.strip().lower().startswith("thủ tướng")), None)
    return (pm if pm is not None else (members[0].id if members else None)), deputies


# ---- side effects recorded in the transaction ----


def tell(
    session: Session, poll: Poll, type_: str, *, document_id: int | None = None, also: list[int] | None = None
) -> None:
    """A live event to the poll's audience, computed (and checked) when it is delivered (polls/live.py);
    `document_id`: about a restricted document, told only to those of the audience who may read it; `also`: users
    who just left the audience (a signer no longer designated), so that their open page drops what it offered."""
    payload: dict[str, Any] = {"type": type_, "poll_id": poll.id}
    if document_id:
        payload["document_id"] = document_id
    if also:
        payload["also"] = list(also)
    outbox.add(session, kind=LIVE, ref=poll.id or 0, payload=payload)


def notify(
    session: Session, poll: Poll, event: str, user_ids: list[int], ref: str, extra: dict[str, Any] | None = None
) -> None:
    """A notification for the notifications domain (notifications/contract.py: a "notify" outbox job)."""
    notify_users(
        session,
        event=event,
        ref=ref,
        user_ids=user_ids,
        params={"poll_id": poll.id, "title": poll.title, "deadline_at": iso(poll.deadline_at), **(extra or {})},
        link=f"/polls/{poll.id}",
    )


def staff_ids(session: Session) -> list[int]:
    """The secretariat (admin, secretariat), active: who drafts polls and acts on their results."""
    return [
        uid
        for uid in session.exec(
            select(User.id).where(
                col(User.role).in_([GlobalRole.admin, GlobalRole.secretariat]), User.is_active == True
            )
        ).all()
        if uid is not None
    ]


def audit(
    session: Session, actor_id: int | None, poll: Poll, type_: str, summary: str, extra: dict[str, Any] | None = None
) -> None:
    fact = {"poll_id": poll.id, "state": poll.state.value, "deadline_at": iso(poll.deadline_at), **(extra or {})}
    append(session, type=type_, data=fact, actor_id=actor_id, summary=f"Phiếu lấy ý kiến {poll.id}: {summary}")


def remind_time(session: Session, deadline: datetime, tz: str) -> datetime:
    """One working day before the deadline, at the same time of day on the organisation's clock."""
    wall = local(deadline, tz)
    day = add_working_days(session, wall.date(), -1)
    return as_utc(datetime.combine(day, wall.timetz().replace(tzinfo=None), tzinfo=zone(tz)))


def schedule_reminder(session: Session, poll: Poll, tz: str) -> None:
    at = remind_time(session, poll.deadline_at, tz)
    poll.remind_at = at if at > utcnow() else None  # an urgent poll: no time left for a reminder


def audience(session: Session, poll_id: int) -> list[int]:
    """Who is told of a change, read at delivery: the secretariat, the chair once submitted, the voters once open."""
    poll = session.get(Poll, poll_id)
    if poll is None:
        return []
    ids = set(
        session.exec(
            select(User.id).where(
                col(User.role).in_([GlobalRole.admin, GlobalRole.secretariat]), User.is_active == True
            )
        ).all()
    )
    if chair_sees(poll):
        ids.add(poll.chair_id)
    if sent(poll):
        ids |= set(voter_ids(session, poll_id))
    if poll.state in DONE:
        head, deputies = signers.office(session)
        ids |= {i for i in (head, *deputies) if i is not None}
    return sorted(i for i in ids if i is not None)
