"""0013_ballots on a database with secret votes cast the old way: the counters' table goes, a closed vote keeps
its result (no board: it predates encryption), an open one goes back to draft with its voter records removed,
and the voter table no longer keeps the order of voting (SQLite: WITHOUT ROWID)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from pathlib import Path

from sqlalchemy import inspect, text

from app.db import Database
from app.migrate import upgrade


def test_upgrade_moves_secret_votes_without_their_counters(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0012_search")
    db = Database(url)
    try:
        # rows as the schema of 0012 holds them (the ORM's User has later columns)
        with db.engine.begin() as c:
            for uid in (1, 2, 3):
                c.execute(
                    text(
                        "INSERT INTO user (id, username, full_name, title, unit, role, password_hash, is_active, "
                        "created_at) VALUES (:id, :name, 'Người dùng Thử', 'Bộ trưởng', 'Bộ Thử nghiệm', 'member', "
                        "'x', 1, '2026-01-01')"
                    ),
                    {"id": uid, "name": f"u{uid}-member"},
                )
        users = [SimpleNamespace(id=uid) for uid in (1, 2, 3)]
        result = {"passed": True, "counts": {"1": 2, "2": 1, "3": 0}, "voted_count": 3}
        with db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO meeting (id, title, kind, mode, place, description, state, created_at, last_seq) "
                    "VALUES (1, 'Phiên họp', 'regular', 'in_room', '', '', 'started', '2026-01-01', 0)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO agenda_item (id, meeting_id, position, title, presenter, planned_minutes, notes, "
                    "state) "
                    "VALUES (1, 1, 1, 'Nhân sự', '', 15, '', 'pending')"
                )
            )
            for vid, state, res in ((1, "closed", json.dumps(result)), (2, "open", None)):
                c.execute(
                    text(
                        "INSERT INTO vote (id, meeting_id, agenda_item_id, question, kind, rule, state, "
                        "eligible_count, voted_count, revision, tally_revision, result, created_at, opened_at) "
                        "VALUES (:v, 1, 1, 'Tín nhiệm?', "
                        "'secret', 'all_members', :s, 3, 3, 3, 3, :r, '2026-01-01', '2026-01-01')"
                    ),
                    {"v": vid, "s": state, "r": res},
                )
                for pos, kind in enumerate(("yes", "no", "abstain"), start=1):
                    oid = (vid - 1) * 3 + pos
                    c.execute(
                        text(
                            "INSERT INTO vote_option (id, vote_id, position, label, kind) VALUES (:o, :v, :p, :k, :k)"
                        ),
                        {"o": oid, "v": vid, "p": pos, "k": kind},
                    )
                    c.execute(
                        text("INSERT INTO vote_secret_tally (vote_id, option_id, count) VALUES (:v, :o, :n)"),
                        {"v": vid, "o": oid, "n": 3 - pos},
                    )
                for u in reversed(users):  # the old table kept this order in its rowid
                    c.execute(text("INSERT INTO vote_voter (vote_id, user_id) VALUES (:v, :u)"), {"v": vid, "u": u.id})
        upgrade(url)
        with db.engine.connect() as c:
            assert "vote_secret_tally" not in inspect(c).get_table_names()
            ddl = c.execute(text("SELECT sql FROM sqlite_master WHERE name = 'vote_voter'")).scalar()
            assert ddl is not None and "WITHOUT ROWID" in ddl.upper()
            votes = {r.id: r for r in c.execute(text("SELECT id, state, voted_count, result, opened_at FROM vote"))}
            voters = c.execute(text("SELECT vote_id, user_id FROM vote_voter")).all()
            assert c.execute(text("SELECT count(*) FROM ballot_election")).scalar() == 0
        assert votes[1].state == "closed" and json.loads(votes[1].result)["counts"] == result["counts"]
        assert votes[2].state == "draft" and votes[2].voted_count == 0 and votes[2].opened_at is None
        assert sorted(voters) == sorted((1, u.id) for u in users)  # closed: who voted stays; open: members vote again
    finally:
        db.dispose()
