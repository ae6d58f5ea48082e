"""Written polls benchmark: closing a poll with 500 voters and 10 questions (tally of every question, results
stored, audit fact, notifications recorded: one write transaction) and rendering its summary report PDF,
beside a reference measured in the same run (a read transaction that loads one member's inbox).

    .venv/bin/python bench/polls.py [--voters 500] [--questions 10] [--runs 15] [--backends sqlite,postgres]

Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text, update
from sqlmodel import col, select

from _common import machine, pct
from core.actor import Actor
from accounts.models import GlobalRole, User
from app.db import Database
from app.migrate import upgrade
from ledger.keys import AuditKeys
from polls import closing, views
from polls.models import Choice, Poll, PollAnswer, PollQuestion, PollState, PollVoter, Silence
from polls.pdf import report_pdf

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TZ = "Asia/Ho_Chi_Minh"


def seed(db: Database, voters: int, questions: int) -> tuple[int, Actor, Actor]:
    """500 members, one open poll whose deadline has passed, ~90% of the voters having answered every question."""
    rng = random.Random(7)

    def write(session):
        users = [
            User(
                username=f"tv{i:04d}",
                full_name=f"Thành viên Chính phủ số {i}",
                title="Bộ trưởng",
                unit="Bộ Thử nghiệm",
                role=GlobalRole.member,
                password_hash="-",
            )
            for i in range(voters)
        ]
        staff = User(
            username="vanphong", full_name="Văn phòng Chính phủ", role=GlobalRole.secretariat, password_hash="-"
        )
        session.add_all([*users, staff])
        session.flush()
        poll = Poll(
            title="Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Đầu tư công",
            summary="Tóm tắt " * 50,
            state=PollState.open,
            chair_id=users[0].id,
            deadline_at=datetime.now(timezone.utc) - timedelta(seconds=1),
            silence_counts_as=Silence.agree,
            created_by=staff.id,
        )
        session.add(poll)
        session.flush()
        qs = [
            PollQuestion(
                poll_id=poll.id, position=i + 1, text=f"Câu hỏi {i + 1}: đồng ý với phương án của Bộ Tài chính?"
            )
            for i in range(questions)
        ]
        session.add_all(qs)
        session.add_all([PollVoter(poll_id=poll.id, user_id=u.id) for u in users])
        session.flush()
        rows = []
        for u in users:
            if rng.random() < 0.1:
                continue  # silent
            for q in qs:
                c = rng.choice([Choice.agree] * 6 + [Choice.disagree] * 3 + [Choice.other])
                rows.append(
                    PollAnswer(
                        poll_id=poll.id,
                        question_id=q.id,
                        user_id=u.id,
                        choice=c,
                        comment="Đề nghị làm rõ nguồn vốn." if c != Choice.agree else "",
                    )
                )
        session.add_all(rows)
        return poll.id, Actor.of(staff), Actor.of(users[1])

    return db.run_write(write).result


def reopen(*, session, poll_id: int) -> None:
    session.execute(update(Poll).where(col(Poll.id) == poll_id).values(state=PollState.open, closed_at=None))
    session.execute(update(PollQuestion).where(col(PollQuestion.poll_id) == poll_id).values(result=None))


def run(url: str, label: str, args: argparse.Namespace, keys_dir: Path) -> None:
    upgrade(url)
    db = Database(url, audit=AuditKeys.for_data_dir(keys_dir).ensure())
    try:
        pid, staff, member = seed(db, args.voters, args.questions)
        close_ms, ref_ms, pdf_ms = [], [], []
        for _ in range(args.runs):
            db.run_write(reopen, poll_id=pid)
            t0 = time.perf_counter()
            assert db.run_write(closing.close_poll, poll_id=pid).result is True
            close_ms.append((time.perf_counter() - t0) * 1000)
            for _ in range(5):  # the reference: a member's inbox read, same database, same moment
                t0 = time.perf_counter()
                db.run_read(views.inbox, actor=member)
                ref_ms.append((time.perf_counter() - t0) * 1000)
        found = db.run_read(closing.report_data, actor=staff, poll_id=pid)
        pages = 0
        for _ in range(max(3, args.runs // 3)):
            t0 = time.perf_counter()
            found = db.run_read(closing.report_data, actor=staff, poll_id=pid)
            pdf = report_pdf(
                detail=found["detail"],
                chair_name="Thủ tướng",
                chair_title="Thủ tướng Chính phủ",
                created=datetime.now(timezone.utc),
                tz=TZ,
            )
            pdf_ms.append((time.perf_counter() - t0) * 1000)
            pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
        with db.read_session() as s:
            answers = len(s.exec(select(PollAnswer.id).where(PollAnswer.poll_id == pid)).all())
        print(f"{label}: {args.voters} voters × {args.questions} questions, {answers} answers stored, {args.runs} runs")
        print(
            f"  close poll (tally, store results, audit, notify)  p50 {statistics.median(close_ms):7.1f} ms   p95 "
            f"{pct(close_ms, 95):7.1f} ms"
        )
        print(
            f"  summary report PDF (read + render, ~{pages} pages, {len(pdf) // 1024} KiB)  p50 "
            f"{statistics.median(pdf_ms):7.1f} ms   p95 {pct(pdf_ms, 95):7.1f} ms"
        )
        print(
            f"  reference: a member's inbox read                  p50 {statistics.median(ref_ms):7.1f} ms   p95 "
            f"{pct(ref_ms, 95):7.1f} ms"
        )
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voters", type=int, default=500)
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--backends", default="sqlite,postgres")
    args = ap.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-polls-") as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                run(f"sqlite:///{tmp}/polls.db", "SQLite", args, Path(tmp) / "keys-sqlite")
            elif backend == "postgres":
                name = f"bench_polls_{uuid.uuid4().hex[:8]}"
                try:
                    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                except Exception as exc:
                    print(f"PostgreSQL: skipped ({exc.__class__.__name__})")
                    continue
                try:
                    run(
                        f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                        "PostgreSQL",
                        args,
                        Path(tmp) / "keys-pg",
                    )
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    admin.dispose()


if __name__ == "__main__":
    main()
