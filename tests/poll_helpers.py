"""Polls for tests: members, a secretariat user and a chair made through the real services, and a poll
drafted, submitted and approved through them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from core.actor import Actor
from accounts.models import GlobalRole
from app.db import Database
from polls import answering, services
from polls.schemas import AnswersIn, PollCreate
from tests.factories import call, make_user

QUESTIONS = [
    "Đồng ý thông qua dự thảo Nghị định về quản lý đầu tư công?",
    "Đồng ý giao Bộ Tài chính hoàn thiện hồ sơ trình ký?",
]


@dataclass
class Board:
    staff: Actor
    chair: Actor
    members: list[Actor]  # voters other than the chair
    outsider: Actor  # a guest: never a voter
    admin: Actor
    office: Actor | None = None  # the Government Office's head, once make_office made him

    @property
    def voters(self) -> list[Actor]:
        return [self.chair, *self.members]


def make_board(db: Database, n_members: int = 4) -> Board:
    staff = make_user(db, GlobalRole.secretariat, "Nguyễn Thị Văn Phòng")
    chair = make_user(db, GlobalRole.member, "Phạm Minh Thủ Tướng")
    members = [make_user(db, GlobalRole.member, f"Thành Viên Số {i + 1}") for i in range(n_members)]
    return Board(
        staff, chair, members, make_user(db, GlobalRole.guest, "Khách Mời"), make_user(db, GlobalRole.admin, "Quản Trị")
    )


def in_(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def make_poll(
    db: Database,
    b: Board,
    *,
    deadline: datetime,
    silence: str = "agree",
    state: str = "open",
    questions: list[str] = QUESTIONS,
) -> dict[str, Any]:
    data = PollCreate(
        title="Lấy ý kiến về dự thảo Nghị định đầu tư công",
        summary="Bộ Kế hoạch và Đầu tư trình.",
        questions=[{"text": q} for q in questions],
        voter_ids=[m.id for m in b.voters],
        chair_id=b.chair.id,
        deadline_at=deadline,
        silence_counts_as=silence,
    )
    poll = call(db, services.create_poll, actor=b.staff, data=data)
    if state in ("submitted", "open"):
        poll = call(db, services.submit_poll, actor=b.staff, poll_id=poll["id"])
    if state == "open":
        poll = call(db, services.approve_poll, actor=b.chair, poll_id=poll["id"], tz="Asia/Ho_Chi_Minh")
    return poll


def answer(db: Database, poll: dict[str, Any], who: Actor, *choices: str, comment: str = "") -> dict[str, Any]:
    body = AnswersIn(
        answers=[{"question_id": q["id"], "choice": c, "comment": comment} for q, c in zip(poll["questions"], choices)]
    )
    return call(db, answering.answer, actor=who, poll_id=poll["id"], data=body)


OFFICE_HEAD_TITLE = "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ"
OFFICE_DEPUTY_TITLE = "Phó Chủ nhiệm Văn phòng Chính phủ"


def retitle(db: Database, who: Actor, title: str) -> None:
    from accounts.models import User

    def write(session: Any) -> None:
        user = session.get(User, who.id)
        assert user is not None
        user.title = title
        session.add(user)

    db.run_write(write)


def make_office(db: Database, b: Board, *, designate: bool = True) -> tuple[Actor, Actor]:
    """The Government Office's head (a member of the Government: make it after the poll is sent, or he would have
    to be on it) and a Vice Chairman (its staff), designated to sign the summary reports (polls/signers.py)."""
    from polls.schemas import RulesIn

    head = make_user(db, GlobalRole.member, "Lưu Đình Khoa")
    deputy = make_user(db, GlobalRole.secretariat, "Đặng Thị Hồng Nhung")
    retitle(db, head, OFFICE_HEAD_TITLE)
    retitle(db, deputy, OFFICE_DEPUTY_TITLE)
    if designate:
        rules = RulesIn(
            silence_default="agree",
            require_signed_answers=False,
            report_signer_id=head.id,
            report_deputy_ids=[deputy.id],
        )
        call(db, services.set_rules, actor=b.admin, data=rules)
    b.office = head
    return head, deputy
