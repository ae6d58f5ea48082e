"""Organisation rules (one row, edited by the admin). Defaults follow Luật Tổ chức Chính phủ 2015, Điều 46."""

from __future__ import annotations

from sqlmodel import Field, Session, SQLModel

from meetings.models import PRESENT, VOTING_ROLES, Attendance, Participant
from meetings.schemas import Quorum


class OrgRules(SQLModel, table=True):
    __tablename__ = "org_rules"
    id: int = Field(default=1, primary_key=True)
    # A session proceeds only with at least quorum_num/quorum_den of ALL members present (room or remote).
    quorum_num: int = 2
    quorum_den: int = 3
    # Deputies (đại biểu dự thay) speak; whether they count for quorum or vote is the organisation's call.
    deputy_counts_for_quorum: bool = False
    deputy_may_vote: bool = False
    # Default time per speech (đăng ký phát biểu); an agenda item may set its own.
    speech_limit_seconds: int = 300


def get_rules(session: Session) -> OrgRules:
    return session.get(OrgRules, 1) or OrgRules()


def compute_quorum(participants: list[Participant], rules: OrgRules) -> Quorum:
    members = [p for p in participants if p.role in VOTING_ROLES]
    counted = set(PRESENT) | ({Attendance.deputy} if rules.deputy_counts_for_quorum else set())
    present = sum(1 for p in members if p.attendance in counted)
    total = len(members)
    # Smallest integer n with n / total >= num / den, in exact integer arithmetic.
    required = -(-total * rules.quorum_num // rules.quorum_den)
    return Quorum(total=total, present=present, required=required, reached=total > 0 and present >= required)
