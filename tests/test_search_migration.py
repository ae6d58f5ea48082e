"""The migration that creates the index fills it from what is already stored (meetings, agenda items, pages)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from accounts.models import GlobalRole
from app.db import Database
from app.migrate import upgrade
from tests.factories import make_user
from tests.search_helpers import hits


def test_upgrade_indexes_existing_meetings_agenda_and_pages(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0011_audience")
    db = Database(url)
    try:
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
                    "INSERT INTO document_page "
                    "VALUES (2, 1, 'Bản mới: năng lượng tái tạo', 'ban moi: nang luong tai tao')"
                )
            )
        upgrade(url)
        staff = make_user(db, GlobalRole.secretariat)
        assert hits(db, staff, "dat dai") == {("meeting", 1, None)}
        assert hits(db, staff, "cao toc") == {("agenda_item", 1, None)}
        assert hits(db, staff, "nang luong") == {("document", 1, 1)}
        assert hits(db, staff, "thuy dien") == set()  # only the current version
    finally:
        db.dispose()
