"""Prebuilt Core statements run straight on the database driver's cursor, for the few on the path every tablet
waits for: the session cookie every write of a signed-in user resolves first, and the chair's tap (its meeting
and agenda, the item states, the event's seq, its row and its audit link).

Through SQLAlchemy a statement costs its execution path (ORM execute, compiled-cache lookup, execution
context, result set-up) several times over what the driver spends on it, and far more on a processor that
was idle a moment before (a server between two taps): a throw-away timing of one UPDATE ... RETURNING in a
write transaction, 50 ms idle before each, took 0.42 ms through `Session.execute` and 0.11 ms here; the
chair's meeting, participant and agenda as ORM rows 0.83 ms, as driver rows 0.17 ms.

The statement is compiled once per dialect by SQLAlchemy's own compiler, and its parameters are converted by
the same bind processors SQLAlchemy would apply (JSON, enums, SQLite's DATETIME), its returned columns by the
same result processors: the SQL and the values are the ORM's. A statement whose SQL is only known per call
(an expanding IN list, Python-side column defaults) is refused the first time it runs. A driver error is raised as
SQLAlchemy's (sqlalchemy.exc.DBAPIError), and a lost connection is invalidated, as through the engine. On an
ORM session the pending changes are flushed first, as its own execute would (autoflush).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence, Unpack

from sqlalchemy import Connection
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import ClauseElement, Select
from sqlmodel import Session

Processor = Callable[[Any], Any]


@dataclass
class _Plan:
    sql: str
    names: tuple[str, ...]  # the statement's bind names, in positional order where the driver's style is
    positional: bool
    escaped: dict[str, str]  # bind name -> the name the driver sees (named styles)
    keys: dict[str, str]  # bind name -> the key a caller passes (bindparam("meeting_id") -> "meeting_id")
    fixed: dict[str, Any]  # the literal values the statement carries itself (literal(), last_seq + 1)
    binds: dict[str, Processor]  # bind name -> SQLAlchemy's bind processor for this dialect
    columns: tuple[Any, ...]  # the returned columns' types (SELECT, RETURNING)
    # per returned column, its result processor; () when none has one; set at the first execution (it needs the
    # driver's column types)
    results: tuple[Processor | None, ...] | None = None
    sequence: Callable[[list[Any]], Any] = tuple


class DriverStatement:
    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}  # dialect name -> plan

    def _plan(self, conn: Connection) -> _Plan:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is not None:
            return plan
        compiled: Any = self.statement.compile(dialect=dialect)
        if (
            compiled.post_compile_params
            or compiled.literal_execute_params
            or compiled.insert_prefetch
            or compiled.update_prefetch
        ):
            raise ValueError("a driver statement's SQL must be fixed: no expanding IN list, no Python-side default")
        names = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.bind_names.values())
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        plan = _Plan(
            sql=compiled.string,
            names=names,
            positional=bool(compiled.positional),
            escaped=dict(compiled.escaped_bind_names or {}),
            keys={name: by_name[name].key for name in names},
            fixed={name: by_name[name].effective_value for name in names if not by_name[name].required},
            binds=dict(compiled._bind_processors),
            columns=tuple(entry[3] for entry in compiled._result_columns),
            sequence=dialect.execute_sequence_format,
        )
        self._plans[dialect.name] = plan
        return plan

    def _args(self, plan: _Plan, params: dict[str, Any]) -> Any:
        values = []
        for name in plan.names:
            key = plan.keys[name]
            if key in params:
                value = params[key]
            elif name in plan.fixed:
                value = plan.fixed[name]
            else:
                raise KeyError(f"no value for the bind parameter {key!r}")
            process = plan.binds.get(name)
            values.append(value if process is None else process(value))  # None too, as SQLAlchemy does
        if plan.positional:
            return plan.sequence(values)
        return {plan.escaped.get(name, name): value for name, value in zip(plan.names, values)}

    def _execute(self, session: Session | Connection, params: dict[str, Any], fetch: int) -> Any:
        """fetch: 0 the row count, 1 the first row, 2 every row."""
        if isinstance(session, Session):
            session._autoflush()  # what Session.execute does first: the statement sees the pending changes
            conn = session.connection()
        else:
            conn = session
        plan = self._plan(conn)
        args = self._args(plan, params)
        dbapi = conn.connection
        cursor = dbapi.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, args)
            if fetch == 0:
                return cursor.rowcount
            rows: Sequence[Any] = cursor.fetchall() if fetch == 2 else [r for r in [cursor.fetchone()] if r]
            if plan.results is None and cursor.description is not None:
                found = tuple(
                    type_._cached_result_processor(conn.dialect, described[1])
                    for type_, described in zip(plan.columns, cursor.description)
                )
                plan.results = found if any(found) else ()
            return [self._row(plan.results, row) for row in rows]
        except conn.dialect.loaded_dbapi.Error as exc:
            lost = conn.dialect.is_disconnect(exc, dbapi, cursor)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                plan.sql, args, exc, conn.dialect.loaded_dbapi.Error, connection_invalidated=lost, dialect=conn.dialect
            ) from exc
        finally:
            cursor.close()

    @staticmethod
    def _row(processors: tuple[Processor | None, ...] | None, row: Sequence[Any]) -> tuple[Any, ...]:
        if not processors:
            return tuple(row)
        return tuple(value if p is None else p(value) for p, value in zip(processors, row))

    def rows(self, session: Session | Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Every row (SELECT, or DML with RETURNING), each a tuple of the returned columns' values."""
        found: list[tuple[Any, ...]] = self._execute(session, params, 2)
        return found

    def first(self, session: Session | Connection, **params: Any) -> tuple[Any, ...] | None:
        """The first row; None for none. In `session`'s transaction when it has one (on a plain Connection not
        yet begun, SQLite reads in autocommit: one statement, its own snapshot)."""
        found: list[tuple[Any, ...]] = self._execute(session, params, 1)
        return found[0] if found else None

    def one(self, session: Session | Connection, **params: Any) -> tuple[Any, ...]:
        row = self.first(session, **params)
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    def run(self, session: Session | Connection, **params: Any) -> int:
        """A statement that returns no rows (INSERT, UPDATE, DELETE): how many rows it changed."""
        count: int = self._execute(session, params, 0)
        return count


