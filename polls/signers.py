"""Who signs the summary report of a written poll (Báo cáo tổng hợp ý kiến, "Số: NN/BC-VPCP"): a report of the
Government Office (Quy chế làm việc của Chính phủ, NĐ 39/2022/NĐ-CP: the Office compiles the members' opinions and
reports to the Prime Minister). Its head, the Minister, Chairman of the Office, signs it ("BỘ TRƯỞNG, CHỦ NHIỆM"),
or a Vice Chairman he allows signs on his behalf ("KT. BỘ TRƯỞNG, CHỦ NHIỆM" / "PHÓ CHỦ NHIỆM", core/officials.py);
the poll's chair then decides on the signed report (polls/reporting.py).

The organisation designates them in the polls' rules (PUT /api/poll-rules {report_signer_id, report_deputy_ids},
admin). Nobody is guessed from a title: until the head is designated no report can be signed (422)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from accounts.models import GlobalRole, User
from core.errors import ValidationFailed
from core.i18n import N_
from core.officials import full_title, office_signature_lines
from polls.models import PollRules

SIGNER_ROLES = (GlobalRole.member, GlobalRole.secretariat)  # a member of the Government or the Office's staff


@dataclass(frozen=True)
class Signer:
    """Who signs (or signed) a report and how: the lines above the signature, his name, his full title."""

    user_id: int | None
    name: str
    title: str  # full title, as in running text ("Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ")
    on_behalf: bool

    @property
    def lines(self) -> tuple[str, ...]:
        return office_signature_lines(on_behalf=self.on_behalf)

    def as_dict(self) -> dict[str, object]:
        return {"user_id": self.user_id, "full_name": self.name, "title": self.title, "on_behalf": self.on_behalf}


UNNAMED = Signer(None, "", "", False)  # no head designated: the head's lines, no name


def _active(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    stmt = select(User.id).where(col(User.id).in_(ids), User.is_active == True, col(User.role).in_(SIGNER_ROLES))
    return {i for i in session.exec(stmt).all() if i is not None}


def office(session: Session) -> tuple[int | None, list[int]]:
    """(the designated head of the Government Office, the Vice Chairmen allowed to sign on his behalf), active
    accounts only; a deputy signs only while a head is designated (he signs on someone's behalf)."""
    rules = session.get(PollRules, 1)
    if rules is None or rules.report_signer_id is None:
        return None, []
    ok = _active(session, [rules.report_signer_id, *rules.report_deputy_ids])
    if rules.report_signer_id not in ok:
        return None, []
    return rules.report_signer_id, [d for d in rules.report_deputy_ids if d in ok]


def is_signer(session: Session, user_id: int) -> bool:
    head, deputies = office(session)
    return user_id == head or user_id in deputies


def require_designated(session: Session) -> tuple[int, list[int]]:
    """The head and his deputies; 422 when no head is designated (the administrator has to)."""
    head, deputies = office(session)
    if head is None:
        raise ValidationFailed(
            "Chưa khai báo người ký báo cáo tổng hợp ý kiến (Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ); quản trị "
            "viên cần khai báo trong quy định lấy ý kiến.",
            details=[{"field": "report_signer_id", "message": N_("chưa khai báo người ký báo cáo")}],
        )
    return head, deputies


def of_user(user: User | None, *, on_behalf: bool) -> Signer:
    if user is None:
        return UNNAMED
    return Signer(user.id, user.full_name, full_title(user.title), on_behalf)


def for_viewer(session: Session, viewer_id: int) -> Signer:
    """Who would sign the report the viewer reads now: himself if he may sign it (a deputy on the head's behalf),
    else the designated head (or nobody named yet)."""
    head, deputies = office(session)
    if head is None:
        return UNNAMED
    if viewer_id in deputies:
        return of_user(session.get(User, viewer_id), on_behalf=True)
    return of_user(session.get(User, head), on_behalf=False)


def check(session: Session, head: int | None, deputies: list[int], government: set[int]) -> None:
    """The designation the administrator gives: active members of the Government or of the Office's staff, the
    deputies distinct from the head and named only with a head, none of them chairing polls (who reports is not
    who decides on the report)."""
    people = ([head] if head is not None else []) + list(deputies)
    if deputies and head is None:
        raise ValidationFailed(
            "Cần khai báo Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ trước khi khai báo người ký thay.",
            details=[{"field": "report_signer_id", "message": N_("chưa khai báo người ký báo cáo")}],
        )
    bad = sorted(set(people) - _active(session, people))
    if bad:
        raise ValidationFailed(
            "Người ký báo cáo tổng hợp phải là thành viên Chính phủ hoặc cán bộ Văn phòng đang hoạt động.",
            details=[
                {
                    "field": "report_signer_id" if head in bad else "report_deputy_ids",
                    "message": N_("người dùng không có, đã ngừng hoạt động hoặc không được ký báo cáo"),
                    "ids": bad,
                }
            ],
        )
    if head is not None and head in deputies:
        raise ValidationFailed(
            "Bộ trưởng, Chủ nhiệm không đồng thời là người ký thay.",
            details=[{"field": "report_deputy_ids", "message": N_("trùng với người ký báo cáo")}],
        )
    both = sorted(set(people) & government)
    if both:
        raise ValidationFailed(
            "Người ký báo cáo của Văn phòng Chính phủ không được là người chủ trì phiếu lấy ý kiến.",
            details=[
                {
                    "field": "report_signer_id" if head in both else "report_deputy_ids",
                    "message": N_("là người chủ trì phiếu lấy ý kiến"),
                    "ids": both,
                }
            ],
        )
