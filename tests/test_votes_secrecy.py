"""Secret ballots: the server stores only encrypted ballots, with no column, row order or time linking them to a
voter; who has voted is a separate table; the result exists only as the decrypted total (tests/test_ballots.py,
tests/test_ballots_dump.py for the raw files)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from app.db import Database
from tests.vote_helpers import cast_secret, new_vote, present_cabinet
from votes import services
from votes import secret as secret_votes
from votes.models import VoteKind


def test_secret_tables_have_no_link_columns(db: Database) -> None:
    with db.engine.connect() as conn:
        cols = {t: {c["name"] for c in inspect(conn).get_columns(t)} for t in ("vote_voter", "ballot_secret")}
        assert "vote_secret_tally" not in inspect(conn).get_table_names()  # no plaintext counters any more
        ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ballot_secret'")).scalar()
    assert cols["vote_voter"] == {"vote_id", "user_id"}  # who: no choice, no time, no surrogate id
    assert cols["ballot_secret"] == {"vote_id", "receipt", "token", "body"}  # what, encrypted: no user, no time
    assert ddl is not None and "WITHOUT ROWID" in ddl.upper()  # no hidden insertion order either


def test_secret_ballot_is_final_and_tally_hidden_until_closed(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    cast_secret(db, c.members[0], vote, "yes")
    with pytest.raises(secret_votes.AlreadyVoted):
        cast_secret(db, c.members[0], vote, "no")
    seen = db.run_read(services.get_vote, actor=c.members[0], vote_id=vote["id"])
    assert seen["tally"] is None and seen["voted_count"] == 1 and seen["voters"] is None
    assert seen["me"] == {"may_vote": True, "voted": True, "option_id": None, "final": True}
