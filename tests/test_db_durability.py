"""An answered write is on the disk: SQLite syncs its WAL inside every COMMIT (infra/db.py, `synchronous=FULL`),
so a power cut after the answer (a cast's receipt, a signature) loses nothing. Watched from outside the process
with strace: between two answered writes, the WAL file was synced. On PostgreSQL a connection whose server or
role turned `synchronous_commit` off is set back on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from infra.db import Database
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parent.parent

WRITER = textwrap.dedent(
    """
    import os, sys
    from sqlalchemy import text
    from infra.db import Database

    db = Database("sqlite:///" + sys.argv[1])
    db.run_write(lambda session: session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")))
    for i in range(12):
        db.run_write(lambda session: session.execute(text("INSERT INTO note (body) VALUES ('phiếu')")))
        os.write(2, b"answered\\n")  # what the caller is told: after the write's COMMIT returned
    db.dispose()
    """
)


def test_every_sqlite_commit_is_on_the_disk_before_it_is_answered(tmp_path: Path) -> None:
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed (.ci/run installs it)")
    log = tmp_path / "syscalls.txt"
    run = subprocess.run(
        [strace, "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,write", "-o", str(log)]
        + [sys.executable, "-c", WRITER, str(tmp_path / "x.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if run.returncode != 0 and "ptrace" in run.stderr:
        pytest.skip(f"this machine forbids ptrace: {run.stderr.strip()[:200]}")
    assert run.returncode == 0, run.stderr
    # Walk the writing thread's calls in order (strace -f prefixes each with its thread id; a call another thread
    # interrupts is printed as "<unfinished ...>" and resumed later, its start line keeps the name and the file).
    # A failed sync fails the COMMIT and the script, so its start is enough. The background checkpoint thread
    # also syncs the WAL, now and then: only the writer's own syncs count.
    lines = [line.split(None, 1) for line in log.read_text(errors="replace").splitlines() if " " in line]
    writer = next(pid for pid, call in lines if '"answered\\n"' in call)
    synced, answers = False, 0
    for pid, call in lines:
        if pid != writer:
            continue
        if re.match(r"(fdatasync|fsync)\(\d+<[^>]*x\.db-wal>", call):
            synced = True
        elif '"answered\\n"' in call:
            assert synced, f"write {answers + 1} was answered before its commit reached the disk"
            synced, answers = False, answers + 1
    assert answers == 12


def test_postgresql_commits_wait_for_the_disk_even_where_the_server_says_not_to() -> None:
    with fresh_database() as url:
        # the server's own setting for the connections of this URL: off (what a tuning guide may suggest)
        db = Database(f"{url}?options=-c%20synchronous_commit%3Doff")
        try:
            setting = db.run_read(lambda session: session.execute(text("SHOW synchronous_commit")).scalar())
            assert setting == "on"
            # a write commits as usual on such a connection
            db.run_write(lambda session: session.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY)")))
            assert db.run_read(lambda session: session.execute(text("SELECT count(*) FROM note")).scalar()) == 0
        finally:
            db.dispose()
        # a stronger setting is kept
        db = Database(f"{url}?options=-c%20synchronous_commit%3Dremote_apply")
        try:
            setting = db.run_read(lambda session: session.execute(text("SHOW synchronous_commit")).scalar())
            assert setting == "remote_apply"
        finally:
            db.dispose()
