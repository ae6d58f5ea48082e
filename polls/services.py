"""Poll services: permission -> state guard -> write -> events (live, notifications, audit) in one transaction.

Who sees a poll: the secretariat (admin, secretariat) always; its chair from submission on; its voters once it
is open. Results (counts, comments) reach everyone who sees the poll only once it is closed; before that the
secretariat and the chair see who has answered (the follow-up), never what."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from ledger.chain import append
from core import outbox
from core.clock import as_utc, iso, local, utcnow, zone
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from polls.models import (Choice, Poll, PollAnswer, PollDocument, PollExtension, PollQuestion, PollRules, PollState,
                          PollVoter, Silence)  # fmt: skip
from polls.rules import tally
from polls.schemas import AnswersIn, ExtendIn, PollCreate, RulesIn
from workdays.services import add_working_days

LIVE = "poll.live"  # outbox kind: tell the poll's audience (checked at delivery) that it changed
SEEN_BY_VOTERS = (PollState.open, PollState.closed, PollState.decided)
DONE = (PollState.closed, PollState.decided)
_STATE_VI = {"draft": "đang soạn", "submitted": "chờ duyệt", "open": "đang lấy ý kiến", "closed": "đã hết hạn",
             "decided": "đã quyết định"}  # fmt: skip


# ---- reading helpers ----

def get_rules(session: Session) -> PollRules:
    return session.get(PollRules, 1) or PollRules()


def load(session: Session, poll_id: int, *, for_update: bool = False) -> Poll:
    stmt = select(Poll).where(Poll.id == poll_id)
    if for_update:
        stmt = stmt.with_for_update()
    poll = session.exec(stmt).first()
    if poll is None:
        raise NotFound("Không tìm thấy phiếu lấy ý kiến.", details={"poll_id": poll_id})
    return poll


def voter_ids(session: Session, poll_id: int) -> list[int]:
    return list(session.exec(select(PollVoter.user_id).where(PollVoter.poll_id == poll_id).order_by(col(PollVoter.user_id))).all())


def is_voter(session: Session, poll_id: int, user_id: int) -> bool:
    return session.get(PollVoter, (poll_id, user_id)) is not None


def may_see(session: Session, actor: Actor, poll: Poll) -> bool:
    if actor.is_display:
        return False
    if actor.is_staff:
        return True
    if actor.id == poll.chair_id and poll.state != PollState.draft:
        return True
    return poll.state in SEEN_BY_VOTERS and is_voter(session, poll.id or 0, actor.id)


def require_see(session: Session, actor: Actor, poll: Poll) -> None:
    if not may_see(session, actor, poll):
        raise Forbidden("Bạn không có trong danh sách được lấy ý kiến của phiếu này.", details={"poll_id": poll.id})


def _require_staff(actor: Actor) -> None:
    if not actor.is_staff or actor.is_display:
        raise Forbidden("Chỉ Văn phòng được soạn và trình phiếu lấy ý kiến.")


def _require_state(poll: Poll, *states: PollState, action: str) -> None:
    if poll.state not in states:
        raise Conflict("Phiếu lấy ý kiến không ở trạng thái cho phép thao tác này.",
                       details={"poll_id": poll.id, "state": poll.state.value, "action": action,
                                "state_vi": _STATE_VI[poll.state.value]})  # fmt: skip


def _future(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise ValidationFailed("Thời hạn phải ghi rõ múi giờ.", details=[{"field": field, "message": "offset required"}])
    moment = as_utc(moment)
    if moment <= utcnow():
        raise ValidationFailed("Thời hạn phải ở tương lai.", details=[{"field": field, "message": "must be in the future"}])
    return moment


# ---- side effects recorded in the transaction ----

def tell(session: Session, poll: Poll, type_: str) -> None:
    """A live event to the poll's audience, computed (and checked) when it is delivered (polls/live.py)."""
    outbox.add(session, kind=LIVE, ref=poll.id or 0, payload={"type": type_, "poll_id": poll.id})


