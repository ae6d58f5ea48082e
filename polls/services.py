"""Poll services, the life of a poll up to its sending: drafting, submitting, the chair's approval, extending,
its documents, the organisation's rules. Each is permission -> state guard -> write -> events (polls/access.py)
in one transaction; answering is polls/answering.py, closing and the report polls/closing.py, views polls/views.py."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.actor import Actor
from accounts.models import GlobalRole, User
from ledger.chain import append
from core.clock import as_utc, iso, local, utcnow
from core.i18n import N_
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from polls.access import (
    audit,
    future,
    get_rules,
    load,
    notify,
    require_see,
    require_staff,
    require_state,
    schedule_reminder,
    tell,
    voter_ids,
)
from polls.models import Poll, PollDocument, PollExtension, PollQuestion, PollRules, PollState, PollVoter, Silence
from polls.schemas import ExtendIn, PollCreate, RulesIn
from polls.views import detail


# ---- the life of a poll ----


def _default_chair(session: Session) -> int:
    first = session.exec(
        select(User.id).where(User.role == GlobalRole.member, User.is_active == True).order_by(col(User.id))
    ).first()
    if first is None:
        raise ValidationFailed("Chưa có thành viên nào để chủ trì phiếu lấy ý kiến.")
    return first


def _check_users(session: Session, ids: list[int], field: str) -> None:
    """The chair and the voters are members of the Government: not the secretariat that drafts the poll (it would
    approve and decide its own poll), not an administrator, not a guest."""
    found = set(
        session.exec(
            select(User.id).where(
                col(User.id).in_(ids),
                User.is_active == True,
                User.role == GlobalRole.member,
            )
        ).all()
    )
    bad = sorted(set(ids) - found)
    if bad:
        raise ValidationFailed(
            "Có người không phải thành viên Chính phủ đang hoạt động.",
            details=[{"field": field, "message": N_("người dùng không có hoặc đã ngừng hoạt động"), "ids": bad}],
        )


def create_poll(*, session: Session, actor: Actor, data: PollCreate) -> dict[str, Any]:
    require_staff(actor)
    deadline = future(data.deadline_at, "deadline_at")
    chair_id = data.chair_id or _default_chair(session)
    _check_users(session, [chair_id], "chair_id")
    if data.voter_ids is None:
        ids = [
            uid
            for uid in session.exec(select(User.id).where(User.role == GlobalRole.member, User.is_active == True)).all()
            if uid
        ]
    else:
        if len(set(data.voter_ids)) != len(data.voter_ids):
            raise ValidationFailed(
                "Danh sách người được lấy ý kiến có người trùng.",
                details=[{"field": "voter_ids", "message": N_("có người trùng lặp")}],
            )
        _check_users(session, list(data.voter_ids), "voter_ids")
        ids = list(data.voter_ids)
    ids = sorted(set(ids) | {chair_id})  # the chair answers too: a tie goes to their side
    silence = Silence(data.silence_counts_as) if data.silence_counts_as else get_rules(session).silence_default
    poll = Poll(
        title=data.title,
        summary=data.summary,
        chair_id=chair_id,
        deadline_at=deadline,
        silence_counts_as=silence,
        created_by=actor.id,
    )
    session.add(poll)
    session.flush()
    for i, q in enumerate(data.questions):
        session.add(PollQuestion(poll_id=poll.id or 0, position=i + 1, text=q.text))
    for uid in ids:
        session.add(PollVoter(poll_id=poll.id or 0, user_id=uid))
    session.flush()
    audit(session, actor.id, poll, "poll.created", "soạn thảo", {"voters": len(ids), "questions": len(data.questions)})
    tell(session, poll, "poll.created")
    return detail(session, actor, poll)


def submit_poll(*, session: Session, actor: Actor, poll_id: int) -> dict[str, Any]:
    require_staff(actor)
    poll = load(session, poll_id, for_update=True)
    require_state(poll, PollState.draft, action="submit")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Thời hạn của phiếu đã qua; hãy sửa thời hạn trước khi trình.", details={"poll_id": poll_id})
    poll.state, poll.submitted_at = PollState.submitted, utcnow()
    session.add(poll)
    audit(session, actor.id, poll, "poll.submitted", "trình Chủ trì duyệt")
    tell(session, poll, "poll.submitted")
    return detail(session, actor, poll)


def approve_poll(*, session: Session, actor: Actor, poll_id: int, tz: str) -> dict[str, Any]:
    """The chair approves: the poll opens and is sent to every voter."""
    poll = load(session, poll_id, for_update=True)
    if actor.id != poll.chair_id or actor.is_display:
        raise Forbidden("Chỉ người chủ trì phiếu lấy ý kiến được duyệt và gửi phiếu.", details={"poll_id": poll_id})
    require_state(poll, PollState.submitted, action="approve")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Thời hạn của phiếu đã qua; Văn phòng cần gia hạn trước khi gửi.", details={"poll_id": poll_id})
    poll.state, poll.opened_at = PollState.open, utcnow()
    poll.require_signature = get_rules(session).require_signed_answers
    schedule_reminder(session, poll, tz)
    session.add(poll)
    audit(session, actor.id, poll, "poll.opened", "Chủ trì duyệt, gửi lấy ý kiến")
    notify(session, poll, "poll.sent", voter_ids(session, poll_id), f"poll:{poll_id}:sent")
    tell(session, poll, "poll.opened")
    return detail(session, actor, poll)


def extend_poll(*, session: Session, actor: Actor, poll_id: int, data: ExtendIn, tz: str) -> dict[str, Any]:
    poll = load(session, poll_id, for_update=True)
    # the chair sees the poll (and may extend it) from its submission on, as everywhere else (polls/access.py)
    chairs = actor.id == poll.chair_id and poll.state != PollState.draft
    if not (actor.is_staff or chairs) or actor.is_display:
        raise Forbidden("Chỉ Văn phòng hoặc người chủ trì được gia hạn phiếu lấy ý kiến.", details={"poll_id": poll_id})
    require_state(poll, PollState.draft, PollState.submitted, PollState.open, action="extend")
    new = future(data.deadline_at, "deadline_at")
    if poll.state == PollState.open and as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Phiếu đã hết hạn; không gia hạn được nữa.", details={"poll_id": poll_id})
    old = as_utc(poll.deadline_at)
    if new <= old:
        raise ValidationFailed(
            "Thời hạn mới phải sau thời hạn hiện tại.",
            details=[{"field": "deadline_at", "message": N_("phải muộn hơn thời hạn hiện tại")}],
        )
    session.add(
        PollExtension(poll_id=poll_id, old_deadline=old, new_deadline=new, reason=data.reason, by_user=actor.id)
    )
    poll.deadline_at = new
    if poll.state == PollState.open:
        schedule_reminder(session, poll, tz)
    session.add(poll)
    audit(session, actor.id, poll, "poll.extended", "gia hạn", {"old_deadline": iso(old), "reason": data.reason})
    tell(session, poll, "poll.extended")
    return detail(session, actor, poll)


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
    append(
        session,
        type="poll.rules",
        data=data.model_dump(),
        actor_id=actor.id,
        summary="Quy định lấy ý kiến: "
        + ("im lặng là đồng ý" if data.silence_default == "agree" else "im lặng không tính")
        + (", bắt buộc ký số" if data.require_signed_answers else ""),
    )
    return read_rules(session=session, actor=actor)


# ---- documents (the meeting documents' store, renderer and watermarks: documents/) ----


def authorize_documents(*, session: Session, actor: Actor, poll_id: int) -> None:
    require_staff(actor)
    require_state(load(session, poll_id), PollState.draft, PollState.submitted, PollState.open, action="add_document")


def add_document(
    *,
    session: Session,
    actor: Actor,
    poll_id: int,
    title: str,
    restricted: bool,
    allowed_user_ids: list[int],
    sha256: str,
    page_count: int,
) -> dict[str, Any]:
    authorize_documents(session=session, actor=actor, poll_id=poll_id)
    poll = load(session, poll_id, for_update=True)
    voters = set(voter_ids(session, poll_id))
    outside = sorted(set(allowed_user_ids) - voters)
    if outside:
        raise ValidationFailed(
            "Chỉ chọn được người trong danh sách lấy ý kiến.",
            details=[{"field": "allowed_user_ids", "message": "not voters", "ids": outside}],
        )
    doc = PollDocument(
        poll_id=poll_id,
        title=title,
        sha256=sha256,
        page_count=page_count,
        restricted=restricted,
        allowed_user_ids=sorted(set(allowed_user_ids)),
        created_by=actor.id,
    )
    session.add(doc)
    session.flush()
    audit(
        session,
        actor.id,
        poll,
        "poll.document_added",
        "thêm tài liệu" + (" hạn chế" if restricted else ""),
        {"document_id": doc.id, "sha256": sha256},
    )
    tell(session, poll, "poll.document_added")
    return {"id": doc.id, "title": doc.title, "page_count": doc.page_count, "restricted": doc.restricted}


def document_page(
    *, session: Session, actor: Actor, poll_id: int, document_id: int, page: int, timezone: str
) -> tuple[str, Any]:
    """(the PDF's sha256, the watermark's viewer) when the actor may read that page: whoever sees the poll; a
    restricted document only the secretariat and the voters on its list (never the chair by office alone)."""
    from core.clock import pdf_date
    from documents.watermark import Viewer

    poll = load(session, poll_id)
    require_see(session, actor, poll)
    doc = session.get(PollDocument, document_id)
    if doc is None or doc.poll_id != poll_id:
        raise NotFound(
            "Không tìm thấy tài liệu của phiếu này.", details={"poll_id": poll_id, "document_id": document_id}
        )
    if doc.restricted and not actor.is_staff and actor.id not in doc.allowed_user_ids:
        raise Forbidden(
            "Tài liệu hạn chế; bạn không có trong danh sách được xem.", details={"document_id": document_id}
        )
    if not 1 <= page <= doc.page_count:
        raise NotFound(
            "Tài liệu không có trang này.",
            details={"document_id": document_id, "page": page, "page_count": doc.page_count},
        )
    user = session.get(User, actor.id)
    now = utcnow()
    viewer = Viewer(
        user_id=actor.id,
        name=user.full_name if user else actor.full_name,
        unit=user.unit if user else "",
        stamp=local(now, timezone).strftime("%d/%m/%Y %H:%M"),
        restricted=doc.restricted,
        issued=pdf_date(now, timezone),
    )
    return doc.sha256, viewer
