"""The confirmation of a new notification address on PostgreSQL (row locks, the partial unique index of one open
change per user): the SQLite tests again on a fresh database, and two requests of one user at once."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select

from app.db import Database
from core.clock import utcnow
from notifications import address
from notifications.models import AddressChange
from tests.factories import make_cabinet
from tests.test_email_confirm import (  # noqa: F401 - collected here again, on PostgreSQL
    inbox,
    test_a_newer_request_replaces_the_older_an_expired_link_is_gone_and_requests_are_capped,
    test_only_the_signed_in_owner_confirms_once_and_opening_the_link_changes_nothing,
    test_the_token_is_minted_when_sent_never_stored_and_a_dropped_change_mails_nothing,
)
from tests.test_notices_pg import db, pg_url, settings  # noqa: F401 - the PostgreSQL fixtures
from tests.waiting import eventually_sync


def test_a_second_request_made_while_the_first_commits_replaces_it(db: Database) -> None:  # noqa: F811
    """The second waits for the first (the user's row, FOR UPDATE) and replaces it; without that lock it would
    insert a second open change and fail on the unique index once the first commits."""
    c = make_cabinet(db, n_members=1, publish=False)
    member = c.members[0]
    first = db.write_session()
    address.request(first, member, "mot@example.gov.vn", utcnow())  # not committed yet
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            outcome["row"] = db.run_write(
                lambda session: address.request(session, member, "hai@example.gov.vn", utcnow())
            ).result
        except Exception as exc:  # what a missing lock gives: the test says so below
            outcome["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()

    def waiting() -> bool:
        with db.engine.connect() as conn:
            q = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            return bool(conn.execute(text(q)).scalar())

    eventually_sync(waiting, "the second request waiting for the first")
    first.commit()
    first.close()
    thread.join(10)
    assert "error" not in outcome, outcome
    with db.read_session() as s:
        rows = list(s.exec(select(AddressChange).order_by(col(AddressChange.id))))
    assert [(r.new_email, r.outcome, r.ended_at is None) for r in rows] == [
        ("mot@example.gov.vn", "replaced", False),
        ("hai@example.gov.vn", "", True),
    ]
