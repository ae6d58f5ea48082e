"""The register never gives a number twice: concurrent finalisations on SQLite (serialised writer) and on
PostgreSQL (a second transaction that read the same last number collides on unique (year, number), rolls back
its savepoint and takes the next one)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlalchemy import text

from app.db import Database
from minutes import register, services
from tests.factories import call, make_cabinet
from tests.minutes_helpers import scripted_meeting
from tests.pg import fresh_database
from tests.waiting import eventually_sync

AT = datetime(2026, 12, 3, 10, 45, tzinfo=timezone.utc)


def _finalise_all_at_once(db: Database, n: int) -> list[str]:
    meetings = [scripted_meeting(db) for _ in range(n)]
    start, numbers, errors = threading.Barrier(n), [], []

    def run(s) -> None:
        start.wait()
        try:
            numbers.append(call(db, services.finalise, actor=s.cabinet.staff, meeting_id=s.meeting_id)["number"])
        except Exception as exc:  # reported below, with the numbers
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in meetings]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return sorted(numbers, key=lambda x: int(x.split("/")[0]))


def test_concurrent_finalisations_never_collide_sqlite(db: Database) -> None:
    assert _finalise_all_at_once(db, 4) == ["01/BB-CP", "02/BB-CP", "03/BB-CP", "04/BB-CP"]


def test_concurrent_finalisations_never_collide_postgresql() -> None:
    with fresh_database() as url:
        db = Database(url)
        try:
            assert _finalise_all_at_once(db, 3) == ["01/BB-CP", "02/BB-CP", "03/BB-CP"]
        finally:
            db.dispose()


def test_a_collision_on_postgresql_retries_with_the_next_number() -> None:
    """Transaction A holds number 4 uncommitted; B reads the same last number (3), blocks on the unique index,
    and once A commits it collides, rolls back its savepoint and takes 5: never a duplicate, never an error."""
    with fresh_database() as url:
        db = Database(url)
        try:
            mid = make_cabinet(db).meeting_id
            for _ in range(3):
                db.run_write(
                    lambda session: register.allocate(
                        session, meeting_id=mid, version=1, at=AT, tz="UTC", actor_id=None
                    )
                )
            a = db.write_session()
            assert register.allocate(a, meeting_id=mid, version=1, at=AT, tz="UTC", actor_id=None).number == 4
            got: list[int] = []

            def other() -> None:
                with db.write_session() as b:
                    got.append(register.allocate(b, meeting_id=mid, version=2, at=AT, tz="UTC", actor_id=None).number)
                    b.commit()

            t = threading.Thread(target=other)
            t.start()
            _wait_for_a_lock_wait(db)
            a.commit()
            a.close()
            t.join(30)
            assert got == [5]
        finally:
            db.dispose()


def _wait_for_a_lock_wait(db: Database, timeout: float = 20) -> None:
    """Until another backend of this database waits on a lock (B blocked behind A's uncommitted row)."""
    with db.engine.connect() as conn:

        def waiting() -> int:
            count = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            conn.commit()
            return count or 0

        eventually_sync(waiting, "the second transaction to wait on the first", timeout=timeout)
