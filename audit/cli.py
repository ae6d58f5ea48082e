"""`ecabinet audit verify`: the same verdict as the admin's /audit page, for cron; exits 1 when anything is
wrong. `--public-key` checks the checkpoints against an organisation public key kept elsewhere (PEM), so a
server whose signing key was replaced cannot vouch for itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def load_public_key(path: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise SystemExit(f"Lỗi: {path} không phải khóa công khai Ed25519.")
    return key


def report_lines(v: dict[str, Any]) -> list[str]:
    cps = v["checkpoints"]
    lines = [
        f"Nhật ký: {v['checked']} bản ghi; chuỗi băm {'nguyên vẹn' if v['chain_ok'] else 'BỊ PHÁ VỠ'}; "
        f"mã xác thực (MAC) {'đúng' if v['mac_ok'] else 'SAI'}"
    ]
    if v["first_broken_id"] is not None or v["reason"]:
        lines.append(f"  Bản ghi hỏng đầu tiên: #{v['first_broken_id']}: {v['reason']}")
    if v["legacy_rows"]:
        lines.append(f"  {v['legacy_rows']} bản ghi cũ ghi trước khi có khóa nhật ký (được neo, chỉ kiểm chuỗi băm)")
    last = cps["last"]
    lines.append(
        f"Điểm kiểm: {cps['count']}; gần nhất: "
        + (
            f"bản ghi #{last['row_id']} lúc {last['at_local']}, ký bởi khóa tổ chức {last['signer']}"
            if last
            else "không có"
        )
    )
    if cps["uncovered_rows"]:
        lines.append(f"  {cps['uncovered_rows']} bản ghi sau điểm kiểm gần nhất (chưa được neo)")
    lines += [f"  ĐIỂM KIỂM: {p}" for p in cps["problems"]]
    n = len(v["mismatches"])
    lines.append(f"Trạng thái lưu trữ so với nhật ký: {f'{n} chỗ khác' if n else 'khớp'}")
    lines += [f"  KHÁC: {m}" for m in v["mismatches"]]
    lines.append("KẾT LUẬN: NGUYÊN VẸN" if v["ok"] else "KẾT LUẬN: CÓ VẤN ĐỀ")
    return lines


def verify_command(db: Any, *, public_key: str | None, as_json: bool) -> int:
    """Verify the log of `db` (app/db.py's Database, opened with the audit keys by the CLI; closed here)."""
    from audit.services import stored_event_data
    from audit.verify import verify

    try:
        key = load_public_key(public_key) if public_key else None
        v = db.run_read(lambda session: verify(session, event_data=stored_event_data(session), public_key=key))
    finally:
        db.dispose()
    print(json.dumps(v, ensure_ascii=False, indent=2) if as_json else "\n".join(report_lines(v)))
    return 0 if v["ok"] else 1


def print_public_key(settings: Any) -> int:
    from ledger.keys import AuditKeys

    public = AuditKeys.from_settings(settings).public_key()
    print(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        end="",
    )
    return 0
