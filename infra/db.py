"""Engine and units of work.

Reads use an ordinary transaction; writes on SQLite take the write lock up front (BEGIN IMMEDIATE) so a
read-then-write never fails half way with 'database is locked' when another writer got in first.
Services run in a worker thread; the events and outbox jobs they record are handed back after COMMIT, never
before (the jobs themselves are rows of the same transaction: core/outbox.py).

SQLite has one writer at a time. Within this process writers also queue on a lock before BEGIN IMMEDIATE:
without it, concurrent writers poll SQLite's busy handler, which sleeps up to 100 ms between tries, so a
burst (every member voting at once) turns into seconds of sleeping (bench/votes.py). Other processes (the
CLI) still meet the busy timeout.

What the domains add to every session (the audit keys, the ORM hooks, the recorded events) is handed in by the
composition root: app/db.py's Database is this one with them wired.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar, cast

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

from core import after_delivery
from core.errors import DomainError
from core.outbox import Key, take_keys

T = TypeVar("T")
log = logging.getLogger("ecabinet.db")
CHECKPOINT_EVERY = 1.0  # seconds: a database being written has its WAL copied back at most this often


PING_AFTER = 0.5  # seconds idle in the pool after which a PostgreSQL connection is checked before use


def make_engine(url: str, *, ping_after: float = PING_AFTER) -> Engine:
    # Last in, first out: a burst's connections come from the top of the pool, so one stays in use while the
    # room is busy and keeps what it has prepared (psycopg prepares a statement on its 5th run on a connection;
    # taken in turn from a pool of 20, the tap's statements were parsed and planned every time: 2.3 ms of
    # PostgreSQL's time a tap against 1.8, by its statement log in a throw-away run).
    if url.startswith("sqlite"):
        # connections kept open for a burst of reads (25 tablets turning the page at once): past pool_size each
        # read would open a new connection and run the PRAGMAs below again, then close it
        engine = create_engine(
            url,
            pool_size=20,
            max_overflow=20,
            pool_use_lifo=True,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=20, max_overflow=20, pool_use_lifo=True)
    _ping_when_idle(engine, ping_after)
    _durable_commits(engine)
    return engine


def _durable_commits(engine: Engine) -> None:
    """A COMMIT on PostgreSQL returns once it is on the disk (`synchronous_commit`, on by default): an answered
    cast must survive a crash. A server or role configured with it `off` would answer commits that a crash can
    still lose; such a connection is set back to `on`. A stronger setting (`remote_apply` for a standby) is kept."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            row = cur.fetchone()
            if row is not None and row[0] == "off":
                cur.execute("SET synchronous_commit TO on")
        dbapi_conn.commit()


