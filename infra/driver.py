"""A prebuilt Core SELECT run straight on the database driver's cursor, for the few reads on the path every tablet
waits for (the session cookie every write of a signed-in user resolves first: the chair's tap).

Through SQLAlchemy such a read costs its execution path (compiled-cache lookup, execution context, result
processing) and, on a connection of its own, a BEGIN and a ROLLBACK; on the driver's cursor it is the query. On
a server idle between taps that difference is larger than in a loop: in a throw-away timing of the chair's tap
the cookie's read took 0.59 ms at p50 inside the server, 0.14 ms in a loop after a write, 0.04 ms on the driver.

The statement is compiled once per dialect with SQLAlchemy's own compiler (so the SQL is the one the ORM would
send, quoting and parameter style included); the rows come back as the driver gives them, without SQLAlchemy's
result processing: the caller converts what needs it (SQLite's DATETIME comes back as text). A driver error is
raised as SQLAlchemy's (sqlalchemy.exc.DBAPIError), and a lost connection is invalidated, as through the engine.
"""

from __future__ import annotations

from typing import Any, Unpack

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select
from sqlmodel import Session


class DriverSelect:
    def __init__(self, statement: Select[Unpack[tuple[Any, ...]]]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...]]] = {}  # dialect name -> (SQL, positional names)

    def _sql(self, conn: Connection) -> tuple[str, tuple[str, ...]]:
        dialect = conn.dialect
        known = self._compiled.get(dialect.name)
        if known is None:
            compiled = self.statement.compile(dialect=dialect)
            known = self._compiled[dialect.name] = (compiled.string, tuple(compiled.positiontup or ()))
        return known

    def first(self, session: Session | Connection, **params: Any) -> tuple[Any, ...] | None:
        """The first row, as the driver returns it; None for none. In `session`'s transaction when it has one
        (on a plain Connection not yet begun, SQLite reads in autocommit: one statement, its own snapshot)."""
        conn = session.connection() if isinstance(session, Session) else session
        sql, names = self._sql(conn)
        args: Any = tuple(params[name] for name in names) if conn.dialect.positional else params
        dbapi = conn.connection
        cursor = dbapi.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, args)
            row = cursor.fetchone()
        except conn.dialect.loaded_dbapi.Error as exc:
            lost = conn.dialect.is_disconnect(exc, dbapi, cursor)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                sql, args, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
            ) from exc
        finally:
            cursor.close()
        return None if row is None else tuple(row)
