"""Vote tables.

Who has voted and what was voted live in separate tables:

- `vote_voter` (VoterRecord): one row per (vote, user) who cast a ballot, for every kind of vote. Its primary
  key *is* (vote_id, user_id): no surrogate id and no timestamp, so it says who voted, never when or in which
  order relative to a choice. It makes casting idempotent per (vote, voter) at the database level.
- `vote_ballot` (Ballot): open and named votes only: the user's current choice (the last one counts).
- `vote_secret_tally` (SecretTally): secret votes only: one counter per option and nothing else.

Why counters for secret ballots and not anonymous ballot rows. An admin holding the database can read more
than the visible columns: SQLite's rowid (insertion order) and page layout, PostgreSQL's `xmin` system column
(the id of the transaction that wrote the row; the voter record written by the same cast carries the same
`xmin`) and physical tuple order. Any per-ballot row written in the cast's transaction can be joined back to
the voter record through one of these, whatever its primary key. A secret cast therefore writes no row that
is its own: it inserts the voter record and adds 1 to the chosen option's counter *and 0 to every other
counter of the vote in the same UPDATE*, so every counter row is rewritten by every cast (same `xmin` on all
of them, same pages touched whatever the choice). The stored state after the vote is the voter list plus the
per-option totals, identical for any assignment of the same choices to the same voters.

What remains outside this design, stated plainly: an observer who watches the database *while* the vote is
open (successive copies of the SQLite WAL, PostgreSQL WAL/pg_wal archives or dead tuple versions before
vacuum) can diff successive counter states. votes.live.scrub() shortens that window after a secret vote closes
(SQLite: WAL checkpoint TRUNCATE; PostgreSQL: VACUUM of the counter table); WAL archives are an operator
matter (docs). The server process itself necessarily sees a choice for the moment it counts it; it never
logs it and never sends it to anyone but the voter's own acknowledgement.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from core.clock import utcnow


def _ts(nullable: bool = True) -> Column:
    return Column(DateTime(timezone=True), nullable=nullable)


class VoteKind(str, Enum):
    open = "open"      # công khai: only the counts are shown
    named = "named"    # ghi danh: who voted what is shown
    secret = "secret"  # bỏ phiếu kín: nobody can learn who voted what


class VoteRule(str, Enum):
    all_members = "all_members"  # more than half of ALL members in favour (Luật TCCP 2015, Điều 46)
    present = "present"          # more than half of the members present
    two_thirds = "two_thirds"    # at least two thirds of ALL members in favour
    cast = "cast"                # simple majority of the votes cast: more in favour than against


class VoteState(str, Enum):
    draft = "draft"
    open = "open"
    closed = "closed"
    published = "published"


class OptionKind(str, Enum):
    yes = "yes"          # Tán thành
    no = "no"            # Không tán thành
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
    voted_count: int = 0
    # Bumped by every cast that changes the tally; `tally_revision` is the revision the last vote.tally showed.
    revision: int = 0
    tally_revision: int = 0
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
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


class SecretTally(SQLModel, table=True):
    """Secret votes: what was voted, as one counter per option; never a row per ballot (see module doc)."""

    __tablename__ = "vote_secret_tally"
    vote_id: int = Field(foreign_key="vote.id", primary_key=True)
    option_id: int = Field(foreign_key="vote_option.id", primary_key=True)
    count: int = 0
