"""Secret ballots: after a secret vote, no row of any table links a user to a choice.

The strongest form we can test: two databases where the same voters vote in the same order, with the same
totals but swapped choices, end up byte-for-byte identical in every table (timestamps aside). Whatever an admin
reads from the database file, it cannot tell the two apart, so it cannot tell who voted what."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import inspect, text

from app.db import Database
from tests import conftest
from tests.factories import call
from tests.vote_helpers import new_vote, option, present_cabinet
from votes import live, services
from votes.models import VoteKind

_TS = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
_USERNAME = re.compile(r"\bu\d+-(secretariat|member|guest|admin)\b")  # tests.factories numbering differs per run
_SKIP = {"user", "auth_session"}
# Audit chain hashes (and their MACs) cover timestamps; what they cover (the event rows) is compared itself.
_HASHES = {"hash", "prev_hash", "data_hash", "mac"}  # accounts: generated usernames and password hashes differ between the runs


def _dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table in _SKIP:
                continue
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar() or ""
            # Row order is compared too (it could tell the order of voting), except in WITHOUT ROWID tables
            # (the search index's own), which are kept in key order.
            query = "SELECT * FROM {t} ORDER BY 1" if "WITHOUT ROWID" in sql.upper() else "SELECT rowid, * FROM {t} ORDER BY rowid"
            result = conn.execute(text(query.format(t=f'"{table}"')))
            keys = list(result.keys())
            out[table] = [
                tuple("<hash>" if k in _HASHES else _USERNAME.sub(r"u#-\1", _TS.sub("<ts>", str(v))) for k, v in zip(keys, row)) for row in result.all()
            ]
    return out


def _run(db: Database, choices: list[str], caplog: pytest.LogCaptureFixture) -> tuple[dict[str, Any], Any]:
    c = present_cabinet(db, n_members=4)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    with caplog.at_level(logging.DEBUG):
        for voter, kind in zip([c.chair, *c.members], choices):
            ack = call(db, services.cast, actor=voter, vote_id=vote["id"], option_id=option(vote, kind))
            assert ack["me"] == {"may_vote": True, "voted": True, "option_id": option(vote, kind), "final": True}
        closed = call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    asyncio.run(live.scrub(SimpleNamespace(db=db)))  # type: ignore[arg-type]
    return closed, c


def test_swapped_secret_choices_leave_identical_databases(db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other_file = tmp_path / "other.db"
    shutil.copyfile(conftest._TEMPLATE["db"], other_file)
    other = Database(f"sqlite:///{other_file}")
    try:
        a, cab = _run(db, ["yes", "yes", "no", "abstain", "no"], caplog)
        b, _ = _run(other, ["no", "abstain", "yes", "no", "yes"], caplog)
        assert a["result"]["counts"] == b["result"]["counts"] and a["result"]["yes"] == 2
        assert a["result"]["decided_by_chair"] is False  # the chair's secret choice is never known
        dump_a, dump_b = _dump(db), _dump(other)
        diff = {t: [(x, y) for x, y in zip(rows, dump_b[t]) if x != y][:2] for t, rows in dump_a.items() if rows != dump_b.get(t)}
        assert dump_a == dump_b, repr(diff)
        assert dump_a["vote_ballot"] == []  # no per-person choice row for a secret vote
        voter_ids = {c.id for c in [cab.chair, *cab.members]}
        assert {row[2] for row in dump_a["vote_voter"]} == {str(i) for i in voter_ids}  # who voted: yes
        # the event log never carries an individual's secret choice
        for row in db.run_read(lambda session: session.exec(text("SELECT data FROM meeting_event")).all()):
            data = json.loads(row[0])
            for v in data.get("votes", []):
                assert v["voters"] is None
        # logs never print a choice
        assert not [r for r in caplog.records if "option" in r.getMessage()]
        wal = Path(str(db.url).removeprefix("sqlite:///") + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0  # scrub truncated the WAL: no old counter pages
    finally:
        other.dispose()


def test_secret_tables_have_no_link_columns(db: Database) -> None:
    with db.engine.connect() as conn:
        cols = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("vote_voter", "vote_secret_tally")}
    assert cols["vote_voter"] == {"vote_id", "user_id"}  # who: no choice, no time, no surrogate id
    assert cols["vote_secret_tally"] == {"vote_id", "option_id", "count"}  # what: no user, no time


def test_secret_ballot_is_final_and_tally_hidden_until_closed(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    call(db, services.cast, actor=c.members[0], vote_id=vote["id"], option_id=option(vote, "yes"))
    with pytest.raises(services.AlreadyVoted):
        call(db, services.cast, actor=c.members[0], vote_id=vote["id"], option_id=option(vote, "no"))
    seen = db.run_read(services.get_vote, actor=c.members[0], vote_id=vote["id"])
    assert seen["tally"] is None and seen["voted_count"] == 1 and seen["voters"] is None
    assert seen["me"] == {"may_vote": True, "voted": True, "option_id": None, "final": True}
