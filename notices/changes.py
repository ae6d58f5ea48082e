"""The side effects of every change of a conclusion notice, recorded in the caller's transaction (outbox),
delivered after COMMIT: the audit entry, the live update of the pages that follow the notice (notices/live.py)
and the notifications of the units a task is assigned to."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core import outbox
from core.actor import Actor
from ledger.chain import append as audit_append
from notices.access import chair_of, staff_users, unit_users
from notices.models import ConclusionNotice, NoticeState, NoticeTask
from notifications.contract import notify

LIVE = "notices.changed"  # outbox kind: the pages of those who follow the notice refresh (notices/live.py)


def _audience(session: Session, n: ConclusionNotice) -> list[int]:
    """Whose pages follow this notice live: the secretariat, the chair and, once issued, the units' users."""
    people = set(staff_users(session))
    chair = chair_of(session, n.meeting_id)
    if chair:
        people.add(chair)
    if n.state == NoticeState.issued:
        units = set(session.exec(select(NoticeTask.unit).where(NoticeTask.notice_id == n.id)).all())
        people |= set(unit_users(session, units))
    return sorted(people)


def record_change(
    session: Session, n: ConclusionNotice, actor: Actor | None, type_: str, *, summary: str = "", **data: Any
) -> None:
    """The audit entry and the live update of every change; `summary` is the entry's readable line (the audit
    keeps the data's hash only): what changed and why, for a change after issue."""
    assert n.id is not None
    session.flush()
    audit_append(
        session,
        type=type_,
        data={"notice_id": n.id, **data},
        actor_id=actor.id if actor else None,
        meeting_id=n.meeting_id,
        summary=summary[:500],
    )
    outbox.add(session, kind=LIVE, ref=n.id, payload={"type": type_, "user_ids": _audience(session, n)})


def tell_units(session: Session, task: NoticeTask, event: str) -> None:
    params = {
        "task_id": task.id,
        "notice_id": task.notice_id,
        "unit": task.unit,
        "what": task.what[:200],
        "deadline": task.deadline.isoformat(),
    }
    people = set(unit_users(session, {task.unit}))
    if event == "task.overdue":
        n = session.get(ConclusionNotice, task.notice_id)
        people |= set(staff_users(session)) | ({c} if n and (c := chair_of(session, n.meeting_id)) else set())
    notify(session, event=event, ref=f"{event}:{task.id}", user_ids=people, params=params, link="/notices/dashboard")