def _ping_when_idle(engine: Engine, after: float) -> None:
    """A connection idle in the pool for more than `after` seconds is checked (a round trip) before it is
    handed out, and replaced if its server went away (a restart, a fail-over, an idle timeout). One used a
    moment ago is not: SQLAlchemy's pre-ping checked every time, a round trip more for every transaction (the
    chair's tap included). HikariCP skips its check the same way, for 500 ms. A connection lost in that moment
    fails its request, and SQLAlchemy then replaces every connection opened before the failure."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["ecabinet_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("ecabinet_idle_since")
        if since is None or time.monotonic() - since <= after:
            return  # new, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # the pool discards this connection and tries another (SQLAlchemy's contract for this event)
            raise DisconnectionError(f"connection lost while idle: {exc}") from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is on the disk (fdatasync) when COMMIT returns, so an answered write (a cast's receipt, a
        # signature, the chair's move) survives a power cut, as PostgreSQL's default commit does. NORMAL would
        # survive a crashed process only; the sync costs ~0.3 ms per transaction, one per group-committed batch.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA wal_autocheckpoint=0")  # no COMMIT copies the WAL back: `Checkpoints` does (below)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("ecabinet_write", False)
        # straight to the driver: a statement through SQLAlchemy's execution path costs several times the BEGIN
        # itself, and every transaction (two per chair's tap) starts with one
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


_MEMO = "ecabinet_read_memo"


def memo(session: Session, key: tuple[Any, ...], make: Callable[[], T]) -> T:
    """`make()` once per read transaction for `key`: what every caller of a batched read shares (the document
    and its version that 25 tablets ask for together: web/auth.py read_as_user_together). Read sessions only:
    a read transaction sees one snapshot and changes nothing, so an answer cannot go stale inside it; in a
    write transaction `make()` runs every time (the transaction may have changed what it reads)."""
    known: dict[tuple[Any, ...], Any] | None = session.info.get(_MEMO)
    if known is None:
        return make()
    if key not in known:
        known[key] = make()
    return cast(T, known[key])


def restart_read(session: Session) -> None:
    """A new transaction for a read session whose statement failed (PostgreSQL ends the transaction on an
    error): what was memoised belonged to the old snapshot."""
    session.rollback()
    session.info.get(_MEMO, {}).clear()


def each_answered(session: Session, items: list[Any], answer: Callable[[Any], Any]) -> list[tuple[bool, Any]]:
    """`answer(item)` for each caller of a batched read (infra/batched.py), in one read transaction: (True, the
    answer) or (False, the error), one caller's error never the others'. A refusal (DomainError) is only an
    answer; any other error may have ended the transaction (PostgreSQL), so the next caller gets a fresh one."""
    answers: list[tuple[bool, Any]] = []
    for item in items:
        try:
            answers.append((True, answer(item)))
        except DomainError as exc:
            answers.append((False, exc))
        except Exception as exc:
            restart_read(session)
            answers.append((False, exc))
    return answers


class Checkpoints:
    """SQLite's WAL is copied back into the database file by a thread of its own, not by a COMMIT. With SQLite's
    automatic checkpoint, the commit that crossed 1000 WAL pages did the copy and its two fsyncs itself, and
    the request behind it waited (10-100 ms on a shared disk: about one chair's tap in a hundred, the p99 of
    bench/fanout.py). Here each database written to is checkpointed (PASSIVE: writers and readers carry on)
    at most every CHECKPOINT_EVERY seconds. One thread per process, started on the first write; it holds a
    database only while checkpointing it. What a process leaves in the WAL when it exits (the CLI) is copied
    back by SQLite itself when the last connection closes, or by the next process to open the database."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.dirty: dict[int, weakref.ref[Database]] = {}
        self.thread: threading.Thread | None = None

    def written(self, db: Database) -> None:
        with self.cond:
            self.dirty[id(db)] = weakref.ref(db)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="ecabinet-wal-checkpoint", daemon=True)
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.dirty:
                    self.cond.wait()
                refs, self.dirty = list(self.dirty.values()), {}
            for ref in refs:
                db = ref()
                if db is not None:
                    db.checkpoint()
                del db
            time.sleep(CHECKPOINT_EVERY)


checkpoints = Checkpoints()


@dataclass
class Outcome:
    result: Any
    events: list[Any]  # meetings.events.Delivery: what the session's `take_events` collected
    jobs: set[Key] = field(default_factory=set)
    # what the caller runs once the events are handed over (core/after_delivery.py); empty unless kept
    later: list[Callable[[], None]] = field(default_factory=list)


