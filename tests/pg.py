"""A fresh PostgreSQL database per test run (CREATE DATABASE ecabinet_test_<random>, migrated, dropped after).

Skips (with the reason in the pytest output) only when the server at 127.0.0.1:5432 is not reachable."""

from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from app.migrate import upgrade

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    try:
        admin = create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 (database 'test', user postgres) is not reachable: {exc}")
    name = f"ecabinet_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_SERVER}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
