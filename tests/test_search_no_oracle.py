"""Search answers nothing about pages the caller may not read: a member's hits, their order, the totals, the
paging and the snippets stay exactly the same while pages he cannot see that are full of his words come and go
(a restricted document, a document of a meeting he is not invited to, one of a draft meeting he is invited to).
The ranking once used statistics over the whole index (FTS5 bm25: row counts per word, average length), and the
answer carried each hit's score: both changed with hidden pages, so a member could count the restricted pages
that mention a word and see when hidden documents were uploaded. No score is given any more."""

from __future__ import annotations

import struct
from dataclasses import replace
from typing import Any

import pytest

from app.db import Database
from documents import services as documents
from meetings import participation, services as meetings
from meetings.models import MeetingRole
from meetings.schemas import MeetingCreate, ParticipantCreate
from search import rank
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import Cabinet, make_cabinet
from tests.live import login
from tests.search_helpers import add_doc, find

FILLER = "Chính phủ thống nhất đánh giá tình hình kinh tế xã hội các bộ ngành địa phương triển khai. "
# Two visible pages that weigh the two words differently: with weights that depend on how many pages of the
# whole index hold each word, pages full of "cảng" elsewhere would turn their order around.
PORT = "Cảng " * 6 + "biển Vân Phong. " + FILLER
SEA = "Biển " * 6 + "và cảng Vân Phong. " + FILLER * 2
HIDDEN = ["Cảng " * 40 + FILLER * 8, "Cảng cảng cảng biển. " + FILLER * 20, "Cảng " * 90]
QUERIES = ("cảng biển", "cang bien ", "cảng ", "cang bie", "Vân Phong")


def answers(db: Database, actor: Any) -> dict[str, Any]:
    """Everything the member receives for each query: the whole first page, and the hits walked one by one."""
    out: dict[str, Any] = {}
    for q in QUERIES:
        whole = find(db, actor, q, limit=50)
        walk = [find(db, actor, q, limit=1, offset=i) for i in range(whole["total"] + 1)]
        out[q] = (whole, walk)
    return out


def hidden_places(db: Database, c: Cabinet) -> list[tuple[str, Cabinet, dict[str, Any]]]:
    """(what, a cabinet whose meeting holds the document, upload fields) for each kind of page hidden from
    c.members[0]."""
    other = make_cabinet(db, n_members=1, n_items=1)  # members[0] of `c` is not invited there
    draft = db.run_write(meetings.create_meeting, actor=c.staff, data=MeetingCreate(title="Phiên họp dự thảo")).result
    db.run_write(
        participation.invite,
        actor=c.staff,
        meeting_id=draft["id"],
        data=ParticipantCreate(user_id=c.members[0].id, role=MeetingRole.member),
    )  # invited, but the meeting is not published yet
    return [
        ("restricted", c, {"restricted": True, "allowed_user_ids": [c.members[1].id]}),
        ("not invited", other, {}),
        ("draft", replace(c, meeting_id=draft["id"]), {}),
    ]


def test_hidden_pages_change_nothing_in_a_members_answers(any_db: Database) -> None:
    c = make_cabinet(any_db)
    member = c.members[0]
    port = add_doc(any_db, c, [PORT, FILLER], title="Đề án cảng biển")
    sea = add_doc(any_db, c, [SEA])
    before = answers(any_db, member)
    first = before["cảng biển"][0]
    assert {(h["document"]["id"], h["page"]) for h in first["items"]} == {(port, None), (port, 1), (sea, 1)}
    assert first["total"] == 3
    assert all("score" not in h for q in QUERIES for h in before[q][0]["items"])
    for what, place, fields in hidden_places(any_db, c):
        doc = add_doc(any_db, place, HIDDEN, title="Cảng " * 10, **fields)
        assert answers(any_db, member) == before, f"{what}: added"
        staff_hits = find(any_db, c.staff, "cảng biển", limit=50)["items"]
        assert doc in {h["document"]["id"] for h in staff_hits if h["document"]}  # it is indexed, only hidden
        any_db.run_write(documents.delete_document, actor=place.staff, document_id=doc)
        assert answers(any_db, member) == before, f"{what}: deleted"


async def test_the_http_answer_has_no_score_and_ignores_a_restricted_upload(live_server: LiveServer) -> None:
    c = make_cabinet(live_server.db)
    add_doc(live_server.db, c, [PORT], title="Đề án cảng biển")
    add_doc(live_server.db, c, [SEA])
    staff = await login(live_server.url, c.staff.username)
    member = await login(live_server.url, c.members[0].username)

    async def answer() -> list[Any]:
        out = []
        for q in QUERIES:
            r = await member.get("/api/search", params={"q": q, "limit": 50})
            assert r.status_code == 200, r.text
            out.append(r.json())
        return out

    try:
        before = await answer()
        assert before[0]["total"] == 3 and all("score" not in h for a in before for h in a["items"])
        pdf = make_pdf(4, heading="Cảng " * 12 + "biển")
        r = await upload(
            staff, c.meeting_id, pdf, title="Phụ lục cảng", restricted=True, allowed_user_ids=[c.members[1].id]
        )
        assert r.status_code == 201, r.text
        assert await answer() == before
        assert (await staff.delete(f"/api/documents/{r.json()['id']}")).status_code in (200, 204)
        assert await answer() == before
    finally:
        await staff.aclose()
        await member.aclose()


