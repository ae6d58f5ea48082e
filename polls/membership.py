"""Who a poll of the Government is for and who chairs it (Luật Tổ chức Chính phủ 2015, Điều 44 and 46): the checks
the drafting and the organisation's rules go through (polls/services.py)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from accounts.models import GlobalRole, User
from core.errors import ValidationFailed
from core.i18n import N_
from polls.access import active_members, government


def check_users(session: Session, ids: list[int], field: str) -> None:
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


def check_chair(session: Session, chair_id: int | None) -> int:
    """A written opinion of the Government is asked on behalf of the Prime Minister: its chair is the one who chairs
    the Government or a deputy he designated (the organisation's rule, polls/access.py: government), never a member
    the secretariat picks."""
    head, deputies = government(session)
    if head is None:
        raise ValidationFailed(
            "Chưa xác định Thủ tướng Chính phủ (người chủ trì phiếu lấy ý kiến); quản trị viên cần khai báo trong "
            "quy định lấy ý kiến.",
            details=[{"field": "chair_id", "message": N_("chưa khai báo người đứng đầu Chính phủ")}],
        )
    if chair_id is None:
        return head
    check_users(session, [chair_id], "chair_id")
    if chair_id != head and chair_id not in deputies:
        raise ValidationFailed(
            "Người chủ trì phiếu lấy ý kiến Chính phủ phải là Thủ tướng Chính phủ hoặc Phó Thủ tướng được Thủ tướng "
            "phân công.",
            details=[
                {
                    "field": "chair_id",
                    "message": N_("không phải Thủ tướng hoặc Phó Thủ tướng được phân công"),
                    "allowed": [head, *deputies],
                }
            ],
        )
    return chair_id


def check_voters(session: Session, given: list[int] | None, chair_id: int) -> list[int]:
    """Every active member of the Government is asked (Luật Tổ chức Chính phủ, Điều 44 and 46): the list may be
    left out (then it is everyone), never cut down (the chair is on it in any case)."""
    everyone = active_members(session)
    if given is None:
        return everyone
    if len(set(given)) != len(given):
        raise ValidationFailed(
            "Danh sách người được lấy ý kiến có người trùng.",
            details=[{"field": "voter_ids", "message": N_("có người trùng lặp")}],
        )
    check_users(session, list(given), "voter_ids")
    missing = sorted(set(everyone) - set(given) - {chair_id})
    if missing:
        raise ValidationFailed(
            "Phiếu lấy ý kiến Chính phủ phải gửi tất cả thành viên Chính phủ; danh sách còn thiếu {count} người.",
            count=len(missing),
            details=[{"field": "voter_ids", "message": N_("thiếu thành viên Chính phủ"), "ids": missing}],
        )
    return sorted(given)
