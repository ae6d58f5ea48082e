"""`ecabinet audit verify` as cron runs it: a real process; exit 0 on an intact log, 1 with the findings
named otherwise; user creation from the command line is in the log like any other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import create_engine, text


def run(data_dir: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECABINET_DATA_DIR": str(data_dir)}
    if password is not None:
        env["ECABINET_NEW_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_verify_exits_zero_when_intact_and_one_naming_each_problem(tmp_path: Path) -> None:
    for name, role, full_name in (("quantri", "admin", "Người Quản Trị"), ("thanhvien", "member", "Người Thử")):
        made = run(tmp_path, "createuser", name, "--full-name", full_name, "--role", role, password="Dai-va-manh-2026")
        assert made.returncode == 0, made.stderr
    clean = run(tmp_path, "audit", "verify")
    assert clean.returncode == 0 and "KẾT LUẬN: NGUYÊN VẸN" in clean.stdout, clean.stdout + clean.stderr
    pem = run(tmp_path, "audit", "public-key").stdout
    (tmp_path / "org.pub").write_text(pem)
    assert run(tmp_path, "audit", "verify", "--public-key", str(tmp_path / "org.pub")).returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'ecabinet.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE \"user\" SET role = 'admin' WHERE username = 'thanhvien'"))
        conn.execute(text("DELETE FROM audit_entry WHERE id = (SELECT max(id) FROM audit_entry)"))
    engine.dispose()
    bad = run(tmp_path, "audit", "verify")
    assert bad.returncode == 1 and "KẾT LUẬN: CÓ VẤN ĐỀ" in bad.stdout, bad.stdout + bad.stderr
    assert "(thanhvien) là quản trị trong cơ sở dữ liệu" in bad.stdout and "các bản ghi cuối đã bị xóa" in bad.stdout
    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "other.pub").write_bytes(stranger)
    forged = run(tmp_path, "audit", "verify", "--public-key", str(tmp_path / "other.pub"))
    assert forged.returncode == 1 and "chữ ký không hợp lệ" in forged.stdout


def test_the_demo_data_is_in_the_log_and_verifies(tmp_path: Path) -> None:
    loaded = run(tmp_path, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr
    verdict = run(tmp_path, "audit", "verify")
    assert verdict.returncode == 0 and "KẾT LUẬN: NGUYÊN VẸN" in verdict.stdout, verdict.stdout + verdict.stderr
