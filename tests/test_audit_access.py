"""No other route reads the audit log: only the audit package (and ledger/, which appends) touches its table,
and its routes answer the admin alone (the denied/allowed pairs are in tests/test_audit.py)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ledger/ holds the log's table and its hash chain (the one writer every domain appends through), audit/ reads it.
WRITERS = {"audit", "ledger", "migrations", "tests", "bench"}
READING = (
    "AuditEntry",
    "audit_entry",
    "from audit import services",
    "from audit.services",
    "from audit.verify",
    "from audit import verify",
    "from ledger.models",
    "import ledger.models",
)


def test_only_the_audit_package_reads_the_log_table() -> None:
    readers = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in WRITERS or rel.parts[0].startswith("."):
            continue
        source = path.read_text(encoding="utf-8")
        if any(marker in source for marker in READING):
            readers.append(str(rel))
    assert sorted(readers) == ["app/models.py"], readers  # it registers the table for metadata, nothing more
