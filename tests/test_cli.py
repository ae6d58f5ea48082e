"""The `ecabinet` command as an operator runs it (a real process, a real database file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, create_engine, select

from accounts.models import User
from meetings.models import Meeting, MeetingRole, Participant


def run(tmp_path: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECABINET_DATA_DIR": str(tmp_path)}
    if password is not None:
        env["ECABINET_NEW_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_demo_loads_a_cabinet_of_27_and_running_it_again_keeps_data(tmp_path: Path) -> None:
    first = run(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "thutuong" in first.stdout and "Thủ tướng Chính phủ" in first.stdout
    engine = create_engine(f"sqlite:///{tmp_path / 'ecabinet.db'}")
    with Session(engine) as s:
        meeting = s.exec(select(Meeting).where(Meeting.title == "Phiên họp Chính phủ thường kỳ tháng 11/2026")).one()
        assert meeting.state == "published" and meeting.id == 1  # the browser tests' meeting 1
        roles = [p.role for p in s.exec(select(Participant).where(Participant.meeting_id == meeting.id)).all()]
        assert (
            roles.count(MeetingRole.chair) + roles.count(MeetingRole.member) == 27
            and roles.count(MeetingRole.guest) == 1
        )
        users_before = len(s.exec(select(User)).all())
    again = run(tmp_path, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    with Session(engine) as s:
        assert len(s.exec(select(Meeting)).all()) == 3 and len(s.exec(select(User)).all()) == users_before
    engine.dispose()


def test_createuser_enforces_the_password_policy(tmp_path: Path) -> None:
    weak = run(tmp_path, "createuser", "botruong", "--full-name", "Bộ trưởng Thử", password="demo")
    assert weak.returncode == 2 and "ít nhất 10 ký tự" in weak.stderr
    ok = run(
        tmp_path,
        "createuser",
        "botruong",
        "--full-name",
        "Bộ trưởng Thử",
        "--role",
        "secretariat",
        password="Dai-va-manh-2026",
    )
    assert ok.returncode == 0, ok.stderr
    engine = create_engine(f"sqlite:///{tmp_path / 'ecabinet.db'}")
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == "botruong")).one()
        assert (
            user.full_name == "Bộ trưởng Thử"
            and user.role == "secretariat"
            and user.password_hash.startswith("$argon2id$")
        )
    engine.dispose()
