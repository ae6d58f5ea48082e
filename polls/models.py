"""Written opinion polls (phiếu lấy ý kiến thành viên Chính phủ): Luật Tổ chức Chính phủ 2015, Điều 44 and 46.

draft (secretariat) -> submitted -> open (the chair approved: sent to the voters) -> closed (at the deadline,
by itself) -> reported (the Government Office signed its summary report, BC-VPCP) -> decided (the chair decided on
that signed report); before it closes the secretariat may withdraw it
(withdrawn, with a reason: no result). Answers are per voter and question and may be
replaced until the deadline; a voter's whole sheet may be signed (PAdES, polls/signing.py)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = True) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class PollState(str, Enum):
    draft = "draft"  # đang soạn
    submitted = "submitted"  # chờ duyệt
    open = "open"  # đang lấy ý kiến
    closed = "closed"  # đã hết hạn
    reported = "reported"  # Văn phòng Chính phủ đã ký báo cáo tổng hợp, chờ người chủ trì quyết định
    decided = "decided"  # người chủ trì đã quyết định trên báo cáo đã ký
    withdrawn = "withdrawn"  # Văn phòng rút phiếu trước hạn, có lý do (không có kết quả)


class Silence(str, Enum):
    agree = "agree"  # không trả lời = đồng ý
    none = "none"  # không trả lời = không tính


class Choice(str, Enum):
    agree = "agree"  # đồng ý
    disagree = "disagree"  # không đồng ý
    other = "other"  # ý kiến khác


class Poll(SQLModel, table=True):
    __table_args__ = (Index("ix_poll_state_deadline", "state", "deadline_at"),)
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    state: PollState = PollState.draft
    chair_id: int = Field(foreign_key="user.id")
    deadline_at: datetime = Field(sa_column=_ts(False))
    silence_counts_as: Silence = Silence.agree
    require_signature: bool = False  # the organisation's rule when the poll was sent
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    submitted_at: datetime | None = Field(default=None, sa_column=_ts())
    opened_at: datetime | None = Field(default=None, sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts())
    decided_at: datetime | None = Field(default=None, sa_column=_ts())
    # One working day before the deadline; null once sent (or when there is no such time before the deadline).
    remind_at: datetime | None = Field(default=None, sa_column=_ts())
    # the signed summary report in the file store (indexed: the public check looks it up, migration 0027)
    report_sha256: str | None = Field(default=None, max_length=64, index=True)
    # Who signed it for the Government Office (its head, or a Vice Chairman on his behalf), when, and the content
    # digest of the report as it was shown to him (polls/reporting.py; the PDF's Subject names it).
    report_signed_by: int | None = Field(default=None, foreign_key="user.id")
    report_signed_at: datetime | None = Field(default=None, sa_column=_ts())
    report_on_behalf: bool = False  # "KT. BỘ TRƯỞNG, CHỦ NHIỆM": a Vice Chairman signed on the head's behalf
    report_digest: str | None = Field(default=None, max_length=64)
    # The chair's decision on the signed report: who (the chair), which signed report (its file's SHA-256), the
    # chair's note. Polls decided before migration 0022 were decided by the chair's own signature on the report
    # (these stay empty).
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_on_sha256: str | None = Field(default=None, max_length=64)
    decision_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The base of the majority: every member of the Government when the poll was sent (polls/rules.py). Null on
    # the polls sent before that rule (their results were counted over their voters and stay so).
    members_total: int | None = None
    withdrawn_at: datetime | None = Field(default=None, sa_column=_ts())
    withdraw_reason: str | None = Field(default=None, max_length=1000)


class PollQuestion(SQLModel, table=True):
    __tablename__ = "poll_question"
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))


class PollVoter(SQLModel, table=True):
    __tablename__ = "poll_voter"
    poll_id: int = Field(foreign_key="poll.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    answered_at: datetime | None = Field(default=None, sa_column=_ts())  # last time the sheet was replaced
    signed: bool = False
    # the signed answer sheet (PDF) in the file store (indexed: the public check looks it up, migration 0027)
    sheet_sha256: str | None = Field(default=None, max_length=64, index=True)
    answers_digest: str | None = Field(default=None, max_length=64)  # what the signed sheet says, canonical


class PollAnswer(SQLModel, table=True):
    __tablename__ = "poll_answer"
    __table_args__ = (UniqueConstraint("question_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    question_id: int = Field(foreign_key="poll_question.id")
    user_id: int = Field(foreign_key="user.id")
    choice: Choice
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    answered_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class PollExtension(SQLModel, table=True):
    """Each change of the deadline, with its reason (gia hạn): the poll's history."""

    __tablename__ = "poll_extension"
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    old_deadline: datetime = Field(sa_column=_ts(False))
    new_deadline: datetime = Field(sa_column=_ts(False))
    reason: str = Field(max_length=1000)
    by_user: int = Field(foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class PollDocument(SQLModel, table=True):
    """A document of a poll: a PDF in the documents' content-addressed store, read page by page as watermarked
    images like a meeting document; a restricted one only by the voters on its list (and the secretariat)."""

    __tablename__ = "poll_document"
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    title: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    page_count: int
    restricted: bool = False
    allowed_user_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class PollReportNumber(SQLModel, table=True):
    """The register of the summary reports' numbers (Số: NN/BC-VPCP): one per poll, given when it closes (or
    when the report of a poll closed before the register is first read), unique per (year, number)."""

    __tablename__ = "poll_report_number"
    __table_args__ = (UniqueConstraint("year", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    year: int
    number: int
    poll_id: int = Field(foreign_key="poll.id", unique=True)
    allocated_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class PollRules(SQLModel, table=True):
    """The organisation's defaults for polls (one row, the admin's)."""

    __tablename__ = "poll_rules"
    id: int = Field(default=1, primary_key=True)
    silence_default: Silence = Silence.agree
    require_signed_answers: bool = False
    # Who chairs the Government (the Prime Minister) and the deputies he designated to chair written polls: a
    # poll of the Government is chaired by one of them (polls/access.py: government). Unset: the active member
    # whose title is "Thủ tướng…", else the first member account.
    chair_id: int | None = Field(default=None, foreign_key="user.id")
    deputy_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Who signs the summary reports (BC-VPCP): the head of the Government Office (Bộ trưởng, Chủ nhiệm) and the
    # Vice Chairmen allowed to sign on his behalf (KT.). Unset: nobody may sign a report (422 until designated).
    report_signer_id: int | None = Field(default=None, foreign_key="user.id")
    report_deputy_ids: list[int] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
