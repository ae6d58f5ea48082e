"""After a secret vote, the raw database holds no plaintext choice and nothing linking a voter to a ballot:
the SQLite file and its WAL byte for byte, and PostgreSQL's table pages through pageinspect (live and dead
tuples with their xmin)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import text

from app.db import Database
from tests.factories import call
from tests.pg import fresh_database
from tests.vote_helpers import cast_secret, decrypt, new_vote, present_cabinet
from votes import live, services
from votes.models import VoteKind

CHOICES = ["no", "yes", "abstain", "yes", "no", "yes"]


def _secret_vote(db: Database) -> tuple[Any, dict[str, Any], list[str]]:
    c = present_cabinet(db, n_members=5)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    voters = sorted([c.chair, *c.members], key=lambda a: -a.id)  # cast in an order that is not the key order
    receipts = [cast_secret(db, voter, vote, kind)["receipt"] for voter, kind in zip(voters, CHOICES)]
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    done = decrypt(db, c, vote)
    assert sorted(done["result"]["counts"].values()) == [1, 2, 3]
    asyncio.run(live.scrub(SimpleNamespace(db=db)))  # type: ignore[arg-type]
    return c, vote, receipts


def _no_plaintext(raw: bytes, vote: dict[str, Any]) -> None:
    for o in vote["options"]:
        for pattern in (rb'"option_id":\s*%d\b' % o["id"], rb"option_id=%d\b" % o["id"]):
            assert not re.search(pattern, raw), pattern  # no cast request, no log line, no counter row


def test_sqlite_file_and_wal_hold_no_choice_and_no_order(db: Database) -> None:
    c, vote, receipts = _secret_vote(db)
    path = Path(str(db.url).removeprefix("sqlite:///"))
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the scrub truncated the WAL
    raw = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    _no_plaintext(raw, vote)
    with db.engine.connect() as conn:
        ddl = {n: s for n, s in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))}
    assert "vote_secret_tally" not in ddl
    assert "WITHOUT ROWID" in ddl["vote_voter"].upper() and "WITHOUT ROWID" in ddl["ballot_secret"].upper()
    # Where each ballot sits in the file follows its receipt (a hash), not the order of casting.
    assert all(raw.find(r.encode()) >= 0 for r in receipts)
    by_place = [r for _, r in sorted((raw.find(r.encode()), r) for r in receipts)]
    assert by_place in (sorted(receipts), sorted(receipts, reverse=True)), (by_place, receipts)


def _pages(conn: Any, table: str) -> list[dict[str, Any]]:
    blocks = conn.execute(text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int")).scalar()
    rows = []
    for block in range(blocks):
        rows += [
            dict(r._mapping)
            for r in conn.execute(
                text(
                    "SELECT lp, t_xmin::text AS xmin, t_xmax::text AS xmax, t_data "
                    f"FROM heap_page_items(get_raw_page('{table}', {block}))"
                )
            )
        ]
    return rows


def test_postgresql_pages_hold_no_choice_and_no_voter_link() -> None:
    with fresh_database() as url:
        db = Database(url)
        try:
            with db.engine.begin() as conn:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            c, vote, receipts = _secret_vote(db)
            with db.engine.connect() as conn:
                ballots, voters = _pages(conn, "ballot_secret"), _pages(conn, "vote_voter")
                raw = b"".join(
                    bytes(r["t_data"] or b"")
                    for t in (
                        "ballot_secret",
                        "vote_voter",
                        "vote",
                        "ballot_election",
                        "ballot_trustee_share",
                        "meeting_event",
                        "audit_entry",
                    )
                    for r in _pages(conn, t)
                )
            _no_plaintext(raw, vote)
            mine = [r for r in ballots if r["t_data"] and any(x.encode() in bytes(r["t_data"]) for x in receipts)]
            assert len(mine) == len(receipts) == len(ballots)  # live tuples only: the old versions are gone
            ballot_xmins = {r["xmin"] for r in mine}
            assert len(ballot_xmins) == 1  # all rewritten by the close: no ballot carries its cast's transaction
            assert not ballot_xmins & {r["xmin"] for r in voters}  # nothing pairs a ballot with a voter record
            # the physical order of ballots is the receipt order, not the order of casting
            order = [
                next(x for x in receipts if x.encode() in bytes(r["t_data"]))
                for r in sorted(mine, key=lambda r: r["lp"])
            ]
            assert order == sorted(receipts)
        finally:
            db.dispose()
