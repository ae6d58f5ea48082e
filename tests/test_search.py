"""The full-text index on SQLite and PostgreSQL: diacritics and decomposed input, ranking, plain-word queries
(no query syntax gets through), index maintenance on new versions, deletion and edits, and who sees what."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from app.db import Database
from core.errors import ValidationFailed
from documents import services as documents
from documents.schemas import DocumentUpdate
from meetings import agenda, services as meetings
from meetings.schemas import AgendaItemUpdate, MeetingUpdate
from tests.factories import make_cabinet
from tests.search_helpers import add_doc, find, hits

LAND = "Chính phủ thảo luận dự án Luật Đất đai (sửa đổi) và việc thu hồi đất."
OTHER = "Báo cáo tình hình kinh tế - xã hội tháng 10 năm 2026."


def test_every_spelling_of_dat_dai_finds_the_page(any_db: Database) -> None:
    c = make_cabinet(any_db)
    doc = add_doc(any_db, c, [OTHER, LAND, OTHER], title="Tờ trình")
    for q in (
        "dat dai",
        "đất đai",
        "Đất Đai",
        "ĐẤT ĐAI",
        unicodedata.normalize("NFD", "đất đai"),
        "  DAT   dai  ",
        "đất đai",
    ):
        assert ("document", doc, 2) in hits(any_db, c.members[0], q), q
    assert hits(any_db, c.members[0], "dat dai xyzzy") == set()  # every word must be there
    found = find(any_db, c.members[0], "dat dai")["items"][0]
    assert found["snippet"].startswith("Chính phủ") and found["meeting"]["id"] == c.meeting_id
    assert [found["snippet"][a:b] for a, b in found["highlights"]] == ["Đất", "đai", "đất"]


def test_every_vietnamese_letter_folds_the_same_in_the_database_as_in_python(any_db: Database) -> None:
    c = make_cabinet(any_db)
    vowels = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    words = [f"x{ch}{ch.upper()}q" for ch in vowels]
    doc = add_doc(any_db, c, [" ".join(words)])
    from core.text import fold

    for w in words:
        assert ("document", doc, 1) in hits(any_db, c.members[0], fold(w) + " "), w
        assert ("document", doc, 1) in hits(any_db, c.members[0], unicodedata.normalize("NFD", w) + " "), w


def test_ranking_puts_the_page_that_is_about_it_first(any_db: Database) -> None:
    c = make_cabinet(any_db)
    about = add_doc(any_db, c, [" ".join([LAND] * 5)], title="Luật Đất đai")
    mention = add_doc(any_db, c, [OTHER * 3 + " đất đai " + OTHER * 3], title="Báo cáo")
    items = find(any_db, c.members[0], "đất đai")["items"]
    pages = [(h["document"]["id"], h["page"]) for h in items]
    assert pages.index((about, 1)) < pages.index((mention, 1))
    assert all("score" not in h for h in items)


def test_the_word_being_typed_matches_as_a_prefix_from_three_letters(any_db: Database) -> None:
    c = make_cabinet(any_db)
    doc = add_doc(any_db, c, [LAND])
    found = {("document", doc, 1)}
    assert found <= hits(any_db, c.members[0], "luat dat sua")  # "sửa" while it is typed
    assert found <= hits(any_db, c.members[0], "dự án luậ")
    assert found <= hits(any_db, c.members[0], "thu hồi")  # a whole word, typed or not
    assert hits(any_db, c.members[0], "dự án luậ ") == set()  # a finished word is the whole word
    # One or two letters are a whole word only (search/query.py MIN_PREFIX): "đa" is not "đai", "th" not "thu".
    assert hits(any_db, c.members[0], "luat dat da") == set()
    assert hits(any_db, c.members[0], "luat th") == set()
    assert hits(any_db, c.members[0], "thu hồi đấ") == set()
    assert found <= hits(any_db, c.members[0], "thu hồi đất")


def test_the_prefix_rule() -> None:
    from search.query import parse

    assert [parse(q).prefix for q in ("t", "th", "thu", "thu ", "đấ", "đất", "ngân sách nh", "ngân sách nhà")] == [
        False,
        False,
        True,
        False,
        False,
        True,
        False,
        True,
    ]
    assert parse("dat da").fts4() == '"dat" "da"' and parse("dat dai").fts4() == '"dat" "dai*"'
    assert parse("dat da").tsquery() == "'dat' & 'da'" and parse("dat dai").tsquery() == "'dat' & 'dai':*"


def test_query_syntax_is_only_plain_words(any_db: Database) -> None:
    c = make_cabinet(any_db)
    doc = add_doc(any_db, c, [LAND])
    found = {("document", doc, 1)}
    for q in (
        '"dat dai"',
        "dat* dai^",
        "(dat) (dai)",
        "dat:* & dai",
        "dat' | 'dai",
        "dat\u00a0dai",
        '"dat" "dai"*',
        "dat -dai",
        "{dat dai}",
        "dat + dai",
        "dat <-> dai",
        "dat\\ dai",
    ):
        assert hits(any_db, c.members[0], q) == found, q  # the words, whatever surrounds them
    for q in (
        'dat" OR "x',
        "dat NEAR(dai xyz)",
        "dat AND NOT dai xyz",
        "OR",
        "NEAR",
        "dat OR xyz",
        "dat | xyz",
        "body:dat dai",
    ):
        assert hits(any_db, c.members[0], q) == set(), q  # operators are words that must be on the page too


def test_empty_queries_are_refused_in_vietnamese(any_db: Database) -> None:
    c = make_cabinet(any_db)
    for q in ("", "   ", "*", '"" ()', "--"):
        with pytest.raises(ValidationFailed, match="Hãy nhập từ cần tìm"):
            find(any_db, c.members[0], q)


def test_new_version_deletion_and_edits_keep_the_index_in_step(any_db: Database) -> None:
    c = make_cabinet(any_db)
    doc = add_doc(any_db, c, [LAND, OTHER])
    add_doc(any_db, c, ["Phương án đầu tư cao tốc Bắc Nam."], replaces_document_id=doc, title="Tờ trình (bản 2)")
    member = c.members[0]
    assert hits(any_db, member, "dat dai") == set()  # version 1's pages left the index
    assert hits(any_db, member, "cao toc") == {("document", doc, 1)}
    assert ("document", doc, None) in hits(any_db, member, "ban 2")  # the title
    any_db.run_write(
        documents.update_document,
        actor=c.staff,
        document_id=doc,
        data=DocumentUpdate(title="Đề án đường sắt"),
        data_dir=Path("/nonexistent"),
    )
    assert ("document", doc, None) in hits(any_db, member, "duong sat") and not hits(any_db, member, "ban 2")
    any_db.run_write(documents.delete_document, actor=c.staff, document_id=doc)
    assert hits(any_db, member, "cao toc") == set()
    item = c.item_ids[0]
    any_db.run_write(
        agenda.update_item,
        actor=c.staff,
        meeting_id=c.meeting_id,
        item_id=item,
        data=AgendaItemUpdate(title="Dự án Luật Thủ đô", notes="Ghi chú về quy hoạch"),
    )
    assert hits(any_db, member, "thu do") == {("agenda_item", item, None)}
    assert hits(any_db, member, "quy hoach") == {("agenda_item", item, None)}
    any_db.run_write(agenda.delete_item, actor=c.staff, meeting_id=c.meeting_id, item_id=c.item_ids[2])
    assert ("agenda_item", c.item_ids[2], None) not in hits(any_db, member, "du toan")
    any_db.run_write(
        meetings.update_meeting,
        actor=c.staff,
        meeting_id=c.meeting_id,
        data=MeetingUpdate(title="Phiên họp chuyên đề xây dựng pháp luật"),
    )
    assert hits(any_db, member, "chuyen de") == {("meeting", c.meeting_id, None)}


def test_who_sees_what_is_decided_in_the_query(any_db: Database) -> None:
    c = make_cabinet(any_db, publish=False)
    plain = add_doc(any_db, c, [LAND], title="Tờ trình Luật Đất đai")
    shared = add_doc(any_db, c, [LAND], title="Tài liệu cho khách", share_with_guests=True)
    secret = add_doc(
        any_db, c, [LAND], title="Phương án thu hồi đất", restricted=True, allowed_user_ids=[c.members[0].id]
    )
    docs = lambda actor: {k for kind, k, page in hits(any_db, actor, "dat dai") if kind == "document" and page == 1}
    # A draft: the secretariat and the meeting's secretary see it; invited members not yet (denied / allowed).
    assert docs(c.members[0]) == set() and hits(any_db, c.members[0], "ngan sach") == set()
    assert docs(c.staff) == {plain, shared, secret} and docs(c.secretary) == {plain, shared, secret}
    any_db.run_write(meetings.publish_meeting, actor=c.staff, meeting_id=c.meeting_id)
    # Not invited: nothing; invited: the meeting, its agenda and its documents.
    assert hits(any_db, c.outsider, "ngan sach") == set() and docs(c.outsider) == set()
    assert ("meeting", c.meeting_id, None) in hits(any_db, c.members[1], "ngan sach")
    assert ("agenda_item", c.item_ids[0], None) in hits(any_db, c.members[1], "ngan sach")
    # Guests: only documents shared with guests (the agenda is theirs to see).
    assert docs(c.guest) == {shared} and ("agenda_item", c.item_ids[0], None) in hits(any_db, c.guest, "ngan sach")
    # Restricted: only those on its list (and the secretariat); never a snippet, even for them.
    assert docs(c.members[1]) == {plain, shared} and docs(c.members[0]) == {plain, shared, secret}
    for actor in (c.members[0], c.staff):
        hit = next(
            h
            for h in find(any_db, actor, "dat dai", limit=50)["items"]
            if h["document"]["id"] == secret and h["page"] == 1
        )
        assert hit["snippet"] is None and hit["highlights"] == [] and hit["document"]["restricted"] is True
    # The total counts only what the caller may see, and paging walks through it.
    member = find(any_db, c.members[1], "dat dai", limit=1)
    assert member["total"] == len(hits(any_db, c.members[1], "dat dai")) and len(member["items"]) == 1
    second = find(any_db, c.members[1], "dat dai", limit=1, offset=1)["items"]
    assert second and second != member["items"]


def test_a_room_display_searches_nothing(any_db: Database) -> None:
    from core.actor import Actor
    from core.errors import Forbidden

    c = make_cabinet(any_db)
    with pytest.raises(Forbidden):
        find(any_db, Actor.display(c.meeting_id, 1), "ngan sach")
