"""The summary report (Báo cáo tổng hợp ý kiến, "Số: NN/BC-VPCP") and the chair's decision on it, in the order of
the Government's working rules (NĐ 39/2022/NĐ-CP): the Government Office compiles the members' opinions and
reports to the Prime Minister; he (or the deputy chairing the poll) decides on the basis of that report.

    closed   --the Office's head, or a Vice Chairman on his behalf, signs the report (POST .../report/sign)-->  reported
    reported --the chair decides on the signed report (POST .../decide)-->                                    decided

What is signed is what was shown: the report is rendered from a plain dict (polls/pdf.py: report_content) whose
digest names it; the signer sends the digest he was shown (the poll's `report_to_sign`, the report's
X-Report-Digest), a report that reads otherwise now is refused (409), and so is one that changed while it was being
signed (store_report). The chair's decision names the signed file it was made on (its SHA-256), refused (409) if it
is not the signed report. Signing and the password check run outside any transaction (polls/routes.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from accounts.models import User
from core.actor import Actor
from core.clock import utcnow
from core.errors import Conflict, Forbidden
from core.i18n import N_
from core.officials import named
from polls import numbering, signers
from polls.access import audit, load, notify, require_state, tell
from polls.closing import report_data
from polls.models import Poll, PollState
from polls.pdf import content_digest, report_content
from polls.views import detail, get_poll

NOT_SIGNER = N_(
    "Báo cáo tổng hợp ý kiến do Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ (hoặc Phó Chủ nhiệm được ủy quyền ký thay) "
    "ký; người chủ trì quyết định trên báo cáo đã ký."
)


def content_of(found: dict[str, Any], tz: str) -> dict[str, Any]:
    """What the report shows this reader (report_data's answer), as polls/pdf.py renders it."""
    chair, signer = found["chair"], found["signer"]
    return report_content(
        detail=found["detail"],
        chair_name=chair.full_name if chair else "",
        chair_title=chair.title if chair else "",
        number=found["number"],
        created=found["poll"].closed_at,
        tz=tz,
        signer_lines=signer.lines,
        signer_name=signer.name,
    )


def report_view(*, session: Session, actor: Actor, poll_id: int, tz: str) -> dict[str, Any]:
    """The report this reader is shown (the secretariat, the chair, the designated signers; once closed): the signed
    file once signed, else its content and digest (to render)."""
    found = report_data(session=session, actor=actor, poll_id=poll_id)
    poll: Poll = found["poll"]
    out = {"poll": poll, "number": found["number"], "signed": poll.report_sha256, "digest": poll.report_digest}
    if not poll.report_sha256:
        out["content"] = content_of(found, tz)
        out["digest"] = content_digest(out["content"])
    return out


def _require_signer(session: Session, actor: Actor, poll: Poll) -> bool:
    """422 while nobody is designated (the organisation's rules, which everyone reads: GET /api/poll-rules), 403 for
    who is not a designated signer; True: a deputy, on the head's behalf."""
    head, deputies = signers.require_designated(session)
    if actor.is_display or (actor.id != head and actor.id not in deputies):
        raise Forbidden(NOT_SIGNER, details={"poll_id": poll.id})
    return actor.id != head


def _moved(poll_id: int, digest: str) -> Conflict:
    return Conflict(
        "Báo cáo tổng hợp đã thay đổi so với bản đồng chí đã xem; hãy xem lại báo cáo rồi ký.",
        details={"poll_id": poll_id, "digest": digest},
    )


def report_to_sign(*, session: Session, actor: Actor, poll_id: int, shown: str, tz: str) -> dict[str, Any]:
    """Before signing (no transaction held while it is signed): the report as the signer is shown it now, refused
    (409) when it is not the one he was shown (`shown`: its digest)."""
    poll = load(session, poll_id, actor=actor)  # one he may not see: the absent poll's 404, before any refusal
    on_behalf = _require_signer(session, actor, poll)
    require_state(poll, PollState.closed, action="sign_report")
    found = report_data(session=session, actor=actor, poll_id=poll_id)
    content = content_of(found, tz)
    digest = content_digest(content)
    if shown != digest:
        raise _moved(poll_id, digest)
    signer: signers.Signer = found["signer"]
    return {"poll_id": poll_id, "content": content, "digest": digest, "title": signer.title, "on_behalf": on_behalf}


def store_report(
    *, session: Session, actor: Actor, poll_id: int, report_sha256: str, digest: str, tz: str
) -> dict[str, Any]:
    """Keep the signed report if the poll still waits for it and its report still reads as what was signed."""
    poll = load(session, poll_id, for_update=True, actor=actor)  # one he may not see: the absent poll's 404
    on_behalf = _require_signer(session, actor, poll)
    require_state(poll, PollState.closed, action="sign_report")
    now_digest = content_digest(content_of(report_data(session=session, actor=actor, poll_id=poll_id), tz))
    if now_digest != digest:
        raise _moved(poll_id, now_digest)
    poll.state, poll.report_sha256, poll.report_digest = PollState.reported, report_sha256, digest
    poll.report_signed_by, poll.report_signed_at, poll.report_on_behalf = actor.id, utcnow(), on_behalf
    session.add(poll)
    number = numbering.number_of(session, poll_id) or ""
    user = session.get(User, actor.id)
    signer = signers.of_user(user, on_behalf=on_behalf)
    audit(
        session,
        actor.id,
        poll,
        "poll.reported",
        "Văn phòng Chính phủ ký báo cáo tổng hợp ý kiến" + (" (ký thay)" if on_behalf else ""),
        {"report_sha256": report_sha256, "digest": digest, "number": number, "on_behalf": on_behalf},
    )
    notify(
        session,
        poll,
        "poll.report_signed",
        [poll.chair_id],
        f"poll:{poll_id}:report_signed",
        {"number": number, "signer": named(signer.title, signer.name)},
    )
    tell(session, poll, "poll.reported")
    return detail(session, actor, poll)


def _decision_guard(session: Session, actor: Actor, poll: Poll, report_sha256: str) -> None:
    if actor.is_display or actor.id != poll.chair_id:
        raise Forbidden("Chỉ người chủ trì quyết định trên báo cáo tổng hợp ý kiến.", details={"poll_id": poll.id})
    require_state(poll, PollState.reported, action="decide")
    if report_sha256 != poll.report_sha256:
        raise Conflict(
            "Báo cáo đã ký không phải bản đồng chí đã xem; hãy xem lại báo cáo rồi quyết định.",
            details={"poll_id": poll.id},
        )


def decision_check(*, session: Session, actor: Actor, poll_id: int, report_sha256: str) -> str:
    """Before the chair's signing password is checked (outside any transaction): may he decide now, on this
    signed report? Answers his username (whose signing key the password opens)."""
    _decision_guard(session, actor, load(session, poll_id, actor=actor), report_sha256)
    return actor.username


def decide(*, session: Session, actor: Actor, poll_id: int, report_sha256: str, note: str = "") -> dict[str, Any]:
    """The chair decides on the signed report `report_sha256` (the file he was shown), with his note if any."""
    poll = load(session, poll_id, for_update=True, actor=actor)  # one he may not see: the absent poll's 404
    _decision_guard(session, actor, poll, report_sha256)
    poll.state, poll.decided_at, poll.decided_by = PollState.decided, utcnow(), actor.id
    poll.decided_on_sha256, poll.decision_note = report_sha256, note or None
    session.add(poll)
    audit(
        session,
        actor.id,
        poll,
        "poll.decided",
        "người chủ trì quyết định trên báo cáo tổng hợp đã ký",
        {"report_sha256": report_sha256, "digest": poll.report_digest, "note": note},
    )
    tell(session, poll, "poll.decided")
    return detail(session, actor, poll)


def read_poll(*, session: Session, actor: Actor, poll_id: int, tz: str) -> dict[str, Any]:
    """GET /api/polls/{id} and the poll's page: the poll as the caller sees it (polls/views.py); to a designated
    signer of a closed poll also `report_to_sign` {digest, number}: the report he is shown now, whose digest he sends
    back when he signs (the report's link carries it too: a report that reads otherwise by then is refused)."""
    out = get_poll(session=session, actor=actor, poll_id=poll_id)
    if out["may_sign_report"]:
        view = report_view(session=session, actor=actor, poll_id=poll_id, tz=tz)
        out["report_to_sign"] = {"digest": view["digest"], "number": view["number"]}
    return out