def test_the_counts_and_length_of_a_row_are_its_own(db: Database) -> None:
    """SQLite: matchinfo 'yl' gives each candidate's own count of the word (past 255: 32-bit integers) and its length
    in words, and a short title with the word once outranks a long page with it once."""
    from sqlalchemy import text

    from search import rank
    from search.query import parse

    c = make_cabinet(db)
    sizes = [1, 127, 128, 200, 16_383, 16_384, 20_000]
    pages = [" ".join(["cảng"] + ["biển"] * (n - 1)) for n in sizes] + ["Cảng " * 300 + "biển"]
    doc = add_doc(db, c, pages, title="Cảng")
    params = {"uid": c.staff.id, "staff": True, "cap": 50, "match": parse("cang").fts4()}
    with db.read_session() as session:
        found = session.connection().execute(text(rank.SQLITE_CANDIDATES), params).all()
        entries = session.connection().execute(text("SELECT id, page FROM search_entry")).all()
    page_of: dict[int, int | None] = {r.id: r.page for r in entries}
    counts = {page_of[r.id]: struct.unpack("=2I", r.counts) for r in found}
    expected: dict[int | None, tuple[int, int]] = {None: (1, 1), **dict(enumerate(((1, n) for n in sizes), 1))}
    assert counts == expected | {8: (300, 301)}
    ranked = [h["page"] for h in find(db, c.members[0], "cảng ", limit=50)["items"] if h["document"]["id"] == doc]
    assert ranked == [8, None, 1, 2, 3, 4, 5, 6, 7]


def test_a_broad_query_ranks_its_most_recent_visible_hits_and_says_there_are_more(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past rank.RANKED visible hits, the RANKED most recently indexed are ranked, counted and paged, `more` says
    there are others, and hidden pages indexed after them (newer, full of the word) move nothing."""
    monkeypatch.setattr(rank, "RANKED", 3)
    c = make_cabinet(any_db)
    member = c.members[0]
    old = add_doc(any_db, c, ["Cảng " * 9 + "Vân Phong. " + FILLER], title="Cảng biển")  # older: left out
    doc = add_doc(any_db, c, [f"{'Cảng ' * n}biển. {FILLER}" for n in (1, 4, 2, 3)], title="Tờ trình")
    first = find(any_db, member, "cảng", limit=50)
    assert (first["total"], first["more"]) == (3, True)
    assert [(h["document"]["id"], h["page"]) for h in first["items"]] == [(doc, 2), (doc, 4), (doc, 3)]
    walk = [find(any_db, member, "cảng", limit=1, offset=i)["items"] for i in range(4)]
    assert walk == [[h] for h in first["items"]] + [[]]
    assert old not in {h["document"]["id"] for h in first["items"]}
    before = answers(any_db, member)
    for what, place, fields in hidden_places(any_db, c):
        hidden = add_doc(any_db, place, HIDDEN, title="Cảng " * 10, **fields)
        assert answers(any_db, member) == before, f"{what}: added"
        assert hidden in {h["document"]["id"] for h in find(any_db, c.staff, "cảng", limit=50)["items"]}
        any_db.run_write(documents.delete_document, actor=place.staff, document_id=hidden)
    few = find(any_db, member, "vân phong")  # fewer hits than RANKED: all of them, nothing more
    assert (few["total"], few["more"]) == (1, False) and few["items"][0]["document"]["id"] == old


def test_a_search_runs_the_same_few_statements_however_many_documents_it_finds(any_db: Database) -> None:
    """No query per hit, per document or per version: the candidates (and their count), the page's entries,
    its meetings, documents, agenda items and page texts."""
    from sqlalchemy import event

    c = make_cabinet(any_db)
    for i in range(12):
        add_doc(any_db, c, [f"Cảng biển số {i}. {FILLER}"], title=f"Tờ trình {i}")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(any_db.engine, "before_cursor_execute", count)
    try:
        found = find(any_db, c.members[0], "cảng biển", limit=50)
    finally:
        event.remove(any_db.engine, "before_cursor_execute", count)
    assert len({h["document"]["id"] for h in found["items"]}) == 12
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) <= 6, statements


def test_the_candidates_are_read_newest_first_and_stop_at_the_cap(db: Database) -> None:
    """SQLite: the full-text table drives the query in row id order, newest first, so LIMIT stops the scan after
    RANKED + 1 visible hits; a sort of every match (a temporary B-tree) would read all 86,000 pages of a word like
    "Chính phủ" (bench/search.py)."""
    from sqlalchemy import text

    from search.query import parse

    params = {"uid": 1, "staff": False, "cap": 1001, "match": parse("cang").fts4()}
    with db.read_session() as session:
        plan = session.connection().execute(text(f"EXPLAIN QUERY PLAN {rank.SQLITE_CANDIDATES}"), params).all()
    steps = [str(row[-1]) for row in plan]
    assert steps[0].startswith("SCAN search_fts VIRTUAL TABLE") and "DESC" in steps[0], steps
    assert not any("TEMP B-TREE" in step for step in steps), steps
