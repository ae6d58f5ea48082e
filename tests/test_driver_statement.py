"""Statements on the driver's cursor (infra/driver.py) answer and write as SQLAlchemy would, on SQLite and
PostgreSQL. The session cookie's read (accounts/services.py resolve): the user, the CSRF token, nothing for an
expired, unknown or deactivated session; inside a write transaction it sees what that transaction wrote; a driver
error reaches the caller as SQLAlchemy's. A write stores the same values as through SQLAlchemy (JSON with
diacritics, zoned times, enums); entities come back as the objects the ORM would load (the chair's tap reads its
meeting, participation and agenda so), persistent in the session."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import bindparam, cast, func, insert, inspect, literal, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from accounts.models import AuthSession, GlobalRole, User
from accounts.services import resolve, session_key
from app.db import Database
from app.migrate import upgrade
from core.clock import as_utc, utcnow
from infra.driver import DriverEntities, DriverStatement
from meetings.access import _BOTH_FOR_UPDATE_WITH_AGENDA
from meetings.events import MeetingEvent
from meetings.models import AgendaItem, ItemState, Meeting, MeetingState
from tests.factories import make_cabinet, make_user
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
    broken = DriverStatement(select(text("no_such_column")).select_from(User).where(col(User.id) == bindparam("id")))
    with pytest.raises(DBAPIError):
        database.run_lookup(lambda session: broken.first(session, id=1))
    # the pool is still usable afterwards
    assert (
        database.run_lookup(
            lambda session: DriverStatement(select(col(User.id)).where(col(User.id) == bindparam("id"))).first(
                session, id=-1
            )
        )
        is None
    )


_EVENTS = MeetingEvent.__table__  # type: ignore[attr-defined]
_ADD_EVENT = insert(_EVENTS).values({name: bindparam(name) for name in _EVENTS.c.keys() if name != "id"})


def test_a_write_stores_what_sqlalchemy_stores(database: Database) -> None:
    """The same INSERT through SQLAlchemy and on the driver: the database holds the same text for the JSON, the
    same time, and the ORM reads both back equal."""
    cabinet = make_cabinet(database, n_items=1)
    at = utcnow()
    data = {"tiêu_đề": "Dự thảo Nghị định về Chính phủ điện tử", "số": [1, 2.5, None], "đúng": True}
    row = {"meeting_id": cabinet.meeting_id, "type": "thử.nghiệm", "data": data, "actor_id": None}
    row |= {"audience": "viewers", "at": at}

    def both(session: Session) -> None:
        session.execute(_ADD_EVENT, {**row, "seq": 1001})
        assert DriverStatement(_ADD_EVENT).run(session, **{**row, "seq": 1002}) == 1

    database.run_write(both)
    with database.read_session() as session:
        raw = session.execute(
            select(_EVENTS.c.data, _EVENTS.c.at).where(_EVENTS.c.seq.in_([1001, 1002])).order_by(_EVENTS.c.seq)
        ).all()
        stored = (
            session.connection()
            .exec_driver_sql(
                "SELECT CAST(data AS TEXT), CAST(at AS TEXT) FROM meeting_event WHERE seq IN (1001, 1002) ORDER BY seq"
            )
            .all()
        )
    assert stored[0] == stored[1]
    assert json.loads(stored[1][0]) == data
    assert [r[0] for r in raw] == [data, data]
    assert [as_utc(r[1]) for r in raw] == [at, at]


def test_a_returning_update_with_literal_and_repeated_binds(database: Database) -> None:
    """Values the statement carries itself (an enum literal, `+ 1`) and a parameter used twice are bound as
    SQLAlchemy binds them; RETURNING comes back through the result processors (an enum, not its text)."""
    cabinet = make_cabinet(database, n_items=3, start=True)
    table = AgendaItem.__table__  # type: ignore[attr-defined]
    state = table.c.state.type
    statement = DriverStatement(
        table.update()
        .where(table.c.meeting_id == bindparam("meeting_id"), table.c.id == bindparam("item_id"))
        .where(table.c.id >= bindparam("item_id"))
        .values(position=table.c.position + 100, state=cast(literal(ItemState.done, state), state))
        .returning(table.c.id, table.c.state, table.c.position)
    )
    target = cabinet.item_ids[1]
    before = database.run_read(lambda session: session.get(AgendaItem, target))
    assert before is not None

    returned = database.run_write(
        lambda session: statement.rows(session, meeting_id=cabinet.meeting_id, item_id=target)
    )
    assert returned.result == [(target, ItemState.done, before.position + 100)]
    assert isinstance(returned.result[0][1], ItemState)
    nothing = database.run_write(lambda session: statement.rows(session, meeting_id=cabinet.meeting_id, item_id=-1))
    assert nothing.result == []


def test_an_in_list_is_refused_when_first_run(database: Database) -> None:
    """An IN list's SQL is written per call: such a statement cannot be prebuilt for the driver."""
    listed = DriverStatement(select(col(User.id)).where(col(User.id).in_([1, 2])))
    with pytest.raises(ValueError, match="expanding IN"):
        database.run_lookup(lambda session: listed.first(session))


