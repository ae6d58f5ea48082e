"""Appending to the hash chain. Appends are serialised: SQLite by the write transaction's BEGIN IMMEDIATE,
PostgreSQL by a transaction-scoped advisory lock, so the chain never forks, whichever node writes.

The session carries the database's AuditKeys (app/db.py's Database puts them in `session.info`) and the tail
this transaction appended last, so several appends in one transaction (before a flush) chain correctly.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, Callable

from sqlalchemy import BigInteger, Insert, bindparam, func, insert, literal, text
from sqlmodel import Session, col, select

from infra.driver import DriverStatement
from ledger.keys import AuditKeys
from ledger.models import AuditEntry
from core.clock import iso, realnow

GENESIS = "0" * 64
_LOCK_KEY = 0x65436162  # 'eCab': the advisory lock that orders appends on PostgreSQL
KEYS = "ecabinet_audit_keys"
TAIL = "ecabinet_audit_tail"  # (id, hash, keyed) of the chain's last row as this transaction sees it
DUE = "ecabinet_audit_checkpoint_due"
# Moments worth a checkpoint whatever the checkpoint interval (a decision, a signature, a role).
MEANINGFUL = frozenset(
    {
        "vote.closed",
        "vote.published",
        "minutes.finalised",
        "minutes.signed",
        "minutes.completed",
        "audit.anchored",
        "state.user",
    }
)


# Called with the session when the chain is first anchored (audit/facts.py adopt_all, registered by
# audit/hooks.py install(): the facts build on this module, so it cannot import them).
_on_first_anchor: list[Callable[[Session], None]] = []


def on_first_anchor(fn: Callable[[Session], None]) -> None:
    if fn not in _on_first_anchor:
        _on_first_anchor.append(fn)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


_HASHED = ("id", "at", "actor_id", "meeting_id", "event_seq", "type", "summary", "data_hash")


def _hash_of(row: dict[str, Any]) -> str:
    """The chain hash of a row given as its columns (what `_link` inserts)."""
    content = {name: row[name] for name in _HASHED}
    content["at"] = iso(row["at"])
    return hashlib.sha256(row["prev_hash"].encode() + canonical(content)).hexdigest()


def row_hash(entry: AuditEntry) -> str:
    return _hash_of({name: getattr(entry, name) for name in (*_HASHED, "prev_hash")})


def keys_of(session: Session) -> AuditKeys:
    keys: AuditKeys | None = session.info.get(KEYS)
    if keys is None:
        raise RuntimeError("audit: session without audit keys; open sessions through app/db.py's Database")
    return keys


# Built once and run on the driver's cursor (infra/driver.py): every meeting event appends a row (the chair's
# taps). The three columns only, not the row (its `data` may be large).
_LAST = select(AuditEntry.id, AuditEntry.hash, AuditEntry.mac).order_by(col(AuditEntry.id).desc()).limit(1)
_READ_LAST = DriverStatement(_LAST)
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_ENTRIES = AuditEntry.__table__  # type: ignore[attr-defined]
_INSERT = DriverStatement(insert(_ENTRIES).values({name: bindparam(name) for name in _ENTRIES.c.keys()}))
LOCKED = "ecabinet_audit_locked"  # this transaction holds the append lock (PostgreSQL)
# The append lock as a column a caller's statement can return (`must_lock`).
LOCK = func.pg_advisory_xact_lock(literal(_LOCK_KEY, BigInteger))


def must_lock(session: Session) -> bool:
    """Whether this transaction has yet to take the append lock (PostgreSQL only: SQLite's writer holds the
    database). A caller whose statement runs before its first append may take it there, returning `LOCK`, and
    then say so with `locked(session)`: a round trip fewer (meetings/events.py, the meeting's next seq: every
    meeting event appends). The tail is still read by a later statement, so it sees every append committed
    before the lock was granted."""
    return LOCKED not in session.info and session.get_bind().dialect.name == "postgresql"


def locked(session: Session) -> None:
    session.info[LOCKED] = True


@lru_cache(maxsize=8)
def _plain(statement: Insert) -> DriverStatement:
    return DriverStatement(statement)


@lru_cache(maxsize=8)
def _with_tail(statement: Insert) -> DriverStatement:
    return DriverStatement(_LAST.add_cte(statement.cte("written")))


def insert_reading_tail(session: Session, statement: Insert, params: dict[str, Any]) -> None:
    """Runs `statement`, an INSERT of the caller's with its values bound by name, before an append. Once this
    transaction holds the append lock (PostgreSQL, `locked`) and has not read the tail yet, the same statement
    reads it (the INSERT as a WITH clause): one round trip for both (meetings/events.py: every meeting event's
    row). Taken after the lock was granted, the statement's snapshot holds every append committed before."""
    if session.info.get(LOCKED) and TAIL not in session.info:
        session.info[TAIL] = _found(_with_tail(statement).first(session, **params))
    else:
        _plain(statement).run(session, **params)