def notify(session: Session, poll: Poll, event: str, user_ids: list[int], ref: str) -> None:
    """A notification for the notifications domain ("notify" jobs wait in the outbox until it handles them)."""
    if not user_ids:
        return
    outbox.add(session, kind="notify", ref=ref, payload={
        "event": event, "user_ids": sorted(user_ids),
        "params": {"poll_id": poll.id, "title": poll.title, "deadline_at": iso(poll.deadline_at)},
        "link": f"/polls/{poll.id}",
    })  # fmt: skip


def _audit(session: Session, actor_id: int | None, poll: Poll, type_: str, summary: str, extra: dict[str, Any] | None = None) -> None:
    fact = {"poll_id": poll.id, "state": poll.state.value, "deadline_at": iso(poll.deadline_at), **(extra or {})}
    append(session, type=type_, data=fact, actor_id=actor_id, summary=f"Phiếu lấy ý kiến {poll.id}: {summary}")


def remind_time(session: Session, deadline: datetime, tz: str) -> datetime:
    """One working day before the deadline, at the same time of day on the organisation's clock."""
    wall = local(deadline, tz)
    day = add_working_days(session, wall.date(), -1)
    return as_utc(datetime.combine(day, wall.timetz().replace(tzinfo=None), tzinfo=zone(tz)))


def _schedule_reminder(session: Session, poll: Poll, tz: str) -> None:
    at = remind_time(session, poll.deadline_at, tz)
    poll.remind_at = at if at > utcnow() else None  # an urgent poll: no time left for a reminder


# ---- the life of a poll ----

def _default_chair(session: Session) -> int:
    first = session.exec(select(User.id).where(User.role == GlobalRole.member, User.is_active == True).order_by(col(User.id))).first()  # noqa: E712
    if first is None:
        raise ValidationFailed("Chưa có thành viên nào để chủ trì phiếu lấy ý kiến.")
    return first


def _check_users(session: Session, ids: list[int], field: str) -> None:
    found = set(session.exec(select(User.id).where(col(User.id).in_(ids), User.is_active == True,  # noqa: E712
                                                   User.role != GlobalRole.guest)).all())  # fmt: skip
    bad = sorted(set(ids) - found)
    if bad:
        raise ValidationFailed("Có người không phải thành viên đang hoạt động.", details=[{"field": field, "message": "unknown or inactive user", "ids": bad}])


def create_poll(*, session: Session, actor: Actor, data: PollCreate) -> dict[str, Any]:
    _require_staff(actor)
    deadline = _future(data.deadline_at, "deadline_at")
    chair_id = data.chair_id or _default_chair(session)
    _check_users(session, [chair_id], "chair_id")
    if data.voter_ids is None:
        ids = [uid for uid in session.exec(select(User.id).where(User.role == GlobalRole.member, User.is_active == True)).all() if uid]  # noqa: E712
    else:
        if len(set(data.voter_ids)) != len(data.voter_ids):
            raise ValidationFailed("Danh sách người được lấy ý kiến có người trùng.", details=[{"field": "voter_ids", "message": "duplicates"}])
        _check_users(session, list(data.voter_ids), "voter_ids")
        ids = list(data.voter_ids)
    ids = sorted(set(ids) | {chair_id})  # the chair answers too: a tie goes to their side
    silence = Silence(data.silence_counts_as) if data.silence_counts_as else get_rules(session).silence_default
    poll = Poll(title=data.title, summary=data.summary, chair_id=chair_id, deadline_at=deadline, silence_counts_as=silence,
                created_by=actor.id)  # fmt: skip
    session.add(poll)
    session.flush()
    for i, q in enumerate(data.questions):
        session.add(PollQuestion(poll_id=poll.id or 0, position=i + 1, text=q.text))
    for uid in ids:
        session.add(PollVoter(poll_id=poll.id or 0, user_id=uid))
    session.flush()
    _audit(session, actor.id, poll, "poll.created", "soạn thảo", {"voters": len(ids), "questions": len(data.questions)})
    tell(session, poll, "poll.created")
    return detail(session, actor, poll)


