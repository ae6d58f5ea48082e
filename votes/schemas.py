"""Request shapes of the votes API and socket events (unknown fields and wrong types are refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig  # SQLModel's own config type (a pydantic ConfigDict with `table`)

from core.i18n import N_
from core.types import Flag, Id, Int, Name, Para, Secret
from votes.models import OptionKind, VoteKind, VoteRule
from votes.options import canonical_label, check_options, standard_label

_strict = SQLModelConfig(extra="forbid")


class OptionIn(SQLModel):
    """A choice of a vote: its kind is its meaning; its label one of the kind's wordings (votes/options.py), stored in
    that wording's spelling."""

    model_config = _strict
    kind: OptionKind  # before the label: the label's check reads it
    label: Name = Field(min_length=1, max_length=200)

    @field_validator("label")
    @classmethod
    def _label_says_its_kind(cls, label: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return canonical_label(label, kind) if isinstance(kind, OptionKind) else label


DEFAULT_OPTIONS = [OptionIn(label=standard_label(kind), kind=kind) for kind in OptionKind]


def _check_options(options: list[OptionIn] | None) -> None:
    if options is not None:
        check_options(options)


class VoteCreate(SQLModel):
    model_config = _strict
    agenda_item_id: Id
    question: Para = Field(min_length=3, max_length=1000)
    kind: VoteKind = VoteKind.open
    rule: VoteRule = VoteRule.all_members
    options: list[OptionIn] | None = Field(default=None, min_length=2, max_length=3)
    # Secret votes: the three key holders (default: chair, secretary, first member); any two decrypt the total.
    trustee_ids: list[Id] | None = Field(default=None, min_length=3, max_length=3)

    @model_validator(mode="after")
    def _options(self) -> "VoteCreate":
        _check_options(self.options)
        if self.trustee_ids is not None and self.kind != VoteKind.secret:
            raise ValueError(N_("chỉ biểu quyết kín có người giữ khóa (trustee_ids)"))
        return self


class VoteUpdate(SQLModel):
    """PATCH: an absent field stays; null is refused (422)."""

    model_config = _strict
    agenda_item_id: Id = None  # type: ignore[assignment]
    question: Para = Field(default=None, min_length=3, max_length=1000)  # type: ignore[assignment]
    kind: VoteKind = None  # type: ignore[assignment]
    rule: VoteRule = None  # type: ignore[assignment]
    options: list[OptionIn] = Field(default=None, min_length=2, max_length=3)  # type: ignore[arg-type]

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


class DecryptionTrustee(SQLModel):
    user_id: int
    name: str
    decrypted: bool


class DecryptionProgress(SQLModel):
    """A closed secret vote's joint decryption: shares needed, shares given, by which key holder (members only)."""

    threshold: int
    decrypted: int
    trustees: list[DecryptionTrustee]


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
    result: (
        dict[Any, Any] | None
    )  # {passed, counts: {option_id: n}, yes, no, abstain, required, tie, decided_by_chair, ...}
    opened_at: str | None
    closed_at: str | None
    published_at: str | None
    trustee_ids: list[int] | None = None  # secret votes: who holds a share of the key
    decryption: DecryptionProgress | None = None  # closed secret votes, to members (votes/serialize.py)
    me: MyVote | None = None  # GET /api/votes/{id} only


class CastAck(SQLModel):
    vote_id: int
    voted_count: int
    me: MyVote


# --- secret ballots (votes/ballot/, docs/ballot-spec.md) -------------------------------------------------

Hex32 = Annotated[
    str, Field(strict=True, min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")
]  # a point or a scalar, 32 bytes


class CipherIn(SQLModel):
    model_config = _strict
    a: Hex32
    b: Hex32


class RangeProofIn(SQLModel):
    model_config = _strict
    a0: Hex32
    b0: Hex32
    a1: Hex32
    b1: Hex32
    c0: Hex32
    c1: Hex32
    z0: Hex32
    z1: Hex32


class SumProofIn(SQLModel):
    model_config = _strict
    a: Hex32
    b: Hex32
    z: Hex32


class SecretBallotIn(SQLModel):
    model_config = _strict
    token: Hex32
    ciphertexts: list[CipherIn] = Field(min_length=2, max_length=3)
    proofs: list[RangeProofIn] = Field(min_length=2, max_length=3)
    sum_proof: SumProofIn


class SecretCastRequest(SQLModel):
    model_config = _strict
    ballot: SecretBallotIn


class SecretCastAck(SQLModel):
    vote_id: int
    voted_count: int
    receipt: str
    me: MyVote


class PasswordRequest(SQLModel):
    model_config = _strict
    password: Secret = Field(min_length=1, max_length=256)


_NOT_SENT = ("password", "passphrase", "secret", "private")


class TrusteeEnrolRequest(SQLModel):
    """POST /api/me/trustee-key. What the tablet sends: {public_key, sealed_key, sealing: "passphrase"}, the key
    pair drawn and sealed on the tablet with the trustee passphrase (docs/ballot-spec.md §7). Legacy: {password}
    alone, the key drawn by the server and sealed with the account password. Never both; never a field naming a
    password (beside the legacy one), a passphrase or a secret key."""

    model_config = _strict
    public_key: str | None = Field(default=None, min_length=64, max_length=64, strict=True)
    sealed_key: str | None = Field(default=None, min_length=1, max_length=512, strict=True)
    sealing: Literal["passphrase"] | None = None
    password: Secret | None = Field(default=None, min_length=1, max_length=256)

    @model_validator(mode="before")
    @classmethod
    def _no_secret_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in data:
                if name != "password" and any(word in str(name).lower() for word in _NOT_SENT):
                    raise ValueError(N_("không gửi mật khẩu, cụm mật khẩu hay khóa bí mật lên máy chủ"))
        return data


class TrusteeKeyPublic(SQLModel):
    user_id: int
    enrolled: bool | None = None
    lost: bool | None = None  # the password of a legacy key was reset by an administrator: create a new key
    public_key: str | None
    sealed: str | None = None  # the secret half, sealed (the caller's own only)
    sealing: Literal["account_password", "passphrase"] | None = None  # what opens `sealed`


class BallotParams(SQLModel):
    params: dict[Any, Any]
    params_digest: str


class ReceiptCheck(SQLModel):
    receipt: str
    on_board: bool


class BoardPublic(SQLModel):
    spec: str
    params: dict[Any, Any]
    params_digest: str
    state: str
    voted_count: int
    ballots: list[dict[Any, Any]]
    total: list[dict[Any, Any]] | None
    partials: list[dict[Any, Any]]
    result: dict[Any, Any] | None
    fingerprint: str


class CeremonyStart(SQLModel):
    model_config = _strict
    trustee_ids: list[Id] | None = Field(default=None, min_length=3, max_length=3)


class ContributionRequest(SQLModel):
    """A trustee's contribution to the key ceremony (docs/ballot-spec.md §3.1), made on their device: Feldman
    commitments, proofs of knowledge {h, z}, and one share sealed to each trustee {to, sealed}."""

    model_config = _strict
    ceremony_id: Id
    commitments: list[Annotated[str, Field(max_length=200)]] = Field(max_length=16)
    proofs: list[dict[str, Annotated[str, Field(max_length=200)]]] = Field(max_length=16)
    shares: list[dict[str, Int(1, 16) | Annotated[str, Field(max_length=200)]]] = Field(  # type: ignore[valid-type]
        max_length=16,
    )


class ComplaintRequest(SQLModel):
    model_config = _strict
    ceremony_id: Id
    against: Int(1, 16)  # type: ignore[valid-type]
    vote_id: Id | None = None


class PartialRequest(SQLModel):
    """A trustee's partial decryption of the total: one {d, a, b, z} per option (spec §5)."""

    model_config = _strict
    shares: list[dict[str, str]] = Field(max_length=64)


class CeremonyStatus(SQLModel):
    ceremony: dict[str, Any] | None
    can_start: bool
    default_trustees: list[dict[str, Any]]


class TrusteeMaterial(SQLModel):
    vote_id: int
    meeting_id: int
    user_id: int
    index: int
    ceremony_id: int
    ceremony_digest: str
    sealed_key: str
    sealing: Literal["account_password", "passphrase"] | None = None  # what opens sealed_key
    key_lost: bool | None = None
    received: list[dict[str, Any]]
    total: list[dict[str, Any]]
    params_digest: str
    verification_key: str


class MeetingBoards(SQLModel):
    """The file exported with the minutes: every decrypted secret vote's board (docs/ballot-spec.md §6)."""

    meeting_id: int
    boards: list[dict[str, Any]]


class BoardCount(SQLModel):
    label: str
    kind: str | None = None
    n: int


class BoardCheck(SQLModel):
    """One secret vote's board as checked for the minutes page (votes/ballot/check.py)."""

    question: str
    fingerprint: str | None = None
    ballots: int
    ok: bool
    problem: str | None = None  # the first failed check, as the verifier names it
    key: Literal["ceremony", "dealer"] | None = None
    counts: list[BoardCount] | None = None
    passed: bool | None = None


class MeetingBoardsCheck(SQLModel):
    meeting_id: int
    boards: list[BoardCheck]
