"""The migration that creates the index fills it from what is already stored (meetings, agenda items, pages)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
from app.migrate import upgrade
from tests.factories import make_user
from tests.search_helpers import hits

FTS4_REVISION = "0025_search_fts4"


def _store_old_rows(db: Database) -> None:
    """A meeting, an agenda item and a document of two versions, written before the index existed."""
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO meeting (id, title, kind, mode, place, description, state, created_at, last_seq) "
                "VALUES (1, 'Phiên họp về đất đai', 'regular', 'in_room', '', '', 'draft', '2026-01-01', 0)"
            )
        )
        c.execute(
            text(
                "INSERT INTO agenda_item (id, meeting_id, position, title, presenter, planned_minutes, notes, "
                "state) "
                "VALUES (1, 1, 1, 'Quy hoạch cao tốc', 'Bộ Xây dựng', 15, '', 'pending')"
            )
        )
        c.execute(
            text(
                "INSERT INTO document (id, meeting_id, title, position, restricted, share_with_guests, "
                "current_version, created_at, updated_at) "
                "VALUES (1, 1, 'Tờ trình', 0, 0, 0, 2, '2026-01-01', '2026-01-01')"
            )
        )
        for vid, version in ((1, 1), (2, 2)):
            c.execute(
                text(
                    "INSERT INTO document_version (id, document_id, version, sha256, page_count, size_bytes, "
                    "source_name, source_kind, created_at) "
                    "VALUES (:v, 1, :n, 'x', 1, 1, 'x.pdf', 'pdf', '2026-01-01')"
                ),
                {"v": vid, "n": version},
            )
        c.execute(text("INSERT INTO document_page VALUES (1, 1, 'Bản cũ: thủy điện', 'ban cu: thuy dien')"))
        c.execute(
            text(
                "INSERT INTO document_page VALUES (2, 1, 'Bản mới: năng lượng tái tạo', 'ban moi: nang luong tai tao')"
            )
        )


def test_upgrade_indexes_existing_meetings_agenda_and_pages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011_audience")
    db = Database(url)
    try:
        _store_old_rows(db)
        upgrade(url)
        staff = make_user(db, GlobalRole.secretariat)
        assert hits(db, staff, "dat dai") == {("meeting", 1, None)}
        assert hits(db, staff, "cao toc") == {("agenda_item", 1, None)}
        assert hits(db, staff, "nang luong") == {("document", 1, 1)}
        assert hits(db, staff, "thuy dien") == set()  # only the current version
    finally:
        db.dispose()


def test_the_sqlite_index_moves_to_fts4_and_back_with_every_row(tmp_path: Path) -> None:
    """FTS4_REVISION rebuilds search_fts as FTS4 (matchinfo for the ranking) from the FTS5 table's own rows and
    texts, drops the fts5vocab table, and its downgrade restores both."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'fts.db'}"
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision(FTS4_REVISION).down_revision
    assert isinstance(before, str)
    upgrade(url, "0011_audience")
    db = Database(url)

    def index() -> tuple[str, list[tuple[int, str]], bool]:
        with db.engine.connect() as conn:
            create = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")).scalar_one()
            rows = conn.execute(text("SELECT rowid, body FROM search_fts ORDER BY rowid")).all()
            vocab = conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'search_fts_instance'")).all()
        db.engine.dispose()
        return create, [tuple(r) for r in rows], bool(vocab)

    try:
        _store_old_rows(db)
        upgrade(url, before)
        create, rows, vocab = index()
        assert "fts5" in create and vocab and len(rows) == 4
        upgrade(url, FTS4_REVISION)
        assert index()[0].startswith("CREATE VIRTUAL TABLE search_fts USING fts4(") and index()[1:] == (rows, False)
        command.downgrade(alembic_config(url), before)
        assert index() == (create, rows, True)
        upgrade(url)
        staff = make_user(db, GlobalRole.secretariat)
        assert hits(db, staff, "nang luong tai tao") == {("document", 1, 1)} and hits(db, staff, "cao") != set()
    finally:
        db.dispose()