def submit_poll(*, session: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    _require_staff(actor)
    poll = load(session, poll_id, for_update=True)
    _require_state(poll, PollState.draft, action="submit")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Thời hạn của phiếu đã qua; hãy sửa thời hạn trước khi trình.", details={"poll_id": poll_id})
    poll.state, poll.submitted_at = PollState.submitted, utcnow()
    session.add(poll)
    _audit(session, actor.id, poll, "poll.submitted", "trình Chủ trì duyệt")
    tell(session, poll, "poll.submitted")
    return detail(session, actor, poll)


def approve_poll(*, session: Session, actor: Actor, poll_id: int, tz: str) -> dict[str, Any]:
    """The chair approves: the poll opens and is sent to every voter."""
    poll = load(session, poll_id, for_update=True)
    if actor.id != poll.chair_id or actor.is_display:
        raise Forbidden("Chỉ người chủ trì phiếu lấy ý kiến được duyệt và gửi phiếu.", details={"poll_id": poll_id})
    _require_state(poll, PollState.submitted, action="approve")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Thời hạn của phiếu đã qua; Văn phòng cần gia hạn trước khi gửi.", details={"poll_id": poll_id})
    poll.state, poll.opened_at = PollState.open, utcnow()
    poll.require_signature = get_rules(session).require_signed_answers
    _schedule_reminder(session, poll, tz)
    session.add(poll)
    _audit(session, actor.id, poll, "poll.opened", "Chủ trì duyệt, gửi lấy ý kiến")
    notify(session, poll, "poll.sent", voter_ids(session, poll_id), f"poll:{poll_id}:sent")
    tell(session, poll, "poll.opened")
    return detail(session, actor, poll)


def sheet_digest(poll_id: int, user_id: int, answers: dict[int, tuple[str, str]]) -> str:
    """What a signed sheet says, canonically: poll, voter, and each question's choice and comment."""
    body = {"poll_id": poll_id, "user_id": user_id, "answers": [[q, c, t] for q, (c, t) in sorted(answers.items())]}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _my_answers(session: Session, poll_id: int, user_id: int) -> dict[int, tuple[str, str]]:
    rows = session.exec(select(PollAnswer).where(PollAnswer.poll_id == poll_id, PollAnswer.user_id == user_id)).all()
    return {r.question_id: (r.choice.value, r.comment) for r in rows}


def _answer_guard(session: Session, actor: Actor, poll_id: int, data: AnswersIn, *, for_update: bool) -> tuple[Poll, dict[int, tuple[str, str]]]:
    """The poll, if the actor may answer now, and the sheet as it will be after this answer."""
    poll = load(session, poll_id, for_update=for_update)
    if actor.is_display or not is_voter(session, poll_id, actor.id):
        raise Forbidden("Bạn không có trong danh sách được lấy ý kiến của phiếu này.", details={"poll_id": poll_id})
    _require_state(poll, PollState.open, action="answer")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Đã hết thời hạn trả lời phiếu lấy ý kiến.", details={"poll_id": poll_id, "deadline_at": iso(poll.deadline_at)})
    questions = set(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll_id)).all())
    seen: set[int] = set()
    for i, a in enumerate(data.answers):
        if a.question_id not in questions or a.question_id in seen:
            raise ValidationFailed("Câu hỏi không thuộc phiếu này hoặc bị trả lời hai lần.",
                                   details=[{"field": f"answers.{i}.question_id", "message": "unknown or repeated question"}])  # fmt: skip
        seen.add(a.question_id)
    sheet = _my_answers(session, poll_id, actor.id)
    sheet.update({a.question_id: (a.choice, a.comment) for a in data.answers})
    return poll, sheet


