"""The verifier: every row's link, content and MAC; the signed checkpoints outside the database (nothing
checkpointed may be missing or different: truncation, rewrite); and the stored state against the log's
facts. One verdict, used by /audit, /api/audit/verify and `ecabinet audit verify`."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session, col, select

from audit import checkpoints, statecheck
from ledger.chain import GENESIS, digest, keys_of, row_hash
from ledger.keys import AuditKeys, public_key_id
from ledger.models import AuditEntry
from core.clock import as_utc

EventData = Callable[[int, int], Any]


@dataclass
class ChainWalk:
    checked: int = 0
    first_broken_id: int | None = None
    reason: str = ""
    legacy_rows: int = 0
    keyed: int = 0
    mac_failures: int = 0

    def mark_broken(self, row_id: int | None, reason: str) -> None:
        if self.first_broken_id is None:
            self.first_broken_id, self.reason = row_id, reason


def _content_problem(entry: AuditEntry, event_data: EventData) -> str | None:
    if entry.data is not None and digest(entry.data) != entry.data_hash:
        return "dữ liệu lưu trong bản ghi đã bị sửa"
    if entry.meeting_id is not None and entry.event_seq is not None:
        data = event_data(entry.meeting_id, entry.event_seq)
        if data is None or digest(data) != entry.data_hash:
            return f"sự kiện {entry.event_seq} của cuộc họp {entry.meeting_id} đã bị sửa hoặc xóa"
    return None


def _walk(rows: list[AuditEntry], keys: AuditKeys, event_data: EventData) -> ChainWalk:
    walk, prev, anchored = ChainWalk(), GENESIS, False
    for expected_id, entry in enumerate(rows, start=1):
        walk.checked += 1
        if entry.id != expected_id:
            walk.mark_broken(entry.id, f"thiếu bản ghi {expected_id} (đã bị xóa?)")
        elif entry.prev_hash != prev:
            walk.mark_broken(entry.id, "liên kết tới bản ghi trước không khớp")
        elif row_hash(entry) != entry.hash:
            walk.mark_broken(entry.id, "nội dung bản ghi đã bị sửa")
        elif (problem := _content_problem(entry, event_data)) is not None:
            walk.mark_broken(entry.id, problem)
        if not entry.mac:
            if walk.keyed or anchored:
                walk.mark_broken(entry.id, "bản ghi không có mã xác thực (MAC) sau khi nhật ký đã có khóa")
            walk.legacy_rows += 1
        else:
            if not walk.keyed and walk.legacy_rows and entry.type != "audit.anchored":
                walk.mark_broken(entry.id, "các bản ghi cũ (không có mã xác thực) chưa được neo")
            walk.keyed += 1
            if not keys.mac_ok(entry.hash, entry.mac):
                walk.mac_failures += 1
                walk.mark_broken(
                    entry.id, "mã xác thực (MAC) sai: bản ghi đã bị ghi lại bởi người không có khóa nhật ký"
                )
            if entry.type == "audit.anchored" and not anchored:
                anchored = True
                if (entry.data or {}).get("legacy_rows") != walk.legacy_rows or (entry.data or {}).get(
                    "legacy_head"
                ) != prev:
                    walk.mark_broken(entry.id, "các bản ghi cũ trước điểm neo đã bị sửa")
        prev = entry.hash
    if walk.legacy_rows and not anchored and walk.keyed:
        walk.mark_broken(
            rows[walk.legacy_rows].id if walk.legacy_rows < len(rows) else None, "các bản ghi cũ chưa được neo"
        )
    return walk


def _month(entry: AuditEntry) -> str:
    at = as_utc(entry.at)
    return f"{at:%Y-%m}" if at else ""


@dataclass
class CheckpointReport:
    problems: list[str] = field(default_factory=list)
    count: int = 0
    last: dict[str, Any] | None = None
    uncovered_rows: int = 0
    mac_keys: set[str | None] = field(default_factory=set)


def _checkpoints(rows: list[AuditEntry], keys: AuditKeys, public: Ed25519PublicKey) -> CheckpointReport:
    found, problems = checkpoints.read(keys, public)
    report = CheckpointReport(problems=problems, count=len(found), mac_keys={cp.body.get("mac_key") for cp in found})
    by_id = {r.id: r for r in rows}
    ids = [r.id or 0 for r in rows]  # ascending: rows come ordered by id
    last_id = rows[-1].id if rows else 0
    for cp in found:
        b, when = cp.body, keys.local_time(cp.body.get("at"))
        row = by_id.get(b["row_id"])
        if row is None and (last_id or 0) < b["row_id"]:
            problems.append(
                f"nhật ký kết thúc ở bản ghi #{last_id} nhưng điểm kiểm lúc {when} đã ghi nhận bản ghi #{b['row_id']}: "
                "các bản ghi cuối đã bị xóa"
            )
        elif row is None or row.hash != b["hash"]:
            problems.append(f"bản ghi #{b['row_id']} khác với điểm kiểm lúc {when}: nhật ký đã bị ghi lại")
        elif not keys.mac_ok(row.hash, row.mac):
            problems.append(
                f"bản ghi #{b['row_id']} đã được niêm phong khi lập điểm kiểm lúc {when} nhưng nay mất mã xác thực đúng"
            )
        elif bisect_right(ids, b["row_id"]) != b["count"]:
            problems.append(f"số bản ghi tới #{b['row_id']} khác với điểm kiểm lúc {when}")
        if b.get("mac_key") != keys.mac_key_id():
            problems.append(
                f"điểm kiểm lúc {when} được lập với khóa nhật ký khác ({b.get('mac_key')}; hiện có "
                f"{keys.mac_key_id()}): sai tệp khóa?"
            )
    keyed = [r for r in rows if r.mac]
    months = {cp.file.removesuffix(".jsonl") for cp in found}
    for month in sorted({_month(r) for r in keyed} - months):
        problems.append(f"không có tệp điểm kiểm {month}.jsonl dù nhật ký có bản ghi trong tháng đó (tệp đã bị xóa?)")
    if found:
        top = max(found, key=lambda c: c.body["row_id"])
        report.last = {
            "at": top.body["at"],
            "at_local": keys.local_time(top.body["at"]),
            "row_id": top.body["row_id"],
            "signer": top.body["signer"],
            "file": top.file,
        }
        report.uncovered_rows = len(ids) - bisect_right(ids, top.body["row_id"])
    return report


def verify(session: Session, *, event_data: EventData, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    keys = keys_of(session)
    public = public_key or keys.public_key()
    rows = list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all())
    walk = _walk(rows, keys, event_data)
    cps = _checkpoints(rows, keys, public)
    mismatches = statecheck.mismatches(session, rows)
    if walk.keyed and walk.mac_failures == walk.keyed and cps.mac_keys and keys.mac_key_id() not in cps.mac_keys:
        walk.reason = (
            "khóa nhật ký không khớp: không bản ghi nào được niêm phong bằng khóa hiện có và các điểm kiểm "
            "được lập với khóa khác (sai tệp khóa ECABINET_AUDIT_KEY_FILE?)"
        )
    chain_ok = walk.first_broken_id is None and not walk.reason
    return {
        "ok": chain_ok and not cps.problems and not mismatches,
        "checked": walk.checked,
        "chain_ok": chain_ok,
        "mac_ok": walk.mac_failures == 0,
        "first_broken_id": walk.first_broken_id,
        "reason": walk.reason,
        "legacy_rows": walk.legacy_rows,
        "checkpoints": {
            "count": cps.count,
            "last": cps.last,
            "problems": cps.problems,
            "uncovered_rows": cps.uncovered_rows,
            "signer": public_key_id(public),
        },
        "mismatches": mismatches,
    }