def test_a_pending_change_is_flushed_before_the_statement(database: Database) -> None:
    """As Session.execute would (autoflush): the statement sees what the session holds but has not written."""
    member = make_user(database, GlobalRole.member)
    count = DriverStatement(select(func.count()).select_from(User).where(col(User.full_name) == bindparam("name")))

    def add_then_count(session: Session) -> object:
        user = session.get(User, member.id)
        assert user is not None
        user.full_name = "Trần Quốc Vượng"
        session.add(user)
        return count.one(session, name="Trần Quốc Vượng")[0]

    assert database.run_write(add_then_count).result == 1


# The chair's read (meetings/access.py): a meeting, the actor's participation (outer join), its agenda in order.
_MEETING_AGENDA = _BOTH_FOR_UPDATE_WITH_AGENDA.query


def _columns(obj: object) -> dict[str, object]:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def test_entities_come_back_as_the_orm_loads_them(database: Database) -> None:
    cabinet = make_cabinet(database, n_items=3, start=True)
    fast = DriverEntities(_MEETING_AGENDA)
    for user in (cabinet.chair, cabinet.outsider):  # a participant, and nobody's (the outer join finds nothing)
        params = {"meeting_id": cabinet.meeting_id, "user_id": user.id}
        with database.read_session() as session:
            loaded = session.execute(_MEETING_AGENDA, params).all()
            expected = [tuple(None if o is None else (type(o), _columns(o)) for o in row) for row in loaded]
        with database.read_session() as session:
            rows = fast.rows(session, **params)
            assert [tuple(None if o is None else (type(o), _columns(o)) for o in row) for row in rows] == expected
            meeting = rows[0][0]
            assert all(row[0] is meeting for row in rows)  # one object per row of the table, as the ORM's
            assert session.get(Meeting, cabinet.meeting_id) is meeting  # in the session's identity map
            assert meeting is not None and inspect(meeting).persistent and not session.dirty
            assert isinstance(meeting.state, MeetingState) and meeting.started_at is not None
        assert len(rows) == 3 and [r[2].id for r in rows] == cabinet.item_ids
        assert (rows[0][1] is None) == (user is cabinet.outsider)


def test_entities_change_as_loaded_objects_do(database: Database) -> None:
    """A change to an object read so is an UPDATE of its row at the flush; an object the session already held is
    the one returned."""
    cabinet = make_cabinet(database, n_items=2)
    fast = DriverEntities(_MEETING_AGENDA)

    def rename(session: Session) -> None:
        held = session.get(AgendaItem, cabinet.item_ids[0])
        rows = fast.rows(session, meeting_id=cabinet.meeting_id, user_id=cabinet.chair.id)
        assert rows[0][2] is held
        meeting = rows[0][0]
        meeting.title = "Phiên họp chuyên đề xây dựng pháp luật"
        session.add(meeting)

    database.run_write(rename)
    with database.read_session() as session:
        titles = session.execute(select(col(Meeting.title))).scalars().all()
    assert titles == ["Phiên họp chuyên đề xây dựng pháp luật"]
