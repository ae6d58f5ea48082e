"""What the poll routes accept and answer (REST names fixed by issue 12: outside tools rely on them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.types import FormFlag, FormId, Id, Line, Moment, Para, Secret


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionIn(_In):
    text: Para = Field(min_length=1, max_length=4000)


class PollCreate(_In):
    title: Line = Field(min_length=1, max_length=500)
    summary: Para = Field(default="", max_length=20000)
    questions: list[QuestionIn] = Field(min_length=1, max_length=50)
    # default: every active member of the Government; a list must name them all (a written opinion of the Government)
    voter_ids: list[Id] | None = Field(default=None, max_length=1000)
    chair_id: Id | None = None  # default: who chairs the Government; else one of the deputies he designated
    deadline_at: Moment  # any future instant with its offset
    silence_counts_as: Literal["agree", "none"] | None = None  # default: the organisation's rule


class AnswerIn(_In):
    question_id: Id
    choice: Literal["agree", "disagree", "other"]
    comment: Para = Field(default="", max_length=4000)


class AnswersIn(_In):
    answers: list[AnswerIn] = Field(min_length=1, max_length=50)
    password: Secret | None = Field(default=None, min_length=1, max_length=200)  # sign the sheet with the voter's key


class ExtendIn(_In):
    deadline_at: Moment
    reason: Line = Field(min_length=1, max_length=1000)


class WithdrawIn(_In):
    reason: Line = Field(min_length=1, max_length=1000)


# A SHA-256, lower-case hex: the digest of a report's content, or of a signed report's file
Digest = Annotated[str, Field(strict=True, min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")]


class ReportSignIn(_In):
    """The Government Office's head (or a Vice Chairman on his behalf) signs the summary report he was shown."""

    password: Secret = Field(min_length=1, max_length=200)
    report_digest: Digest  # the digest of the report he was shown (the poll's report_to_sign, X-Report-Digest)


class DecideIn(_In):
    """The chair decides on the signed summary report, confirmed with his signing password."""

    report_sha256: Digest  # the signed report he was shown (the poll's report_sha256, X-Report-SHA256)
    password: Secret = Field(min_length=1, max_length=200)
    note: Para = Field(default="", max_length=4000)  # his decision or instructions, if any


class RulesIn(_In):
    silence_default: Literal["agree", "none"]
    require_signed_answers: bool
    chair_id: Id | None = None  # who chairs the Government; none: the member titled "Thủ tướng…", else the first
    deputy_ids: list[Id] = Field(default_factory=list, max_length=20)  # deputies designated to chair polls
    # Who signs the summary reports (BC-VPCP): the head of the Government Office; the Vice Chairmen who may sign on
    # his behalf. PUT replaces the rules: left out, nobody is designated (and no report can be signed).
    report_signer_id: Id | None = None
    report_deputy_ids: list[Id] = Field(default_factory=list, max_length=20)


class ResultOut(BaseModel):
    agree: int
    disagree: int
    other: int
    silent: int
    voters: int
    adopted: bool
    tie: bool
    decided_by_chair: bool
    members: int | None = None  # the majority's base: every member of the Government (polls sent since 0017)


class AnswerOut(BaseModel):
    question_id: int
    user_id: int
    full_name: str
    choice: str
    comment: str


class QuestionOut(BaseModel):
    id: int
    text: str
    position: int
    result: ResultOut | None
    my_answer: dict[Any, Any] | None = None  # {choice, comment} of the caller, when a voter
    answers: list[AnswerOut] | None = None  # everyone's answers and comments in full, once closed


class VoterOut(BaseModel):
    user_id: int
    full_name: str
    title: str
    answered: int  # questions answered
    answered_at: str | None
    signed: bool


class ExtensionOut(BaseModel):
    old_deadline: str
    new_deadline: str
    reason: str
    by_user: int
    at: str


class DocumentOut(BaseModel):
    id: int
    title: str
    page_count: int
    restricted: bool


class ReportSignerOut(BaseModel):
    user_id: int | None
    full_name: str
    title: str  # in full ("Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ")
    on_behalf: bool  # "KT.": a Vice Chairman signed on the head's behalf


class ReportToSignOut(BaseModel):
    digest: str  # send it back as report_digest
    number: str | None


class PollOut(BaseModel):
    id: int
    title: str
    summary: str
    state: Literal["draft", "submitted", "open", "closed", "reported", "decided", "withdrawn"]
    deadline_at: str
    silence_counts_as: Literal["agree", "none"]
    require_signature: bool
    chair_id: int
    chair_name: str
    created_by: int
    opened_at: str | None
    closed_at: str | None
    decided_at: str | None
    withdrawn_at: str | None = None
    withdraw_reason: str | None = None
    voter_count: int
    answered_count: int  # voters who answered every question
    questions: list[QuestionOut]
    is_voter: bool
    remaining: int  # questions the caller still has to answer (0 when not a voter)
    signed: bool  # the caller's sheet is signed
    voters: list[VoterOut] | None = None  # the follow-up: staff and the chair
    extensions: list[ExtensionOut] = []
    documents: list[DocumentOut] = []
    report: bool = False  # a signed summary report exists
    # once closed: the report's number, who signed it for the Government Office and when, the chair's decision
    report_number: str | None = None
    report_signer: ReportSignerOut | None = None
    report_signed_at: str | None = None
    report_sha256: str | None = None  # the signed file (to the secretariat, the chair, the signers): decided on
    decided_by: str | None = None
    decided_on_sha256: str | None = None
    decision_note: str | None = None
    may_sign_report: bool = False  # the caller is a designated signer and the report waits for a signature
    may_decide: bool = False  # the caller chairs the poll and the signed report waits for his decision
    report_to_sign: ReportToSignOut | None = None  # to a signer who may sign: the report he is shown now


class RulesOut(BaseModel):
    silence_default: str
    require_signed_answers: bool
    chair_id: int | None = None
    deputy_ids: list[int] = []
    government_chair_id: int | None = None
    report_signer_id: int | None = None
    report_deputy_ids: list[int] = []


class PollDocumentUpload(_In):
    """The form fields of a poll document upload (multipart; the file in 'file')."""

    title: Line = Field(min_length=1, max_length=500)
    restricted: FormFlag = False
    allowed_user_ids: list[FormId] = Field(default_factory=list, max_length=1000)
