"""Minutes generation benchmark through the real services on SQLite: a 4-hour scripted session (30 items,
300 speeches, 20 votes of every kind, 27 members + chair), then per run: read the facts from the database,
build the draft (pure), render the PDF and the DOCX, finalise (stores the PDF), sign as the secretary and as
the chair (PAdES, demo CA) and verify. p50 of N runs per phase (run 1 includes lazy imports and font loading).

    .venv/bin/python bench/minutes_generation.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update
from sqlmodel import col, select

from accounts import passwords
from app.db import Database
from app.domains import register_speakers
from app.migrate import upgrade
from meetings import participation, services as meetings
from meetings.models import Meeting
from meetings.schemas import CheckInRequest
from minutes import builder, conclusions, facts, services, signoff
from minutes.docx import render_docx
from ledger.keystore import KeyStore
from minutes.pdf import render_pdf
from minutes.signing import sign_pdf, verify_pdf
from speakers import services as speakers
from speakers.models import SpeakerRequest
from speakers.schemas import SpeakRequest
from tests.factories import PASSWORD, call, make_cabinet
from tests.minutes_helpers import signer_keys
from tests.vote_helpers import cast_secret, decrypt, enrol_trustees
from votes import casting, services as votes
from votes.models import VoteKind
from votes.schemas import VoteCreate

ITEMS, SPEECHES, VOTES, MEMBERS = 30, 300, 20, 27


def scripted(db: Database, data_dir: Path):
    register_speakers()
    c = make_cabinet(db, n_members=MEMBERS, n_items=ITEMS)
    for actor in (c.chair, *c.members):
        call(db, participation.check_in, actor=actor, meeting_id=c.meeting_id, data=CheckInRequest())
    call(db, meetings.start_meeting, actor=c.chair, meeting_id=c.meeting_id, force=True)
    kinds = [VoteKind.open, VoteKind.named, VoteKind.secret]
    secret_keys: list[bool] = []
    for i, item in enumerate(c.item_ids):
        if i:
            call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
        for k in range(SPEECHES // ITEMS):
            call(
                db,
                speakers.request_floor,
                actor=c.chair,
                meeting_id=c.meeting_id,
                data=SpeakRequest(user_id=c.members[(i + k) % MEMBERS].id),
            )
        if i < VOTES:
            vote = call(
                db,
                votes.create_vote,
                actor=c.secretary,
                meeting_id=c.meeting_id,
                data=VoteCreate(
                    agenda_item_id=item, question=f"Thông qua nội dung số {i + 1} về đầu tư công?", kind=kinds[i % 3]
                ),
            )
            if kinds[i % 3] == VoteKind.secret and not secret_keys:
                enrol_trustees(db, c)
                secret_keys.append(True)
            vote = call(db, votes.open_vote, actor=c.chair, vote_id=vote["id"])
            options = [o["id"] for o in vote["options"]]
            for n, voter in enumerate((c.chair, *c.members)):
                if vote["kind"] == "secret":  # encrypted, as a tablet does
                    cast_secret(db, voter, vote, vote["options"][0 if n % 5 else 1]["kind"])
                else:
                    call(db, casting.cast, actor=voter, vote_id=vote["id"], option_id=options[0 if n % 5 else 1])
            call(db, votes.close_vote, actor=c.chair, vote_id=vote["id"])
            if vote["kind"] == "secret":
                decrypt(db, c, vote)
        call(
            db,
            conclusions.save_conclusion,
            actor=c.staff,
            meeting_id=c.meeting_id,
            item_id=item,
            base_revision=0,
            text=f"Chính phủ thống nhất nội dung số {i + 1}; giao bộ chủ trì hoàn thiện, trình ký ban hành.",
        )
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    _spread_over_four_hours(db, c.meeting_id)
    signer_keys(data_dir, c)
    return c


def _spread_over_four_hours(db: Database, meeting_id: int) -> None:
    """The script runs in seconds; give the rows a 4-hour session's wall clock (08:00-12:00 Hanoi)."""
    start = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
    with db.write_session() as session:
        session.execute(
            update(Meeting)
            .where(col(Meeting.id) == meeting_id)
            .values(started_at=start, ended_at=start + timedelta(hours=4))
        )
        rows = list(
            session.exec(
                select(SpeakerRequest).where(SpeakerRequest.meeting_id == meeting_id).order_by(col(SpeakerRequest.id))
            )
        )
        step = timedelta(hours=4) / max(1, len(rows))
        for n, r in enumerate(rows):
            r.started_at, r.ended_at = start + n * step, start + n * step + step * 0.8
        session.commit()


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    passwords.configure(time_cost=1, memory_cost=1024)
    data_dir = Path(tempfile.mkdtemp(prefix="ecabinet-bench-minutes-"))
    url = f"sqlite:///{data_dir / 'ecabinet.db'}"
    upgrade(url)
    db = Database(url)
    t0 = time.perf_counter()
    c = scripted(db, data_dir)
    print(
        f"scripted session through the services: {time.perf_counter() - t0:.1f} s "
        f"({ITEMS} items, {SPEECHES} speeches, {VOTES} votes, {MEMBERS + 1} voting members)"
    )
    store = KeyStore.for_data_dir(data_dir)
    phases: dict[str, list[float]] = {}
    pages = 0
    for run in range(args.runs):
        f, ms = timed(lambda: db.run_read(lambda session: facts.gather(session, c.meeting_id)))
        phases.setdefault("read facts (SQLite)", []).append(ms)
        draft, ms = timed(lambda: builder.build(f, db.run_read(lambda session: facts.edits_of(session, c.meeting_id))))
        phases.setdefault("build draft (pure)", []).append(ms)
        pdf, ms = timed(lambda: render_pdf(draft.doc))
        phases.setdefault("render PDF", []).append(ms)
        _, ms = timed(lambda: render_docx(draft.doc))
        phases.setdefault("render DOCX", []).append(ms)
        if run:
            call(db, services.new_version, actor=c.staff, meeting_id=c.meeting_id)
        _, ms = timed(lambda: call(db, services.finalise, actor=c.staff, meeting_id=c.meeting_id))
        phases.setdefault("finalise (read+build+render+store)", []).append(ms)
        for who, label in ((c.secretary, "sign: secretary"), (c.chair, "sign: chair")):

            def one() -> None:
                job = db.run_read(signoff.prepare_signature, actor=who, meeting_id=c.meeting_id)
                signed = sign_pdf(
                    job.pdf,
                    store=store,
                    user_id=job.username,
                    password=PASSWORD,
                    field_name=job.field_name,
                    reason=job.reason,
                    location=job.location,
                    signer_name=job.full_name,
                )
                call(db, signoff.store_signature, actor=who, job=job, pdf=signed)

            _, ms = timed(one)
            phases.setdefault(label, []).append(ms)
        final = db.run_read(services.get_pdf, actor=c.members[0], meeting_id=c.meeting_id).data
        report, ms = timed(lambda: verify_pdf(final, store.trusted_roots()))
        assert report.ok, report.summary
        phases.setdefault("verify (2 signatures)", []).append(ms)
        import pypdfium2 as pdfium

        pages = len(pdfium.PdfDocument(pdf))
    print(f"PDF: {pages} pages; p50 of {args.runs} runs (ms):")
    for name, values in phases.items():
        print(f"  {name:<38} p50 {statistics.median(values):8.1f}   runs {' '.join(f'{v:.0f}' for v in values)}")
    total = sum(
        statistics.median(phases[k]) for k in ("finalise (read+build+render+store)", "sign: secretary", "sign: chair")
    )
    print(f"  {'finalise + both signatures':<38} p50 {total:8.1f}")
    db.dispose()


if __name__ == "__main__":
    main()
