"""What the poll routes accept and answer (REST names fixed by issue 12: outside tools rely on them)."""

from __future__ import annotations

from typing import Any, Literal

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


class SignIn(_In):
    password: Secret = Field(min_length=1, max_length=200)


class RulesIn(_In):
    silence_default: Literal["agree", "none"]
    require_signed_answers: bool
    chair_id: Id | None = None  # who chairs the Government; none: the member titled "Thủ tướng…", else the first
    deputy_ids: list[Id] = Field(default_factory=list, max_length=20)  # deputies designated to chair polls


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


class PollOut(BaseModel):
    id: int
    title: str
    summary: str
    state: Literal["draft", "submitted", "open", "closed", "decided", "withdrawn"]
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


class RulesOut(BaseModel):
    silence_default: str
    require_signed_answers: bool
    chair_id: int | None = None
    deputy_ids: list[int] = []
    government_chair_id: int | None = None


class PollDocumentUpload(_In):
    """The form fields of a poll document upload (multipart; the file in 'file')."""

    title: Line = Field(min_length=1, max_length=500)
    restricted: FormFlag = False
    allowed_user_ids: list[FormId] = Field(default_factory=list, max_length=1000)
