"""Appending to and verifying the hash chain. Appends are serialised: SQLite by the write transaction's
BEGIN IMMEDIATE, PostgreSQL by a transaction-scoped advisory lock, so the chain never forks."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from audit.models import AuditEntry
from core.clock import iso

GENESIS = "0" * 64
_LOCK_KEY = 0x65436162  # 'eCab': the advisory lock that orders appends on PostgreSQL


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def row_hash(entry: AuditEntry) -> str:
    content = {
        "id": entry.id, "at": iso(entry.at), "actor_id": entry.actor_id, "meeting_id": entry.meeting_id,
        "event_seq": entry.event_seq, "type": entry.type, "summary": entry.summary, "data_hash": entry.data_hash,
    }  # fmt: skip
    return hashlib.sha256(entry.prev_hash.encode() + canonical(content)).hexdigest()


def append(
    session: Session,
    *,
    type: str,
    data: Any,
    actor_id: int | None,
    meeting_id: int | None = None,
    event_seq: int | None = None,
    summary: str = "",
) -> AuditEntry:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    entry = AuditEntry(
        id=(last.id or 0) + 1 if last else 1,
        actor_id=actor_id,
        meeting_id=meeting_id,
        event_seq=event_seq,
        type=type,
        summary=summary[:500],
        data_hash=digest(data),
        prev_hash=last.hash if last else GENESIS,
        hash="",
    )
    entry.hash = row_hash(entry)
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "first_broken_id": self.first_broken_id, "reason": self.reason}


def verify(session: Session, *, event_data: Any) -> Verdict:
    """Walk the chain in order; name the first row whose content, link or referenced event does not match.
    `event_data(meeting_id, seq)` returns a stored event's data (None when the event is gone)."""
    prev = GENESIS
    expected_id = 1
    checked = 0
    for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)):
        checked += 1
        if entry.id != expected_id:
            return Verdict(False, checked, entry.id, f"thiếu bản ghi {expected_id} (đã bị xóa?)")
        if entry.prev_hash != prev:
            return Verdict(False, checked, entry.id, "liên kết tới bản ghi trước không khớp")
        if row_hash(entry) != entry.hash:
            return Verdict(False, checked, entry.id, "nội dung bản ghi đã bị sửa")
        if entry.meeting_id is not None and entry.event_seq is not None:
            data = event_data(entry.meeting_id, entry.event_seq)
            if data is None or digest(data) != entry.data_hash:
                return Verdict(False, checked, entry.id, f"sự kiện {entry.event_seq} của cuộc họp {entry.meeting_id} đã bị sửa hoặc xóa")
        prev = entry.hash
        expected_id += 1
    return Verdict(True, checked)
