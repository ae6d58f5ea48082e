"""Request shapes of the votes API and socket events (unknown fields and wrong types are refused)."""
from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator
from sqlmodel import SQLModel

from core.i18n import N_
from core.types import Flag, Id, Line, Para
from votes.models import OptionKind, VoteKind, VoteRule

_strict = ConfigDict(extra="forbid")


class OptionIn(SQLModel):
    model_config = _strict
    label: Line = Field(min_length=1, max_length=200)
    kind: OptionKind


DEFAULT_OPTIONS = [
    OptionIn(label="Tán thành", kind=OptionKind.yes),
    OptionIn(label="Không tán thành", kind=OptionKind.no),
    OptionIn(label="Không biểu quyết", kind=OptionKind.abstain),
]


def _check_options(options: list[OptionIn] | None) -> None:
    if options is None:
        return
    kinds = [o.kind for o in options]
    if kinds.count(OptionKind.yes) != 1 or kinds.count(OptionKind.no) != 1 or kinds.count(OptionKind.abstain) > 1:
        raise ValueError(N_("cần đúng một lựa chọn tán thành (yes), một không tán thành (no), tối đa một không biểu quyết (abstain)"))
    if len({o.label.casefold() for o in options}) != len(options):
        raise ValueError(N_("các lựa chọn phải có nhãn khác nhau"))


class VoteCreate(SQLModel):
    model_config = _strict
    agenda_item_id: Id
    question: Para = Field(min_length=3, max_length=1000)
    kind: VoteKind = VoteKind.open
    rule: VoteRule = VoteRule.all_members
    options: list[OptionIn] | None = Field(default=None, min_length=2, max_length=3)

    @model_validator(mode="after")
    def _options(self) -> "VoteCreate":
        _check_options(self.options)
        return self


class VoteUpdate(SQLModel):
    """PATCH: an absent field stays; null is refused (422)."""

    model_config = _strict
    agenda_item_id: Id = None  # type: ignore[assignment]
    question: Para = Field(default=None, min_length=3, max_length=1000)
    kind: VoteKind = None  # type: ignore[assignment]
    rule: VoteRule = None  # type: ignore[assignment]
    options: list[OptionIn] = Field(default=None, min_length=2, max_length=3)

    @model_validator(mode="after")
    def _options(self) -> "VoteUpdate":
        _check_options(self.options)
        return self


class OpenRequest(SQLModel):
    model_config = _strict
    force: Flag = False


class CastRequest(SQLModel):
    model_config = _strict
    option_id: Id


# --- socket payloads ----------------------------------------------------------------------------------


class VoteRef(SQLModel):
    model_config = _strict
    vote_id: Id


class VoteOpen(VoteRef):
    force: Flag = False


class VoteCast(VoteRef):
    option_id: Id


# --- answers (documented in the OpenAPI file; the services build plain dicts of the same shape) -------


class VoteOptionPublic(SQLModel):
    id: int
    label: str
    kind: OptionKind


class VoterPublic(SQLModel):
    user_id: int
    full_name: str
    option_id: int


class MyVote(SQLModel):
    may_vote: bool
    voted: bool
    option_id: int | None  # open/named: my current choice; secret: only in the cast acknowledgement
    final: bool


class VotePublic(SQLModel):
    id: int
    meeting_id: int
    agenda_item_id: int
    question: str
    kind: VoteKind
    rule: VoteRule
    state: str
    options: list[VoteOptionPublic]
    voted_count: int
    eligible_count: int
    tally: dict[str, int] | None  # open/named; secret: null until closed
    voters: list[VoterPublic] | None  # named only
    result: dict | None  # {passed, counts: {option_id: n}, yes, no, abstain, required, tie, decided_by_chair, ...}
    opened_at: str | None
    closed_at: str | None
    published_at: str | None
    me: MyVote | None = None  # GET /api/votes/{id} only


class CastAck(SQLModel):
    vote_id: int
    voted_count: int
    me: MyVote