def sheet_to_sign(*, session: Session, actor: Actor, poll_id: int, data: AnswersIn) -> dict[str, Any]:
    """Before signing (outside any transaction): what the voter's whole sheet will say after this answer."""
    poll, sheet = _answer_guard(session, actor, poll_id, data, for_update=False)
    questions = session.exec(select(PollQuestion).where(PollQuestion.poll_id == poll_id).order_by(col(PollQuestion.position))).all()
    user = session.get(User, actor.id)
    return {"poll_id": poll_id, "title": poll.title, "user_id": actor.id, "username": actor.username,
            "full_name": actor.full_name, "user_title": user.title if user else "",
            "rows": [(q.position, q.text, *sheet[q.id]) for q in questions if q.id in sheet],
            "digest": sheet_digest(poll_id, actor.id, sheet)}  # fmt: skip


def answer(*, session: Session, actor: Actor, poll_id: int, data: AnswersIn, signed_sheet: str | None = None,
           signed_digest: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Record (or replace) the voter's answers. `signed_sheet` is the stored PDF the route signed for exactly
    `signed_digest`; if the sheet changed in between (another tablet), the signature would not match: 409."""
    poll, sheet = _answer_guard(session, actor, poll_id, data, for_update=True)
    digest = sheet_digest(poll_id, actor.id, sheet)
    if signed_sheet is None and poll.require_signature:
        raise ValidationFailed("Tổ chức yêu cầu ký số khi trả lời phiếu: hãy nhập mật khẩu chữ ký số.",
                               details=[{"field": "password", "message": "signature required"}])  # fmt: skip
    if signed_sheet is not None and signed_digest != digest:
        raise Conflict("Phiếu vừa được thay đổi từ thiết bị khác; hãy ký lại.", details={"poll_id": poll_id})
    now = utcnow()
    existing = {r.question_id: r for r in session.exec(select(PollAnswer).where(PollAnswer.poll_id == poll_id, PollAnswer.user_id == actor.id)).all()}
    for a in data.answers:
        row = existing.get(a.question_id) or PollAnswer(poll_id=poll_id, question_id=a.question_id, user_id=actor.id, choice=Choice(a.choice))
        row.choice, row.comment, row.answered_at = Choice(a.choice), a.comment, now
        session.add(row)
    voter = session.get(PollVoter, (poll_id, actor.id))
    assert voter is not None
    voter.answered_at = now
    voter.signed = signed_sheet is not None
    voter.sheet_sha256 = signed_sheet
    voter.answers_digest = digest
    session.add(voter)
    _audit(session, actor.id, poll, "poll.answered", "thành viên trả lời" + (" (đã ký số)" if voter.signed else ""),
           {"user_id": actor.id, "digest": digest, "signed": voter.signed})  # fmt: skip
    tell(session, poll, "poll.answered")
    return detail(session, actor, poll)


def extend_poll(*, session: Session, actor: Actor, poll_id: int, data: ExtendIn, tz: str) -> dict[str, Any]:
    poll = load(session, poll_id, for_update=True)
    if not (actor.is_staff or actor.id == poll.chair_id) or actor.is_display:
        raise Forbidden("Chỉ Văn phòng hoặc người chủ trì được gia hạn phiếu lấy ý kiến.", details={"poll_id": poll_id})
    _require_state(poll, PollState.draft, PollState.submitted, PollState.open, action="extend")
    new = _future(data.deadline_at, "deadline_at")
    if poll.state == PollState.open and as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Phiếu đã hết hạn; không gia hạn được nữa.", details={"poll_id": poll_id})
    old = as_utc(poll.deadline_at)
    if new <= old:
        raise ValidationFailed("Thời hạn mới phải sau thời hạn hiện tại.", details=[{"field": "deadline_at", "message": "must be later than the current deadline"}])
    session.add(PollExtension(poll_id=poll_id, old_deadline=old, new_deadline=new, reason=data.reason, by_user=actor.id))
    poll.deadline_at = new
    if poll.state == PollState.open:
        _schedule_reminder(session, poll, tz)
    session.add(poll)
    _audit(session, actor.id, poll, "poll.extended", "gia hạn", {"old_deadline": iso(old), "reason": data.reason})
    tell(session, poll, "poll.extended")
    return detail(session, actor, poll)


# ---- closing (the scheduler, polls/clock.py) ----

def compute_results(session: Session, poll: Poll) -> dict[int, dict[str, Any]]:
    pid = poll.id or 0
    voters = voter_ids(session, pid)
    by_question: dict[int, dict[int, Choice]] = {}
    for qid, uid, choice in session.exec(select(PollAnswer.question_id, PollAnswer.user_id, PollAnswer.choice).where(PollAnswer.poll_id == pid)).all():
        by_question.setdefault(qid, {})[uid] = Choice(choice)
    qids = session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == pid)).all()
    return {qid: tally(voter_ids=voters, answers=by_question.get(qid or 0, {}), chair_id=poll.chair_id, silence=poll.silence_counts_as)
            for qid in qids if qid is not None}  # fmt: skip


def close_poll(*, session: Session, poll_id: int, now: datetime | None = None) -> bool:
    """Close an open poll whose deadline has passed; False when there is nothing to do (already closed by
    another node or run, or extended meanwhile). The row lock (PostgreSQL) / the write lock (SQLite) and the
    conditional UPDATE make it safe to call from every node at once."""
    now = now or utcnow()
    poll = load(session, poll_id, for_update=True)
    if poll.state != PollState.open or as_utc(poll.deadline_at) > now:
        return False
    changed = cast("CursorResult[Any]", session.execute(update(Poll).where(col(Poll.id) == poll_id, col(Poll.state) == PollState.open)
                              .values(state=PollState.closed, closed_at=now, remind_at=None))).rowcount  # fmt: skip
    if changed != 1:
        return False
    session.refresh(poll)
    results = compute_results(session, poll)
    for q in session.exec(select(PollQuestion).where(PollQuestion.poll_id == poll_id)).all():
        q.result = results.get(q.id or 0)
        session.add(q)
    adopted = sum(1 for r in results.values() if r["adopted"])
    _audit(session, None, poll, "poll.closed", "hết hạn, tự động tổng hợp kết quả", {"adopted": adopted, "questions": len(results),
           "results": {str(k): v for k, v in sorted(results.items())}})  # fmt: skip
    notify(session, poll, "poll.result", sorted(set(voter_ids(session, poll_id)) | {poll.chair_id}), f"poll:{poll_id}:result")
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
    changed = cast("CursorResult[Any]", session.execute(update(Poll).where(col(Poll.id) == poll_id, col(Poll.remind_at).is_not(None))
                              .values(remind_at=None))).rowcount  # fmt: skip
    if changed != 1:
        return False
    session.refresh(poll)
    todo = [uid for uid, left in remaining_by_voter(session, poll_id).items() if left]
    notify(session, poll, "poll.reminder", todo, f"poll:{poll_id}:remind:{iso(poll.deadline_at)}"[:64])
    _audit(session, None, poll, "poll.reminded", "nhắc thành viên chưa trả lời", {"users": len(todo)})
    return True


def due_reminders(*, session: Session, now: datetime) -> list[int]:
    stmt = select(Poll.id).where(Poll.state == PollState.open, col(Poll.remind_at).is_not(None), col(Poll.remind_at) <= now)
    return [i for i in session.exec(stmt).all() if i is not None]


def next_wakeup(*, session: Session) -> datetime | None:
    """The next deadline or reminder of an open poll (the scheduler sleeps until then)."""
    times: list[datetime | None] = [as_utc(t) for t in session.exec(select(Poll.deadline_at).where(Poll.state == PollState.open)).all()]
    times += [as_utc(t) for t in session.exec(select(Poll.remind_at).where(Poll.state == PollState.open, col(Poll.remind_at).is_not(None))).all()]
    return min((t for t in times if t is not None), default=None)


def remaining_by_voter(session: Session, poll_id: int) -> dict[int, int]:
    n = len(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll_id)).all())
    answered: dict[int, int] = {}
    for uid in session.exec(select(PollAnswer.user_id).where(PollAnswer.poll_id == poll_id)).all():
        answered[uid] = answered.get(uid, 0) + 1
    return {uid: n - answered.get(uid, 0) for uid in voter_ids(session, poll_id)}


# ---- the summary report and the decision ----

def mark_decided(*, session: Session, actor: Actor, poll_id: int, report_sha256: str) -> dict[str, Any]:
    poll = load(session, poll_id, for_update=True)
    if actor.id != poll.chair_id:
        raise Forbidden("Chỉ người chủ trì ký báo cáo tổng hợp ý kiến.", details={"poll_id": poll_id})
    _require_state(poll, PollState.closed, action="decide")
    poll.state, poll.decided_at, poll.report_sha256 = PollState.decided, utcnow(), report_sha256
    session.add(poll)
    _audit(session, actor.id, poll, "poll.decided", "Chủ trì ký báo cáo tổng hợp ý kiến", {"report_sha256": report_sha256})
    tell(session, poll, "poll.decided")
    return detail(session, actor, poll)


def report_data(*, session: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    """Everything the summary report shows; the chair and the secretariat, once the poll is closed."""
    poll = load(session, poll_id)
    if not (actor.is_staff or actor.id == poll.chair_id) or actor.is_display:
        raise Forbidden("Chỉ Văn phòng và người chủ trì xem báo cáo tổng hợp ý kiến.", details={"poll_id": poll_id})
    _require_state(poll, *DONE, action="report")
    return {"poll": poll, "detail": detail(session, actor, poll, full=True),
            "chair": session.get(User, poll.chair_id)}


# ---- organisation rules ----

def read_rules(*, session: Session, actor: Actor) -> dict[str, Any]:
    r = get_rules(session)
    return {"silence_default": r.silence_default.value, "require_signed_answers": r.require_signed_answers}


def set_rules(*, session: Session, actor: Actor, data: RulesIn) -> dict[str, Any]:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được sửa quy định lấy ý kiến.")
    r = session.get(PollRules, 1) or PollRules(id=1)
    r.silence_default, r.require_signed_answers = Silence(data.silence_default), data.require_signed_answers
    session.add(r)
    append(session, type="poll.rules", data=data.model_dump(), actor_id=actor.id,
           summary="Quy định lấy ý kiến: " + ("im lặng là đồng ý" if data.silence_default == "agree" else "im lặng không tính")
           + (", bắt buộc ký số" if data.require_signed_answers else ""))  # fmt: skip
    return read_rules(session=session, actor=actor)


# ---- views ----

def _names(session: Session, ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids))).all() if u.id is not None}


def detail(session: Session, actor: Actor, poll: Poll, *, full: bool = False) -> dict[str, Any]:
    pid = poll.id or 0
    voters = session.exec(select(PollVoter).where(PollVoter.poll_id == pid).order_by(col(PollVoter.user_id))).all()
    questions = session.exec(select(PollQuestion).where(PollQuestion.poll_id == pid).order_by(col(PollQuestion.position))).all()
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
    users = _names(session, [v.user_id for v in voters] + [poll.chair_id]) if (manager or done or full) else _names(session, [poll.chair_id])
    by_q: dict[int, list[dict[str, Any]]] = {}
    if done:
        for a in sorted(answers, key=lambda a: a.user_id):
            u = users.get(a.user_id)
            by_q.setdefault(a.question_id, []).append({"question_id": a.question_id, "user_id": a.user_id,
                                                       "full_name": u.full_name if u else "", "choice": a.choice.value,
                                                       "comment": a.comment})  # fmt: skip
    n_q = len(questions)
    out: dict[str, Any] = {
        "id": pid, "title": poll.title, "summary": poll.summary, "state": poll.state.value,
        "deadline_at": iso(poll.deadline_at), "silence_counts_as": poll.silence_counts_as.value,
        "require_signature": poll.require_signature, "chair_id": poll.chair_id,
        "chair_name": users[poll.chair_id].full_name if poll.chair_id in users else "",
        "created_by": poll.created_by, "opened_at": iso(poll.opened_at), "closed_at": iso(poll.closed_at),
        "decided_at": iso(poll.decided_at), "voter_count": len(voters),
        "answered_count": sum(1 for v in voters if count.get(v.user_id, 0) >= n_q),
        "questions": [{"id": q.id, "text": q.text, "position": q.position, "result": q.result if done else None,
                       "my_answer": mine.get(q.id or 0) if me else None,
                       "answers": by_q.get(q.id or 0, []) if done else None} for q in questions],
        "is_voter": me is not None, "remaining": (n_q - count.get(actor.id, 0)) if me else 0,
        "signed": bool(me and me.signed), "report": poll.report_sha256 is not None,
    }  # fmt: skip
    if manager or full:
        out["voters"] = [{"user_id": v.user_id, "full_name": users[v.user_id].full_name if v.user_id in users else "",
                          "title": users[v.user_id].title if v.user_id in users else "", "answered": count.get(v.user_id, 0),
                          "answered_at": iso(v.answered_at), "signed": v.signed} for v in voters]  # fmt: skip
    out["extensions"] = [{"old_deadline": iso(e.old_deadline), "new_deadline": iso(e.new_deadline), "reason": e.reason,
                          "by_user": e.by_user, "at": iso(e.at)}
                         for e in session.exec(select(PollExtension).where(PollExtension.poll_id == pid).order_by(col(PollExtension.id))).all()]  # fmt: skip
    docs = session.exec(select(PollDocument).where(PollDocument.poll_id == pid).order_by(col(PollDocument.id))).all()
    out["documents"] = [{"id": d.id, "title": d.title, "page_count": d.page_count, "restricted": d.restricted}
                        for d in docs if actor.is_staff or not d.restricted or actor.id in d.allowed_user_ids]  # fmt: skip
    return out


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
        stmt = stmt.where((col(Poll.id).in_(mine) & col(Poll.state).in_(SEEN_BY_VOTERS))
                          | ((Poll.chair_id == actor.id) & (Poll.state != PollState.draft)))  # fmt: skip
    return [detail(session, actor, p) for p in session.exec(stmt.limit(200)).all()]


def audience(session: Session, poll_id: int) -> list[int]:
    """Who is told of a change, read at delivery: the secretariat, the chair once submitted, the voters once open."""
    poll = session.get(Poll, poll_id)
    if poll is None:
        return []
    ids = set(session.exec(select(User.id).where(col(User.role).in_([GlobalRole.admin, GlobalRole.secretariat]), User.is_active == True)).all())  # noqa: E712
    if poll.state != PollState.draft:
        ids.add(poll.chair_id)
    if poll.state in SEEN_BY_VOTERS:
        ids |= set(voter_ids(session, poll_id))
    return sorted(i for i in ids if i is not None)



def signed_sheet(*, session: Session, actor: Actor, poll_id: int, user_id: int) -> str:
    poll = load(session, poll_id)
    if not (actor.is_staff or actor.id in (poll.chair_id, user_id)) or actor.is_display:
        raise Forbidden("Chỉ thành viên đó, người chủ trì và Văn phòng xem phiếu đã ký.", details={"poll_id": poll_id})
    voter = session.get(PollVoter, (poll_id, user_id))
    if voter is None or not voter.signed or not voter.sheet_sha256:
        raise NotFound("Thành viên này chưa có phiếu trả lời đã ký số.", details={"poll_id": poll_id, "user_id": user_id})
    return voter.sheet_sha256


def inbox(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The caller's open polls, soonest deadline first: title, deadline, questions left to answer."""
    if actor.is_display:
        return []
    stmt = (select(Poll).join(PollVoter, col(PollVoter.poll_id) == Poll.id)
            .where(PollVoter.user_id == actor.id, Poll.state == PollState.open).order_by(col(Poll.deadline_at)))  # fmt: skip
    out = []
    for poll in session.exec(stmt).all():
        n = len(session.exec(select(PollQuestion.id).where(PollQuestion.poll_id == poll.id)).all())
        done = len(session.exec(select(PollAnswer.id).where(PollAnswer.poll_id == poll.id, PollAnswer.user_id == actor.id)).all())
        out.append({"id": poll.id, "title": poll.title, "deadline_at": iso(poll.deadline_at), "remaining": n - done, "questions": n})
    return out


# ---- documents (the meeting documents' store, renderer and watermarks: documents/) ----

def authorize_documents(*, session: Session, actor: Actor, poll_id: int) -> None:
    _require_staff(actor)
    _require_state(load(session, poll_id), PollState.draft, PollState.submitted, PollState.open, action="add_document")


def add_document(*, session: Session, actor: Actor, poll_id: int, title: str, restricted: bool, allowed_user_ids: list[int],
                 sha256: str, page_count: int) -> dict[str, Any]:  # fmt: skip
    authorize_documents(session=session, actor=actor, poll_id=poll_id)
    poll = load(session, poll_id, for_update=True)
    voters = set(voter_ids(session, poll_id))
    outside = sorted(set(allowed_user_ids) - voters)
    if outside:
        raise ValidationFailed("Chỉ chọn được người trong danh sách lấy ý kiến.", details=[{"field": "allowed_user_ids", "message": "not voters", "ids": outside}])
    doc = PollDocument(poll_id=poll_id, title=title, sha256=sha256, page_count=page_count, restricted=restricted,
                       allowed_user_ids=sorted(set(allowed_user_ids)), created_by=actor.id)  # fmt: skip
    session.add(doc)
    session.flush()
    _audit(session, actor.id, poll, "poll.document_added", "thêm tài liệu" + (" hạn chế" if restricted else ""), {"document_id": doc.id, "sha256": sha256})
    tell(session, poll, "poll.document_added")
    return {"id": doc.id, "title": doc.title, "page_count": doc.page_count, "restricted": doc.restricted}


def document_page(*, session: Session, actor: Actor, poll_id: int, document_id: int, page: int, timezone: str) -> tuple[str, Any]:
    """(the PDF's sha256, the watermark's viewer) when the actor may read that page: whoever sees the poll; a
    restricted document only the secretariat and the voters on its list (never the chair by office alone)."""
    from documents.watermark import Viewer
    from core.clock import pdf_date

    poll = load(session, poll_id)
    require_see(session, actor, poll)
    doc = session.get(PollDocument, document_id)
    if doc is None or doc.poll_id != poll_id:
        raise NotFound("Không tìm thấy tài liệu của phiếu này.", details={"poll_id": poll_id, "document_id": document_id})
    if doc.restricted and not actor.is_staff and actor.id not in doc.allowed_user_ids:
        raise Forbidden("Tài liệu hạn chế; bạn không có trong danh sách được xem.", details={"document_id": document_id})
    if not 1 <= page <= doc.page_count:
        raise NotFound("Tài liệu không có trang này.", details={"document_id": document_id, "page": page, "page_count": doc.page_count})
    user = session.get(User, actor.id)
    now = utcnow()
    viewer = Viewer(user_id=actor.id, name=user.full_name if user else actor.full_name, unit=user.unit if user else "",
                    stamp=local(now, timezone).strftime("%d/%m/%Y %H:%M"), restricted=doc.restricted, issued=pdf_date(now, timezone))  # fmt: skip
    return doc.sha256, viewer
