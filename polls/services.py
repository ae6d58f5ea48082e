"""Poll services, the life of a poll up to its sending: drafting, submitting, the chair's approval, extending,
its documents, the organisation's rules. Each is permission -> state guard -> write -> events (polls/access.py)
in one transaction; answering is polls/answering.py, closing polls/closing.py, the summary report and the decision
polls/reporting.py, views polls/views.py; who is asked and who chairs polls/membership.py."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.actor import Actor
from accounts.models import GlobalRole, User
from ledger.chain import append
from core.clock import as_utc, iso, local, utcnow
from core.i18n import N_
from core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from polls import closing, signers
from polls.access import (
    active_members,
    audit,
    future,
    get_rules,
    government,
    load,
    notify,
    require_see,
    require_staff,
    require_state,
    schedule_reminder,
    tell,
    voter_ids,
)
from polls.membership import check_chair, check_users, check_voters
from polls.models import Poll, PollDocument, PollExtension, PollQuestion, PollRules, PollState, PollVoter, Silence
from polls.schemas import ExtendIn, PollCreate, RulesIn, WithdrawIn
from polls.views import detail


# ---- the life of a poll ----


def create_poll(*, session: Session, actor: Actor, data: PollCreate) -> dict[str, Any]:
    require_staff(actor)
    deadline = future(data.deadline_at, "deadline_at")
    chair_id = check_chair(session, data.chair_id)
    ids = sorted(
        set(check_voters(session, None if data.voter_ids is None else list(data.voter_ids), chair_id)) | {chair_id}
    )
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
    notify(session, poll, "poll.submitted", [poll.chair_id], f"poll:{poll_id}:submitted:{iso(poll.submitted_at)}")
    return detail(session, actor, poll)


def approve_poll(*, session: Session, actor: Actor, poll_id: int, tz: str) -> dict[str, Any]:
    """The chair approves: the poll opens and is sent to every voter."""
    poll = load(session, poll_id, for_update=True, actor=actor)  # one he may not see: the absent poll's 404
    if actor.id != poll.chair_id or actor.is_display:
        raise Forbidden("Chỉ người chủ trì phiếu lấy ý kiến được duyệt và gửi phiếu.", details={"poll_id": poll_id})
    require_state(poll, PollState.submitted, action="approve")
    if as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Thời hạn của phiếu đã qua; Văn phòng cần gia hạn trước khi gửi.", details={"poll_id": poll_id})
    head, deputies = government(session)
    if actor.id != head and actor.id not in deputies:
        raise Forbidden(
            "Người chủ trì phiếu không còn là Thủ tướng hoặc Phó Thủ tướng được phân công; "
            "Văn phòng cần soạn lại phiếu.",
            details={"poll_id": poll_id},
        )
    members = _sync_voters(session, poll)
    poll.state, poll.opened_at, poll.members_total = PollState.open, utcnow(), members
    poll.require_signature = get_rules(session).require_signed_answers
    schedule_reminder(session, poll, tz)
    session.add(poll)
    audit(session, actor.id, poll, "poll.opened", "Chủ trì duyệt, gửi lấy ý kiến")
    notify(session, poll, "poll.sent", voter_ids(session, poll_id), f"poll:{poll_id}:sent")
    tell(session, poll, "poll.opened")
    return detail(session, actor, poll)


def _sync_voters(session: Session, poll: Poll) -> int:
    """When the poll is sent, it goes to the Government as it is that day: a member appointed since the drafting is
    added, one who left is taken off (nobody has answered yet). Returns the number of members: the majority's
    base (polls/rules.py)."""
    pid = poll.id or 0
    everyone = set(active_members(session)) | {poll.chair_id}
    current = set(voter_ids(session, pid))
    for uid in sorted(current - everyone):
        row = session.get(PollVoter, (pid, uid))
        if row is not None:
            session.delete(row)
    for uid in sorted(everyone - current):
        session.add(PollVoter(poll_id=pid, user_id=uid))
    if current != everyone:
        session.flush()
        audit(
            session,
            None,
            poll,
            "poll.voters_updated",
            "cập nhật danh sách thành viên Chính phủ khi gửi phiếu",
            {"added": sorted(everyone - current), "removed": sorted(current - everyone)},
        )
    return len(everyone)


def extend_poll(*, session: Session, actor: Actor, poll_id: int, data: ExtendIn, tz: str) -> dict[str, Any]:
    poll = load(session, poll_id, for_update=True, actor=actor)  # one he may not see: the absent poll's 404
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
    if poll.state == PollState.open:  # the voters were told the old deadline (poll.sent): tell them the new one
        notify(
            session,
            poll,
            "poll.extended",
            voter_ids(session, poll_id),
            f"poll:{poll_id}:ext:{iso(new)}",
            {"reason": data.reason},
        )
    return detail(session, actor, poll)


def withdraw_poll(*, session: Session, actor: Actor, poll_id: int, data: WithdrawIn) -> dict[str, Any]:
    """The secretariat withdraws a poll before it closes, with a reason (a poll drafted in error, overtaken by a
    meeting): it has no result, leaves the voters' inboxes and stays in their list as withdrawn; whoever had it
    (the chair from submission, the voters once sent) is told."""
    require_staff(actor)
    poll = load(session, poll_id, for_update=True)
    require_state(poll, PollState.draft, PollState.submitted, PollState.open, action="withdraw")
    if poll.state == PollState.open and as_utc(poll.deadline_at) <= utcnow():
        raise Conflict("Phiếu đã hết hạn và đang được tổng hợp; không rút được nữa.", details={"poll_id": poll_id})
    was = poll.state
    poll.state, poll.withdrawn_at, poll.withdraw_reason, poll.remind_at = (
        PollState.withdrawn,
        utcnow(),
        data.reason,
        None,
    )
    session.add(poll)
    audit(session, actor.id, poll, "poll.withdrawn", "Văn phòng rút phiếu", {"was": was.value, "reason": data.reason})
    told = ([poll.chair_id] if was != PollState.draft else []) + (
        voter_ids(session, poll_id) if was == PollState.open else []
    )
    notify(session, poll, "poll.withdrawn", told, f"poll:{poll_id}:withdrawn", {"reason": data.reason})
    tell(session, poll, "poll.withdrawn")
    return detail(session, actor, poll)


# ---- organisation rules ----


def read_rules(*, session: Session, actor: Actor) -> dict[str, Any]:
    r = get_rules(session)
    head, deputies = government(session)
    return {
        "silence_default": r.silence_default.value,
        "require_signed_answers": r.require_signed_answers,
        "chair_id": r.chair_id,
        "deputy_ids": list(r.deputy_ids),
        "government_chair_id": head,  # who chairs polls now (the rule, or the Prime Minister found by title)
        "report_signer_id": r.report_signer_id,  # the Government Office's head: signs the summary reports
        "report_deputy_ids": list(r.report_deputy_ids),  # the Vice Chairmen allowed to sign on his behalf
    }


def set_rules(*, session: Session, actor: Actor, data: RulesIn) -> dict[str, Any]:
    if actor.role != GlobalRole.admin:
        raise Forbidden("Chỉ quản trị viên được sửa quy định lấy ý kiến.")
    people = ([data.chair_id] if data.chair_id is not None else []) + list(data.deputy_ids)
    if people:
        check_users(session, people, "deputy_ids" if data.chair_id is None else "chair_id")
    if data.chair_id is not None and data.chair_id in data.deputy_ids:
        raise ValidationFailed(
            "Thủ tướng không đồng thời là Phó Thủ tướng được phân công.",
            details=[{"field": "deputy_ids", "message": N_("trùng với người đứng đầu Chính phủ")}],
        )
    before = signers.office(session)
    r = session.get(PollRules, 1) or PollRules(id=1)
    r.silence_default, r.require_signed_answers = Silence(data.silence_default), data.require_signed_answers
    r.chair_id, r.deputy_ids = data.chair_id, sorted(set(data.deputy_ids))
    r.report_signer_id, r.report_deputy_ids = data.report_signer_id, sorted(set(data.report_deputy_ids))
    session.add(r)
    head, deputies = government(session)
    signers.check(session, r.report_signer_id, r.report_deputy_ids, {i for i in (head, *deputies) if i is not None})
    closing.redesignated(session, before)  # the reports waiting for a newly designated signer: he is told
    append(
        session,
        type="poll.rules",
        data=data.model_dump(),
        actor_id=actor.id,
        summary="Quy định lấy ý kiến: "
        + ("im lặng là đồng ý" if data.silence_default == "agree" else "im lặng không tính")
        + (", bắt buộc ký số" if data.require_signed_answers else "")
        + (f", Thủ tướng: người dùng {data.chair_id}" if data.chair_id is not None else "")
        + (f", Phó Thủ tướng được phân công: {sorted(set(data.deputy_ids))}" if data.deputy_ids else "")
        + (f", ký báo cáo tổng hợp: người dùng {data.report_signer_id}" if data.report_signer_id is not None else "")
        + (f", ký thay: {sorted(set(data.report_deputy_ids))}" if data.report_deputy_ids else ""),
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
    # a restricted document is news only to who may read it (the others cannot tell it exists)
    tell(session, poll, "poll.document_added", document_id=doc.id if restricted else None)
    return {"id": doc.id, "title": doc.title, "page_count": doc.page_count, "restricted": doc.restricted}


def document_page(
    *, session: Session, actor: Actor, poll_id: int, document_id: int, page: int, timezone: str
) -> tuple[str, Any]:
    """(the PDF's sha256, the watermark's viewer) when the actor may read that page: whoever sees the poll; a
    restricted document only the secretariat and the voters on its list (never the chair by office alone), to
    anyone else as absent as a document that does not exist."""
    from core.clock import pdf_date
    from documents.watermark import Viewer

    poll = load(session, poll_id)
    require_see(session, actor, poll)
    doc = session.get(PollDocument, document_id)
    # Absent, or restricted and off the actor's list: one answer (poll views leave it out too).
    if (
        doc is None
        or doc.poll_id != poll_id
        or (doc.restricted and not actor.is_staff and actor.id not in doc.allowed_user_ids)
    ):
        raise NotFound(
            "Không tìm thấy tài liệu của phiếu này.", details={"poll_id": poll_id, "document_id": document_id}
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