class DriverEntities:
    """A prebuilt ORM SELECT of whole entities (`select(Meeting, Participant, AgendaItem)...`: those of an outer
    join may be absent), run on the driver's cursor as a SELECT of their columns; each row comes back as the
    session's persistent objects, as the ORM's loading gives them: the session's own copy when it already holds
    that row, otherwise a new object with every column loaded, in the session's identity map, whose later
    changes are flushed as UPDATEs. An entity whose primary key is NULL in a row (an outer join that found
    nothing) is None."""

    def __init__(self, statement: Select[Unpack[tuple[Any, ...]]]) -> None:
        # per entity: its mapper, its column attributes' keys, the index of its primary key among them
        self.models: list[tuple[Mapper[Any], tuple[str, ...], int]] = []
        columns: list[Any] = []
        for described in statement.column_descriptions:
            mapper: Mapper[Any] = sa_inspect(described["entity"])
            if len(mapper.primary_key) != 1:
                raise ValueError("a driver entity has a primary key of one column")
            attrs = [(prop.key, prop.columns[0]) for prop in mapper.column_attrs]
            pk = next(i for i, (_, column) in enumerate(attrs) if column is mapper.primary_key[0])
            self.models.append((mapper, tuple(key for key, _ in attrs), pk))
            columns += [column for _, column in attrs]
        self.query = statement  # the ORM's form, which answers the same (tests)
        self.statement = DriverStatement(statement.with_only_columns(*columns))

    def rows(self, session: Session, **params: Any) -> list[tuple[Any, ...]]:
        found = []
        for row in self.statement.rows(session, **params):
            objects, start = [], 0
            for mapper, keys, pk in self.models:
                values = row[start : start + len(keys)]
                start += len(keys)
                objects.append(None if values[pk] is None else _as_loaded(session, mapper, keys, values, values[pk]))
            found.append(tuple(objects))
        return found


def _as_loaded(session: Session, mapper: Mapper[Any], keys: tuple[str, ...], values: Sequence[Any], pk: Any) -> Any:
    """What the ORM's loading does with a row it has not seen (sqlalchemy/orm/loading.py `_instance`): a new
    object of the row's identity, put in the session's identity map, with every column in its dict as committed
    (tests/test_driver_statement.py holds it to what a query loads)."""
    key = mapper.identity_key_from_primary_key((pk,))
    identity_map: Any = session.identity_map
    known = identity_map.get(key)
    if known is not None:
        return known
    obj = mapper.class_manager.new_instance()
    state = instance_state(obj)
    state.key, state.identity_token, state.session_id = key, None, session.hash_key
    identity_map._add_unpresent(state, key)
    state.dict.update(zip(keys, values))
    return obj
