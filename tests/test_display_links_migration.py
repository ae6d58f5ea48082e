"""0028_display_links_orphaned on a database whose hall-display links were made by people who have since lost
the meeting role they made them with: those links are revoked for good (made secretary again, the creator brings
none back); the secretariat's links and those of a secretary still in office keep working."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect, text

from app.db import Database
from app.migrate import upgrade

NOW = datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc)


def _filler(column: Any) -> Any:
    """A value for a NOT NULL column the test does not care about, by its type."""
    kind = column["type"]
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    if isinstance(kind, (sa.Integer, sa.Boolean)):
        return 0
    if isinstance(kind, (sa.DateTime, sa.Date)):
        return NOW
    return ""


def _insert(db: Database, table: str, **values: Any) -> None:
    """A row as the schema of the revision before holds it: the given values, fillers for the other required
    columns (the ORM's models have later columns)."""
    columns = inspect(db.engine).get_columns(table)
    row = dict(values)
    for c in columns:
        if c["name"] not in row and not c["nullable"] and c.get("default") is None and not c.get("autoincrement"):
            if c["name"] == "id":
                continue
            row[c["name"]] = _filler(c)
    names = ", ".join(f'"{n}"' for n in row)
    with db.engine.begin() as conn:
        conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(":" + n for n in row)})'), row)


def test_links_of_creators_without_their_meeting_role_are_revoked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0027_verify_indexes")
    db = Database(url)
    try:
        people = {1: "secretariat", 2: "member", 3: "member", 4: "member"}
        for uid, role in people.items():
            _insert(db, "user", id=uid, username=f"u{uid}", full_name=f"Người dùng {uid}", role=role, is_active=1)
        _insert(db, "meeting", id=1, title="Phiên họp thường kỳ", state="published")
        # 2 is still the meeting's secretary; 3 was and is a member now; 4 was removed from the meeting
        _insert(db, "participant", meeting_id=1, user_id=2, role="secretary")
        _insert(db, "participant", meeting_id=1, user_id=3, role="member")
        later = NOW + timedelta(days=1)
        for tid, creator in ((1, 1), (2, 2), (3, 3), (4, 4)):
            _insert(
                db,
                "display_token",
                id=tid,
                meeting_id=1,
                token_hash=f"{tid:064d}",
                created_by=creator,
                created_at=NOW,
                valid_until=later,
            )
        _insert(
            db,
            "display_token",
            id=5,
            meeting_id=1,
            token_hash=f"{5:064d}",
            created_by=3,
            created_at=NOW,
            valid_until=later,
            revoked_at=NOW - timedelta(hours=1),
        )
        upgrade(url, "0028_display_links_orphaned")
        with db.engine.connect() as conn:
            rows: dict[int, Any] = {r[0]: r[1] for r in conn.execute(text("SELECT id, revoked_at FROM display_token"))}
        assert rows[1] is None and rows[2] is None, "the secretariat's and a serving secretary's links keep working"
        assert rows[3] is not None and rows[4] is not None, "links of a former secretary are revoked for good"
        assert str(rows[5]).startswith("2026-12-05 00:00"), "an earlier revocation keeps its moment"
    finally:
        db.engine.dispose()
