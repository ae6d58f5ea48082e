"""Closing a poll (the scheduler, polls/clock.py): deadlines, results, reminders; what the summary report shows
(signed by the Government Office and decided on by the chair: polls/reporting.py)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.clock import DEFAULT_TIMEZONE, as_utc, iso, utcnow
from core.errors import Forbidden
from polls import numbering, signers
from polls.access import DONE, audit, load, notify, require_state, staff_ids, tell, voter_ids
from polls.models import Choice, Poll, PollAnswer, PollQuestion, PollState
from polls.rules import tally
from polls.views import detail


def compute_results(session: Session, poll: Poll) -> dict[int, dict[str, Any]]:
    pid = poll.id or 0
    voters = voter_ids(session, pid)
    by_question: dict[int, dict[int, Choice]] = {}
    for qid, uid, choice in session.exec(
        select(PollAnswer.question_id, PollAnswer.user_id, PollAnswer.choice).where(PollAnswer.poll_id == pid)
    ).all():
        by_question.setdefault(qid, {})[uid] = Choice(choice)
    qids = session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == pid)).all()
    return {
        qid: tally(
            voter_ids=voters,
            answers=by_question.get(qid or 0, {}),
            chair_id=poll.chair_id,
            silence=poll.silence_counts_as,
            members=poll.members_total,
        )
        for qid in qids
        if qid is not None
    }


def close_poll(
    *, session: Session, poll_id: int, now: datetime | None = None, tz: str | tzinfo = DEFAULT_TIMEZONE
) -> bool:
    """Close an open poll whose deadline has passed; False when there is nothing to do (already closed by
    another node or run, or extended meanwhile). The row lock (PostgreSQL) / the write lock (SQLite) and the
    conditional UPDATE make it safe to call from every node at once. The summary report gets its number
    (polls/numbering.py) in the same transaction."""
    now = now or utcnow()
    poll = load(session, poll_id, for_update=True)
    if poll.state != PollState.open or as_utc(poll.deadline_at) > now:
        return False
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Poll)
            .where(col(Poll.id) == poll_id, col(Poll.state) == PollState.open)
            .values(state=PollState.closed, closed_at=now, remind_at=None)
        ),
    ).rowcount
    if changed != 1:
        return False
    session.refresh(poll)
    numbering.allocate(session, poll, now, tz)
    results = compute_results(session, poll)
    for q in session.exec(select(PollQuestion).where(PollQuestion.poll_id == poll_id)).all():
        q.result = results.get(q.id or 0)
        session.add(q)
    adopted = sum(1 for r in results.values() if r["adopted"])
    audit(
        session,
        None,
        poll,
        "poll.closed",
        "hết hạn, tự động tổng hợp kết quả",
        {"adopted": adopted, "questions": len(results), "results": {str(k): v for k, v in sorted(results.items())}},
    )
    notify(
        session,
        poll,
        "poll.result",
        sorted(set(voter_ids(session, poll_id)) | {poll.chair_id}),
        f"poll:{poll_id}:result",
    )
    # the secretariat acts on it (the summary report for the Office to sign): told with the figures
    notify(
        session,
        poll,
        "poll.closed",
        [uid for uid in staff_ids(session) if uid != poll.chair_id],
        f"poll:{poll_id}:closed",
        {"adopted": adopted, "questions": len(results)},
    )
    report_due(session, poll, {"adopted": adopted, "questions": len(results)})
    tell(session, poll, "poll.closed")
    return True


def due_polls(*, session: Session, now: datetime) -> list[int]:
    stmt = select(Poll.id).where(Poll.state == PollState.open, col(Poll.deadline_at) <= now).order_by(col(Poll.id))
    return [i for i in session.exec(stmt).all() if i is not None]


def send_reminder(*, session: Session, poll_id: int, now: datetime | None = None) -> bool:
    """Remind the voters who have not answered every question, once: remind_at is cleared in the same
    transaction as the notification is recorded (a restart finds it cleared, another node finds it locked)."""
    now = now or utcnow()
    poll = load(session, poll_id, for_update=True)
    if poll.state != PollState.open or poll.remind_at is None or as_utc(poll.remind_at) > now:
        return False
    changed = cast(
        "CursorResult[Any]",
        session.execute(
            update(Poll).where(col(Poll.id) == poll_id, col(Poll.remind_at).is_not(None)).values(remind_at=None)
        ),
    ).rowcount
    if changed != 1:
        return False
    session.refresh(poll)
    todo = [uid for uid, left in remaining_by_voter(session, poll_id).items() if left]
    notify(session, poll, "poll.reminder", todo, f"poll:{poll_id}:remind:{iso(poll.deadline_at)}"[:64])
    audit(session, None, poll, "poll.reminded", "nhắc thành viên chưa trả lời", {"users": len(todo)})
    return True


def due_reminders(*, session: Session, now: datetime) -> list[int]:
    stmt = select(Poll.id).where(
        Poll.state == PollState.open, col(Poll.remind_at).is_not(None), col(Poll.remind_at) <= now
    )
    return [i for i in session.exec(stmt).all() if i is not None]


def next_wakeup(*, session: Session) -> datetime | None:
    """The next deadline or reminder of an open poll (the scheduler sleeps until then)."""
    times: list[datetime | None] = [
        as_utc(t) for t in session.exec(select(Poll.deadline_at).where(Poll.state == PollState.open)).all()
    ]
    times += [
        as_utc(t)
        for t in session.exec(
            select(Poll.remind_at).where(Poll.state == PollState.open, col(Poll.remind_at).is_not(None))
        ).all()
    ]
    return min((t for t in times if t is not None), default=None)


def remaining_by_voter(session: Session, poll_id: int) -> dict[int, int]:
    n = len(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll_id)).all())
    answered: dict[int, int] = {}
    for uid in session.exec(select(PollAnswer.user_id).where(PollAnswer.poll_id == poll_id)).all():
        answered[uid] = answered.get(uid, 0) + 1
    return {uid: n - answered.get(uid, 0) for uid in voter_ids(session, poll_id)}


# ---- the summary report ----


def report_due(
    session: Session, poll: Poll, extra: dict[str, Any] | None = None, *, to: list[int] | None = None
) -> None:
    """Tell the Government Office's designated signers (`to`: only these of them) that the poll's summary report
    awaits their signature (none designated: nobody to tell; the secretariat is told of the close and the page says
    who has to designate). One ref per poll and signer: the notifications keep one row per (user, ref), so a signer
    designated again after being told is not told twice."""
    head, deputies = signers.office(session)
    if head is None:
        return
    params = {"number": numbering.number_of(session, poll.id or 0) or "", **(extra or {})}
    for uid in [head, *deputies] if to is None else to:
        notify(session, poll, "poll.report_due", [uid], f"poll:{poll.id}:report_due:{uid}", params)


def redesignated(session: Session, before: tuple[int | None, list[int]]) -> None:
    """The polls' rules changed the Office's signers (PUT /api/poll-rules; `before`: signers.office() before it):
    each newly designated signer is told of every closed poll whose report now awaits him (after commit, through
    the outbox), and the pages of these polls are refreshed live, those of the signers no longer designated too
    (their "sign" button goes: the poll no longer says it is theirs to sign)."""
    head, deputies = signers.office(session)
    if (head, deputies) == before:
        return
    old = {i for i in (before[0], *before[1]) if i is not None}
    new = {i for i in (head, *deputies) if i is not None}
    polls = session.exec(select(Poll).where(Poll.state == PollState.closed).order_by(col(Poll.id))).all()
    for poll in polls:
        results = [
            r for r in session.exec(select(PollQuestion.result).where(PollQuestion.poll_id == poll.id)).all() if r
        ]
        extra = {"adopted": sum(1 for r in results if r.get("adopted")), "questions": len(results)}
        report_due(session, poll, extra, to=sorted(new - old))
        tell(session, poll, "poll.signers", also=sorted(old - new))


def may_read_report(session: Session, actor: Actor, poll: Poll) -> bool:
    """The summary report: the secretariat, the chair, the Government Office's designated signers."""
    if actor.is_display:
        return False
    return actor.is_staff or actor.id == poll.chair_id or signers.is_signer(session, actor.id)


def report_data(*, session: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    """Everything the summary report shows, once the poll is closed: `signer` is who signed it, else who would
    sign what this reader is shown (himself if he may sign, else the designated head: polls/signers.py)."""
    poll = load(session, poll_id, actor=actor)  # one he may not see: the absent poll's 404, first
    if not may_read_report(session, actor, poll):
        raise Forbidden("Chỉ Văn phòng và người chủ trì xem báo cáo tổng hợp ý kiến.", details={"poll_id": poll_id})
    require_state(poll, *DONE, action="report")
    if poll.report_signed_by is not None:
        signer = signers.of_user(session.get(User, poll.report_signed_by), on_behalf=poll.report_on_behalf)
    else:
        signer = signers.for_viewer(session, actor.id)
    return {
        "poll": poll,
        "detail": detail(session, actor, poll, full=True),
        "chair": session.get(User, poll.chair_id),
        "number": numbering.number_of(session, poll_id),  # None: closed before the register (ensure_number)
        "signer": signer,
    }
