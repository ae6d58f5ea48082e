"""What a caller sees of polls: a poll's detail (results only once closed), the list, the tablet's inbox."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.clock import iso
from polls import numbering, signers
from polls.access import DONE, SEEN_BY_VOTERS, load, require_see
from polls.models import Poll, PollAnswer, PollDocument, PollExtension, PollQuestion, PollState, PollVoter


def _names(session: Session, ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.id is not None}


def detail(session: Session, actor: Actor, poll: Poll, *, full: bool = False) -> dict[str, Any]:
    pid = poll.id or 0
    voters = session.exec(select(PollVoter).where(PollVoter.poll_id == pid).order_by(col(PollVoter.user_id))).all()
    questions = session.exec(
        select(PollQuestion).where(PollQuestion.poll_id == pid).order_by(col(PollQuestion.position))
    ).all()
    answers = session.exec(select(PollAnswer).where(PollAnswer.poll_id == pid)).all()
    manager = actor.is_staff or actor.id == poll.chair_id
    me = next((v for v in voters if v.user_id == actor.id), None)
    count: dict[int, int] = {}
    mine: dict[int, dict[str, str]] = {}
    for a in answers:
        count[a.user_id] = count.get(a.user_id, 0) + 1
        if a.user_id == actor.id:
            mine[a.question_id] = {"choice": a.choice.value, "comment": a.comment}
    done = poll.state in DONE
    users = (
        _names(session, [v.user_id for v in voters] + [poll.chair_id])
        if (manager or done or full)
        else _names(session, [poll.chair_id])
    )
    by_q: dict[int, list[dict[str, Any]]] = {}
    if done:
        for a in sorted(answers, key=lambda a: a.user_id):
            u = users.get(a.user_id)
            by_q.setdefault(a.question_id, []).append(
                {
                    "question_id": a.question_id,
                    "user_id": a.user_id,
                    "full_name": u.full_name if u else "",
                    "choice": a.choice.value,
                    "comment": a.comment,
                }
            )
    n_q = len(questions)
    out: dict[str, Any] = {
        "id": pid,
        "title": poll.title,
        "summary": poll.summary,
        "state": poll.state.value,
        "deadline_at": iso(poll.deadline_at),
        "silence_counts_as": poll.silence_counts_as.value,
        "require_signature": poll.require_signature,
        "chair_id": poll.chair_id,
        "chair_name": users[poll.chair_id].full_name if poll.chair_id in users else "",
        "created_by": poll.created_by,
        "opened_at": iso(poll.opened_at),
        "closed_at": iso(poll.closed_at),
        "decided_at": iso(poll.decided_at),
        "withdrawn_at": iso(poll.withdrawn_at),
        "withdraw_reason": poll.withdraw_reason,
        "voter_count": len(voters),
        "answered_count": sum(1 for v in voters if count.get(v.user_id, 0) >= n_q),
        "questions": [
            {
                "id": q.id,
                "text": q.text,
                "position": q.position,
                "result": q.result if done else None,
                "my_answer": mine.get(q.id or 0) if me else None,
                "answers": by_q.get(q.id or 0, []) if done else None,
            }
            for q in questions
        ],
        "is_voter": me is not None,
        "remaining": (n_q - count.get(actor.id, 0)) if me else 0,
        "signed": bool(me and me.signed),
        "report": poll.report_sha256 is not None,
        **_report(session, actor, poll, manager),
    }
    if manager or full:
        out["voters"] = [
            {
                "user_id": v.user_id,
                "full_name": users[v.user_id].full_name if v.user_id in users else "",
                "title": users[v.user_id].title if v.user_id in users else "",
                "answered": count.get(v.user_id, 0),
                "answered_at": iso(v.answered_at),
                "signed": v.signed,
            }
            for v in voters
        ]
    out["extensions"] = [
        {
            "old_deadline": iso(e.old_deadline),
            "new_deadline": iso(e.new_deadline),
            "reason": e.reason,
            "by_user": e.by_user,
            "at": iso(e.at),
        }
        for e in session.exec(
            select(PollExtension).where(PollExtension.poll_id == pid).order_by(col(PollExtension.id))
        ).all()
    ]
    docs = session.exec(select(PollDocument).where(PollDocument.poll_id == pid).order_by(col(PollDocument.id))).all()
    out["documents"] = [
        {"id": d.id, "title": d.title, "page_count": d.page_count, "restricted": d.restricted}
        for d in docs
        if actor.is_staff or not d.restricted or actor.id in d.allowed_user_ids
    ]
    return out


def _report(session: Session, actor: Actor, poll: Poll, manager: bool) -> dict[str, Any]:
    """The summary report's state: its number, who signed it for the Government Office and when, the chair's
    decision; what the caller may do with it now. The signed file's digest (what the chair decides on) to those
    who read the report: the secretariat, the chair, the designated signers."""
    if poll.state not in DONE:
        return {"may_sign_report": False, "may_decide": False}
    head, deputies = signers.office(session)
    signer_may = actor.id == head or actor.id in deputies
    signed = session.get(User, poll.report_signed_by) if poll.report_signed_by else None
    decider = session.get(User, poll.decided_by) if poll.decided_by else None
    reader = (manager or signer_may) and not actor.is_display
    return {
        "report_number": numbering.number_of(session, poll.id or 0),
        "report_signer": signers.of_user(signed, on_behalf=poll.report_on_behalf).as_dict() if signed else None,
        "report_signed_at": iso(poll.report_signed_at),
        "report_sha256": poll.report_sha256 if reader else None,
        "decided_by": decider.full_name if decider else None,
        "decided_on_sha256": poll.decided_on_sha256 if reader else None,
        "decision_note": poll.decision_note,
        "may_sign_report": poll.state == PollState.closed and signer_may and not actor.is_display,
        "may_decide": poll.state == PollState.reported and actor.id == poll.chair_id and not actor.is_display,
    }


def get_poll(*, session: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    poll = load(session, poll_id)
    require_see(session, actor, poll)
    return detail(session, actor, poll)


def list_polls(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The polls the caller sees, newest first (the inbox filters the open ones it must answer)."""
    if actor.is_display:
        return []
    stmt = select(Poll).order_by(col(Poll.id).desc())
    if not actor.is_staff:
        mine = select(PollVoter.poll_id).where(PollVoter.user_id == actor.id)
        sent = col(Poll.state).in_(SEEN_BY_VOTERS) | (
            (col(Poll.state) == PollState.withdrawn) & col(Poll.opened_at).is_not(None)
        )
        chaired = (col(Poll.state) != PollState.draft) & ~(
            (col(Poll.state) == PollState.withdrawn) & col(Poll.submitted_at).is_(None)
        )
        shown = (col(Poll.id).in_(mine) & sent) | ((col(Poll.chair_id) == actor.id) & chaired)
        if signers.is_signer(session, actor.id):  # the Office's signers: the reports they sign or signed
            shown = shown | col(Poll.state).in_(DONE)
        stmt = stmt.where(shown)
    return [detail(session, actor, p) for p in session.exec(stmt.limit(200)).all()]


def inbox(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The caller's open polls, soonest deadline first: title, deadline, questions left to answer."""
    if actor.is_display:
        return []
    stmt = (
        select(Poll)
        .join(PollVoter, col(PollVoter.poll_id) == Poll.id)
        .where(PollVoter.user_id == actor.id, Poll.state == PollState.open)
        .order_by(col(Poll.deadline_at))
    )
    out = []
    for poll in session.exec(stmt).all():
        n = len(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll.id)).all())
        done = len(
            session.exec(
                select(PollAnswer.id).where(PollAnswer.poll_id == poll.id, PollAnswer.user_id == actor.id)
            ).all()
        )
        out.append(
            {
                "id": poll.id,
                "title": poll.title,
                "deadline_at": iso(poll.deadline_at),
                "remaining": n - done,
                "questions": n,
            }
        )
    return out
