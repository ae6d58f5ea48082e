"""Vote tables.

Who has voted and what was voted live in separate tables:

- `vote_voter` (VoterRecord): one row per (vote, user) who cast a ballot, for every kind of vote. Its primary
  key *is* (vote_id, user_id): no surrogate id and no timestamp, so it says who voted, never when or in which
  order relative to a choice. It makes casting idempotent per (vote, voter) at the database level.
- `vote_ballot` (Ballot): open and named votes only: the user's current choice (the last one counts).
- Secret votes (votes/ballot/): the server never receives a plaintext choice. The tablet sends an encrypted
  ballot (exponential ElGamal over ristretto255, one ciphertext per option) with zero-knowledge proofs;
  `ballot_secret` keeps it keyed by its receipt (a hash) in a WITHOUT ROWID table: no voter, no time, no
  insertion order. Only the total is ever decrypted, by trustees holding threshold shares of the vote's key
  (`ballot_election`, `ballot_trustee_share`). docs/ballot-spec.md and docs/ballot-threat-model.md say exactly
  what is stored, what is published on the board, and what remains outside the design.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = True) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class VoteKind(str, Enum):
    open = "open"  # công khai: only the counts are shown
    named = "named"  # ghi danh: who voted what is shown
    secret = "secret"  # bỏ phiếu kín: nobody can learn who voted what


class VoteRule(str, Enum):
    all_members = "all_members"  # more than half of ALL members in favour (Luật TCCP 2015, Điều 46)
    present = "present"  # more than half of the members present
    two_thirds = "two_thirds"  # at least two thirds of ALL members in favour
    cast = "cast"  # simple majority of the votes cast: more in favour than against


class VoteState(str, Enum):
    draft = "draft"
    open = "open"
    closed = "closed"
    published = "published"


class OptionKind(str, Enum):
    yes = "yes"  # Tán thành
    no = "no"  # Không tán thành
    abstain = "abstain"  # Không biểu quyết


class Vote(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    agenda_item_id: int = Field(foreign_key="agenda_item.id", index=True)
    question: str = Field(max_length=1000)
    kind: VoteKind = VoteKind.open
    rule: VoteRule = VoteRule.all_members
    state: VoteState = VoteState.draft
    # Members entitled to vote (present, or deputies where allowed): fixed at open, refreshed at close.
    eligible_count: int = 0
    # All members of the meeting at close: with eligible_count, what the rule needs. A secret vote's outcome is
    # computed at decryption (maybe much later) from these, not from the roster of that moment. None: closed
    # before 0015_ballot_fixes.
    member_count: int | None = None
    voted_count: int = 0
    # Bumped by every cast that changes the tally; `tally_revision` is the revision the last vote.tally showed.
    revision: int = 0
    tally_revision: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Secret votes: who holds a share of the key (user ids; default chair, secretary, first member).
    trustee_ids: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    opened_at: datetime | None = Field(default=None, sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts())
    published_at: datetime | None = Field(default=None, sa_column=_ts())


class VoteOption(SQLModel, table=True):
    __tablename__ = "vote_option"
    id: int | None = Field(default=None, primary_key=True)
    vote_id: int = Field(foreign_key="vote.id", index=True)
    position: int
    label: str = Field(max_length=200)
    kind: OptionKind


class VoterRecord(SQLModel, table=True):
    """Who has voted (every kind). No id, no timestamp, no choice."""

    __tablename__ = "vote_voter"
    __table_args__ = {"sqlite_with_rowid": False}  # a rowid would be the order of voting
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)


class Ballot(SQLModel, table=True):
    """Open and named votes: a member's current choice (changed freely while the vote is open)."""

    __tablename__ = "vote_ballot"
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    option_id: int = Field(foreign_key="vote_option.id")
    cast_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))
    changed_at: datetime | None = Field(default=None, sa_column=_ts())


class SecretBallot(SQLModel, table=True):
    """One encrypted secret ballot, as published on the board (no voter, no time; key order = receipt order)."""

    __tablename__ = "ballot_secret"
    __table_args__ = (UniqueConstraint("vote_id", "token"), {"sqlite_with_rowid": False})
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    receipt: str = Field(primary_key=True, max_length=64)  # SHA-256 of the ballot's canonical JSON
    token: str = Field(max_length=64)  # the ballot's one-time token (unique per vote: no replayed ballot)
    body: str  # the ballot's canonical JSON: token, ciphertexts, proofs


class BallotElection(SQLModel, table=True):
    """A secret vote's public parameters (key, trustee commitments), fixed when it opens, and its encrypted total."""

    __tablename__ = "ballot_election"
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    params: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    params_digest: str = Field(max_length=64)
    total: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The meeting's key ceremony whose joint key this vote uses; None: a vote opened before 0014_dkg, whose key
    # the server dealt (docs/ballot-threat-model.md).
    ceremony_id: int | None = Field(default=None, foreign_key="ballot_ceremony.id", index=True)


class KeyCeremony(SQLModel, table=True):
    """A meeting's key ceremony (distributed key generation, votes/ballot/dkg.py): who the trustees are, and once
    every one has contributed, the joint public key. Only public values; no secret is ever stored here."""

    __tablename__ = "ballot_ceremony"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    threshold: int
    trustees: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))  # index, user_id, name, trustee_key
    digest: str = Field(max_length=64)  # digest of its header (dkg.ceremony_header): what proofs and seals bind to
    state: str = Field(default="collecting", max_length=16)  # collecting | complete | disputed
    public_key: str | None = Field(default=None, max_length=64)
    complaints: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts(False))


class CeremonyPart(SQLModel, table=True):
    """Trustee `idx`'s contribution to a key ceremony: Feldman commitments, proofs of knowledge, and the values
    of their polynomial sealed to each trustee's X25519 key (base64; the server cannot open them)."""

    __tablename__ = "ballot_ceremony_part"
    ceremony_id: int = Field(foreign_key="ballot_ceremony.id", primary_key=True)
    idx: int = Field(primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    commitments: list[str] = Field(sa_column=Column(JSON, nullable=False))
    proofs: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    shares: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))  # [{"to": j, "sealed": b64}]


class TrusteeShare(SQLModel, table=True):
    """Trustee `idx`'s share of a secret vote's key, sealed to their trustee key; their partial decryption."""

    __tablename__ = "ballot_trustee_share"
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    idx: int = Field(primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    sealed: str  # base64 (votes/ballot/trustee_keys.py); "" for a key-ceremony vote (no share on the server)
    partial: list[dict[str, str]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Sealing(str, Enum):
    """How a trustee key's secret half is sealed (docs/ballot-spec.md §7)."""

    account_password = "account_password"  # legacy: drawn by the server, sealed with the account password
    passphrase = "passphrase"  # drawn on the trustee's tablet, sealed there with a passphrase the server never sees


class TrusteeKey(SQLModel, table=True):
    """A member's trustee key (X25519): the public half, and the secret half sealed (`sealing`) either with their
    trustee passphrase on their tablet (the server never sees the secret half nor the passphrase; a password
    change or reset does not touch it) or, legacy, with their account password by the server (re-sealed when they
    change it). `lost_at`: an administrator reset the account password of a legacy key, so the seal opens only
    with the password before the reset (votes/ballot/custody.py); the holder must enrol again for a new ceremony."""

    __tablename__ = "ballot_trustee_key"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    public_key: str = Field(max_length=64)
    sealed: str
    lost_at: datetime | None = Field(default=None, sa_column=_ts())
    sealing: str = Field(
        default=Sealing.account_password.value,
        max_length=16,
        sa_column_kwargs={"server_default": Sealing.account_password.value},
    )
