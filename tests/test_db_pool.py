"""PostgreSQL's pool (infra/db.py make_engine): a connection that sat idle is checked before use and replaced
when its server went away; one used a moment ago is handed out unchecked (no round trip), and if it was lost
in that moment, one request fails and the next gets a fresh connection."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from infra.db import make_engine
from tests.pg import PG_SERVER

URL = f"{PG_SERVER}/test"


@pytest.fixture
def admin() -> Iterator[Engine]:
    engine = create_engine(URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    yield engine
    engine.dispose()


def backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def terminate(admin: Engine, pid: int) -> None:
    """Ends the server process behind a pooled connection, as a restart or a fail-over would, and waits until
    the server no longer lists it."""
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid}).scalar_one()


def test_a_connection_idle_past_the_window_is_checked_and_replaced(admin: Engine) -> None:
    engine = make_engine(URL, ping_after=0.0)
    try:
        first = backend(engine)
        terminate(admin, first)
        second = backend(engine)  # no error: the check found the lost connection and the pool opened another
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_checked(admin: Engine) -> None:
    engine = make_engine(URL, ping_after=3600.0)
    try:
        first = backend(engine)
        terminate(admin, first)
        with pytest.raises(OperationalError):  # handed out unchecked: the lost connection fails this request
            backend(engine)
        assert backend(engine) != first  # and only this one: the pool replaced it
    finally:
        engine.dispose()
