"""The session cookie's read on the driver's cursor (infra/driver.py, accounts/services.py resolve) answers as the
ORM would, on SQLite and PostgreSQL: the user, the CSRF token, nothing for an expired, unknown or deactivated
session; inside a write transaction it sees what that transaction wrote; a driver error reaches the caller as
SQLAlchemy's."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from accounts.models import AuthSession, GlobalRole, User
from accounts.services import resolve, session_key
from app.db import Database
from app.migrate import upgrade
from core.clock import utcnow
from infra.driver import DriverSelect
from tests.factories import make_user
from tests.pg import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ecabinet.db'}"
        upgrade(url)
        db = Database(url)
        yield db
        db.dispose()
        return
    with fresh_database() as url:  # migrated
        db = Database(url)
        yield db
        db.dispose()


def _session(db: Database, user_id: int, *, hours: float = 1, csrf: str = "csrf-1") -> str:
    token = secrets.token_urlsafe(32)

    def add(session: Session) -> None:
        session.add(
            AuthSession(
                token_hash=session_key(token),
                user_id=user_id,
                csrf_token=csrf,
                expires_at=utcnow() + timedelta(hours=hours),
            )
        )

    db.run_write(add)
    return token


def test_a_live_cookie_resolves_to_its_user_and_token_on_both_paths(database: Database) -> None:
    minister = make_user(database, GlobalRole.member, name="Lê Thị Hồng Nhung")
    token = _session(database, minister.id, csrf="mã-chống-giả")
    for found in (
        database.run_lookup(lambda session: resolve(session=session, token=token)),  # a plain connection
        database.run_read(lambda session: resolve(session=session, token=token)),  # an ORM read session
    ):
        assert found is not None
        user, csrf = found
        assert (user.id, user.username, user.full_name, user.role, csrf) == (
            minister.id,
            minister.username,
            "Lê Thị Hồng Nhung",
            GlobalRole.member,
            "mã-chống-giả",
        )


def test_expired_unknown_and_deactivated_sessions_resolve_to_no_one(database: Database) -> None:
    member = make_user(database, GlobalRole.member)
    expired = _session(database, member.id, hours=-0.01)
    live = _session(database, member.id)
    look = lambda token: database.run_lookup(lambda session: resolve(session=session, token=token))
    assert look(expired) is None
    assert look(secrets.token_urlsafe(32)) is None
    assert look(live) is not None

    def deactivate(session: Session) -> None:
        user = session.get(User, member.id)
        assert user is not None
        user.is_active = False
        session.add(user)

    database.run_write(deactivate)
    assert look(live) is None


def test_inside_a_write_it_reads_that_transactions_rows(database: Database) -> None:
    member = make_user(database, GlobalRole.member)
    token = secrets.token_urlsafe(32)

    def write_then_resolve(session: Session) -> object:
        session.add(
            AuthSession(
                token_hash=session_key(token),
                user_id=member.id,
                csrf_token="c",
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        session.flush()
        return resolve(session=session, token=token)

    assert database.run_write(write_then_resolve).result is not None


def test_a_driver_error_is_raised_as_sqlalchemys(database: Database) -> None:
    broken = DriverSelect(select(text("no_such_column")).select_from(User).where(col(User.id) == bindparam("id")))
    with pytest.raises(DBAPIError):
        database.run_lookup(lambda session: broken.first(session, id=1))
    # the pool is still usable afterwards
    assert (
        database.run_lookup(
            lambda session: DriverSelect(select(col(User.id)).where(col(User.id) == bindparam("id"))).first(
                session, id=-1
            )
        )
        is None
    )