class Database:
    def __init__(
        self,
        url: str,
        *,
        session_info: dict[str, Any] | None = None,
        take_events: Callable[[Session], list[Any]] = lambda session: [],
    ) -> None:
        self.url = url
        self.session_info = session_info or {}  # copied into every session's `info` (e.g. the audit keys)
        self.take_events = take_events  # after COMMIT: the events the services recorded in the session
        self.engine = make_engine(url)
        self._write_engine = self.engine.execution_options(ecabinet_write=True)
        self._writer = threading.RLock() if self.is_sqlite else contextlib.nullcontext()
        self._disposing = threading.Lock()  # a checkpoint and dispose() never overlap
        self.disposed = False
        self.checkpoints = 0  # how many background checkpoints ran (tests)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def read_session(self) -> Session:
        return Session(self.engine, expire_on_commit=False, info={**self.session_info, _MEMO: {}})

    def write_session(self) -> Session:
        return Session(self._write_engine, expire_on_commit=False, info=dict(self.session_info))

    def run_write(self, fn: Callable[..., T], /, **kwargs: Any) -> Outcome:
        return self._run_write(fn, kwargs, keep=False)

    def _run_write(
        self, fn: Callable[..., T], kwargs: dict[str, Any], *, keep: bool, who: Callable[..., Any] | None = None
    ) -> Outcome:
        """`keep`: the work that may wait until the events are delivered is left in `Outcome.later` for the
        caller (the edge's writes: AppContext.after_commit), not run inside the COMMIT. `who`: the actor is
        found first, in this transaction (`write_as` on PostgreSQL); when it raises nothing is written."""
        with self._writer, self.write_session() as session:
            if keep:
                after_delivery.keep(session)
            if who is not None:
                kwargs = {**kwargs, "actor": who(session=session)}
            result = fn(session=session, **kwargs)
            session.commit()
            outcome = Outcome(result, self.take_events(session), take_keys(session), after_delivery.take(session))
        self._written()
        return outcome

    def run_batch(self, fn: Callable[..., Any], calls: list[dict[str, Any]]) -> tuple[list[tuple[bool, Any]], Outcome]:
        """Group commit (infra/groupcommit.py): every call of `fn` in its own SAVEPOINT of one transaction.
        Answers (True, result) or (False, exception) per call; a failed call leaves no trace (its rows are
        rolled back to the savepoint, and the events, jobs and audit bookkeeping it noted are restored)."""
        answers: list[tuple[bool, Any]] = []
        with self._writer, self.write_session() as session:
            for kwargs in calls:
                noted = {k: (v.copy() if isinstance(v, (list, set, dict)) else v) for k, v in session.info.items()}
                savepoint = session.begin_nested()
                try:
                    result = fn(session=session, **kwargs)
                    savepoint.commit()
                    answers.append((True, result))
                except Exception as exc:
                    savepoint.rollback()
                    session.info.clear()
                    session.info.update(noted)
                    answers.append((False, exc))
            session.commit()
            outcome = Outcome(None, self.take_events(session), take_keys(session))
        self._written()
        return answers, outcome

    def run_read(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        with self.read_session() as session:
            return fn(session=session, **kwargs)

    def run_lookup(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """A read of a few columns by prebuilt Core statements (`fn(session=<Connection>)`), on a pooled connection
        without an ORM session: the session cookie that every write of a signed-in user resolves first (the
        chair's tap). An ORM session's set-up and tear-down cost several times that one query, more so on a
        processor that was idle a moment before (about 1 ms against 0.5 in a throw-away timing of the tap)."""
        with self.engine.connect() as conn:
            return fn(session=conn, **kwargs)

    async def write(self, fn: Callable[..., T], /, **kwargs: Any) -> Outcome:
        return await to_thread.run_sync(lambda: self.run_write(fn, **kwargs))

    async def write_delivering(self, fn: Callable[..., T], /, **kwargs: Any) -> Outcome:
        """As `write`, for a caller that delivers the events and then runs `Outcome.later` (AppContext)."""
        return await to_thread.run_sync(lambda: self._run_write(fn, kwargs, keep=True))

    async def write_as(self, who: Callable[..., Any], fn: Callable[..., T], /, **kwargs: Any) -> Outcome:
        """`who(session=)` (the caller: an actor, or it raises and nothing is written), then `fn(session=,
        actor=, **kwargs)` in a write transaction; one worker-thread hop for both. For a caller that delivers
        the events and then runs `Outcome.later` (AppContext.write_as).
        SQLite: `who` reads in a transaction of its own (`run_lookup`), outside the writer's lock, so a request
        with a bad cookie or CSRF token never takes the database's write lock. PostgreSQL: `who` is the write
        transaction's first statement (a plain SELECT: it locks nothing). Each statement there is a round trip
        to another process, and a transaction of its own cost three more (the pool's ping, BEGIN, ROLLBACK)."""
        if self.is_sqlite:
            return await to_thread.run_sync(
                lambda: self._run_write(fn, {**kwargs, "actor": self.run_lookup(who)}, keep=True)
            )
        return await to_thread.run_sync(lambda: self._run_write(fn, kwargs, keep=True, who=who))

    async def read(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        return await to_thread.run_sync(lambda: self.run_read(fn, **kwargs))

    def _written(self) -> None:
        if self.is_sqlite:
            self.disposed = False  # written again after dispose(): the engine is in use again
            checkpoints.written(self)

    def checkpoint(self) -> None:
        """Copy the WAL back into the database file (SQLite; `Checkpoints` calls it from its thread)."""
        with self._disposing:
            if self.disposed:
                return
            try:
                raw = self.engine.raw_connection()
                try:
                    driver = raw.driver_connection
                    assert driver is not None  # a live connection from the pool
                    driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    raw.close()
                self.checkpoints += 1
            except Exception:  # the next write schedules another; SQLite checkpoints at the last close anyway
                log.warning("WAL checkpoint failed", exc_info=True)

    def dispose(self) -> None:
        with self._disposing:
            self.disposed = True
        self.engine.dispose()
