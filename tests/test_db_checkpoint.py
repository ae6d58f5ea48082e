"""SQLite's WAL goes back into the database file in the background (infra/db.py: Checkpoints), never inside a
COMMIT: a write's caller does not wait for the copy and its fsyncs, and the data still reaches the file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import text

from infra.db import Database
from tests.waiting import eventually_sync


def rows_in_file_alone(db_path: Path, copy: Path) -> int:
    """Rows readable from the main database file without its WAL (what a checkpoint copied back)."""
    shutil.copyfile(db_path, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute("SELECT count(*) FROM note").fetchone()[0])
    except sqlite3.DatabaseError:  # the table is still only in the WAL (or the copy caught a checkpoint mid-way)
        return 0
    finally:
        conn.close()


def test_commits_leave_the_wal_to_the_background_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = Database(f"sqlite:///{path}")
    try:
        db.run_write(lambda session: session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body BLOB)")))
        # No connection copies the WAL at COMMIT (SQLite's default would, past 1000 pages).
        assert db.run_read(lambda session: session.execute(text("PRAGMA wal_autocheckpoint")).scalar()) == 0

        def add(session: Any, i: int) -> None:
            session.execute(text("INSERT INTO note (id, body) VALUES (:i, randomblob(4096))"), {"i": i})

        for i in range(300):  # ~1200 WAL pages: past SQLite's own threshold
            db.run_write(add, i=i)
        # Every committed row reaches the database file itself, without any reader or writer asking.
        # By the background thread: the count goes up just after the copy, so it is awaited with it.
        eventually_sync(
            lambda: rows_in_file_alone(path, tmp_path / "copy.db") == 300 and db.checkpoints >= 1,
            "the WAL copied back by the background checkpoint",
        )
    finally:
        db.dispose()