def _found(last: Any) -> tuple[int, str, bool]:
    return (last[0] or 0, last[1], bool(last[2])) if last else (0, GENESIS, True)


def _tail(session: Session) -> tuple[int, str, bool]:
    cached: tuple[int, str, bool] | None = session.info.get(TAIL)
    if cached is not None:
        return cached
    if must_lock(session):
        session.execute(_ADVISORY_LOCK, {"k": _LOCK_KEY})
        locked(session)
    # the three columns only, not the row (its `data` may be large): every tap of the chair's reads it
    found = _found(_READ_LAST.first(session))
    # kept for the rest of the transaction: `append` and the `_link` it calls read the tail once, not twice
    session.info[TAIL] = found
    return found


def _link(
    session: Session,
    keys: AuditKeys,
    *,
    type: str,
    data: Any,
    stored: bool,
    actor_id: int | None,
    meeting_id: int | None,
    event_seq: int | None,
    summary: str,
) -> dict[str, Any]:
    last_id, last_hash, _ = _tail(session)
    row: dict[str, Any] = {
        "id": last_id + 1,
        "at": realnow(),
        "actor_id": actor_id,
        "meeting_id": meeting_id,
        "event_seq": event_seq,
        "type": type,
        "summary": summary[:500],
        "data_hash": digest(data),
        "data": data if stored else None,
        "prev_hash": last_hash,
    }
    row["hash"] = _hash_of(row)
    row["mac"] = keys.mac(row["hash"])
    # Written now, as columns (no ORM object, no unit of work: a row that is never changed; every chair's tap
    # appends one), and rows appended by audit/facts.py while a flush runs go in with it.
    _INSERT.run(session, **row)
    session.info[TAIL] = (row["id"], row["hash"], True)
    if type in MEANINGFUL:
        session.info[DUE] = True
    return row


def _anchor(session: Session, keys: AuditKeys, last_id: int, last_hash: str) -> None:
    """Rows without a MAC at the tail: an upgraded installation (adopt the state as found), or, when
    checkpoints already exist, MACs stripped in the database: then nothing is adopted, so the verifier
    still reports every state difference besides the lost MACs."""
    first = not any(keys.checkpoint_dir.glob("*.jsonl"))
    _link(
        session,
        keys,
        type="audit.anchored",
        data={"legacy_rows": last_id, "legacy_head": last_hash, "adopted": first},
        stored=True,
        actor_id=None,
        meeting_id=None,
        event_seq=None,
        summary=f"Neo {last_id} bản ghi cũ (ghi trước khi có khóa nhật ký) vào chuỗi có khóa"
        if first
        else f"{last_id} bản ghi mất mã xác thực (MAC) dù đã có điểm kiểm: neo lại, không tiếp nhận trạng thái",
    )
    if first:
        for adopt in _on_first_anchor:
            adopt(session)


def append(
    session: Session,
    *,
    type: str,
    data: Any,
    actor_id: int | None,
    meeting_id: int | None = None,
    event_seq: int | None = None,
    summary: str = "",
    stored: bool = False,
) -> dict[str, Any]:
    """Add the next row. `stored` keeps `data` itself in the row (facts the verifier compares), otherwise only
    its hash. The first keyed row after rows written before the key existed is preceded by an
    'audit.anchored' row that names them and fixes their head hash under the MAC."""
    keys = keys_of(session)
    last_id, last_hash, keyed = _tail(session)
    if not keyed:
        _anchor(session, keys, last_id, last_hash)
    return _link(
        session,
        keys,
        type=type,
        data=data,
        stored=stored,
        actor_id=actor_id,
        meeting_id=meeting_id,
        event_seq=event_seq,
        summary=summary,
    )
