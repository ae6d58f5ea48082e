"""Answering a poll: the voter's sheet, its canonical digest (what a signature covers), the answers, the
signed sheet."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import User
from core.clock import as_utc, iso, utcnow
from core.i18n import N_
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from minutes import replaced
from polls import signers
from polls.access import DONE, audit, is_voter, load, require_state, tell
from polls.models import Choice, Poll, PollAnswer, PollQuestion, PollState, PollVoter
from polls.schemas import AnswersIn
from polls.views import detail


def sheet_digest(poll_id: int, user_id: int, answers: dict[int, tuple[str, str]]) -> str:
    """What a signed sheet says, canonically: poll, voter, and each question's choice and comment."""
    body = {"poll_id": poll_id, "user_id": user_id, "answers": [[q, c, t] for q, (c, t) in sorted(answers.items())]}
    return hashlib.sha256(
        json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def _my_answers(session: Session, poll_id: int, user_id: int) -> dict[int, tuple[str, str]]:
    rows = session.exec(select(PollAnswer).where(PollAnswer.poll_id == poll_id, PollAnswer.user_id == user_id)).all()
    return {r.question_id: (r.choice.value, r.comment) for r in rows}


def _answer_guard(
    session: Session, actor: Actor, poll_id: int, data: AnswersIn, *, for_update: bool
) -> tuple[Poll, dict[int, tuple[str, str]]]:
    """The poll, if the actor may answer now, and the sheet as it will be after this answer."""
    poll = load(session, poll_id, for_update=for_update, actor=actor)  # not on its list: the absent poll's 404
    if actor.is_display or not is_voter(session, poll_id, actor.id):
        raise Forbidden("Bạn không có trong danh sách được lấy ý kiến của phiếu này.", details={"poll_id": poll_id})
    require_state(poll, PollState.open, action="answer")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict(
            "Đã hết thời hạn trả lời phiếu lấy ý kiến.",
            details={"poll_id": poll_id, "deadline_at": iso(poll.deadline_at)},
        )
    questions = set(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll_id)).all())
    seen: set[int] = set()
    for i, a in enumerate(data.answers):
        if a.question_id not in questions or a.question_id in seen:
            raise ValidationFailed(
                "Câu hỏi không thuộc phiếu này hoặc bị trả lời hai lần.",
                details=[{"field": f"answers.{i}.question_id", "message": N_("câu hỏi không có hoặc bị lặp")}],
            )
        seen.add(a.question_id)
    sheet = _my_answers(session, poll_id, actor.id)
    sheet.update({a.question_id: (a.choice, a.comment) for a in data.answers})
    return poll, sheet


def sheet_to_sign(*, session: Session, actor: Actor, poll_id: int, data: AnswersIn) -> dict[str, Any]:
    """Before signing (outside any transaction): what the voter's whole sheet will say after this answer."""
    poll, sheet = _answer_guard(session, actor, poll_id, data, for_update=False)
    questions = session.exec(
        select(PollQuestion).where(PollQuestion.poll_id == poll_id).order_by(col(PollQuestion.position))
    ).all()
    user = session.get(User, actor.id)
    return {
        "poll_id": poll_id,
        "title": poll.title,
        "user_id": actor.id,
        "username": actor.username,
        "full_name": actor.full_name,
        "user_title": user.title if user else "",
        "rows": [(q.position, q.text, *sheet[q.id]) for q in questions if q.id in sheet],
        "digest": sheet_digest(poll_id, actor.id, sheet),
    }


def answer(
    *,
    session: Session,
    actor: Actor,
    poll_id: int,
    data: AnswersIn,
    signed_sheet: str | None = None,
    signed_digest: str | None = None,
) -> dict[str, Any]:
    """Record (or replace) the voter's answers. `signed_sheet` is the stored PDF the route signed for exactly
    `signed_digest`; if the sheet changed in between (another tablet), the signature would not match: 409."""
    poll, sheet = _answer_guard(session, actor, poll_id, data, for_update=True)
    digest = sheet_digest(poll_id, actor.id, sheet)
    if signed_sheet is None and poll.require_signature:
        raise ValidationFailed(
            "Tổ chức yêu cầu ký số khi trả lời phiếu: hãy nhập mật khẩu chữ ký số.",
            details=[{"field": "password", "message": "signature required"}],
        )
    if signed_sheet is not None and signed_digest != digest:
        raise Conflict("Phiếu vừa được thay đổi từ thiết bị khác; hãy ký lại.", details={"poll_id": poll_id})
    now = utcnow()
    existing = {
        r.question_id: r
        for r in session.exec(
            select(PollAnswer).where(PollAnswer.poll_id == poll_id, PollAnswer.user_id == actor.id)
        ).all()
    }
    for a in data.answers:
        row = existing.get(a.question_id) or PollAnswer(
            poll_id=poll_id, question_id=a.question_id, user_id=actor.id, choice=Choice(a.choice)
        )
        row.choice, row.comment, row.answered_at = Choice(a.choice), a.comment, now
        session.add(row)
    voter = session.get(PollVoter, (poll_id, actor.id))
    assert voter is not None
    if voter.sheet_sha256 and voter.sheet_sha256 != signed_sheet:  # the public check still knows the replaced sheet
        replaced.record(
            session,
            kind="poll_sheet",
            sha256=voter.sheet_sha256,
            ref_id=poll_id,
            user_id=actor.id,
            issued_at=voter.answered_at,
            replaced_at=now,
        )
    voter.answered_at = now
    voter.signed = signed_sheet is not None
    voter.sheet_sha256 = signed_sheet
    voter.answers_digest = digest
    session.add(voter)
    audit(
        session,
        actor.id,
        poll,
        "poll.answered",
        "thành viên trả lời" + (" (đã ký số)" if voter.signed else ""),
        {"user_id": actor.id, "digest": digest, "signed": voter.signed},
    )
    tell(session, poll, "poll.answered")
    return detail(session, actor, poll)


def signed_sheet(*, session: Session, actor: Actor, poll_id: int, user_id: int) -> str:
    poll = load(session, poll_id, actor=actor)  # a poll the caller may not see: the absent poll's 404, first
    office = poll.state in DONE and signers.is_signer(session, actor.id)  # who signs the summary report of them
    if not (actor.is_staff or actor.id in (poll.chair_id, user_id) or office) or actor.is_display:
        raise Forbidden("Chỉ thành viên đó, người chủ trì và Văn phòng xem phiếu đã ký.", details={"poll_id": poll_id})
    if actor.id != user_id and poll.state in (PollState.draft, PollState.submitted, PollState.open):
        # the sheet says what the member answered: before the deadline, the chair and the secretariat follow who
        # answered, never what (polls/access.py), and the member may still change it
        raise Conflict(
            "Phiếu trả lời của thành viên chỉ xem được sau khi hết hạn lấy ý kiến.",
            details={"poll_id": poll_id, "user_id": user_id},
        )
    voter = session.get(PollVoter, (poll_id, user_id))
    if voter is None or not voter.signed or not voter.sheet_sha256:
        raise NotFound(
            "Thành viên này chưa có phiếu trả lời đã ký số.", details={"poll_id": poll_id, "user_id": user_id}
        )
    return voter.sheet_sha256
