"""What a person reads names things, never database ids or socket events (UX probe 4).

- The errors of votes, speaker requests and documents that reach a tablet name the vote's question or the
  document's title, or drop the id, and never a socket event; their code and `details` stay as they were.
- The audit log reads in its reader's language and names people, meetings and votes; the stored summary (hashed
  into the chain) is unchanged.
- The working-days page names weekdays and holidays in the reader's language.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from accounts.models import GlobalRole
from app import i18n_catalog
from app.db import Database
from audit import services as audit
from core.errors import Conflict, DomainError, NotFound
from core.text import short
from documents import services as documents
from ledger.models import AuditEntry
from meetings import services as meetings
from speakers import services as speakers
from speakers.schemas import SpeakRequest
from tests.factories import call, make_user
from tests.search_helpers import add_doc
from tests.vote_helpers import new_vote, option, present_cabinet
from votes import casting
from votes import services as votes
from votes.schemas import VoteCreate
from workdays import pages as workdays_pages
from workdays.holidays import holidays

QUESTION = "Thông qua dự toán ngân sách năm 2027?"  # tests/vote_helpers.py new_vote
TITLE = "Phiên họp thử nghiệm ngân sách"  # tests/factories.py make_cabinet


def _says(exc: DomainError, lang: str) -> str:
    return str(exc.to_dict(lang)["message"])


def test_a_long_name_is_shortened_at_a_word() -> None:
    assert short("  Một   câu\nhỏi  ") == "Một câu hỏi"
    long = "Thông qua Nghị quyết về phân bổ dự toán ngân sách trung ương năm 2027 cho các bộ, ngành"
    cut = short(long)
    assert len(cut) <= 60 and cut.endswith("…") and long.startswith(cut[:-1]) and not cut[:-1].endswith(" ")


def test_a_late_ballot_names_the_vote_and_keeps_code_and_details(db: Database) -> None:
    c = present_cabinet(db)
    vote = new_vote(db, c, state="closed")
    with pytest.raises(Conflict) as exc:
        call(db, casting.cast, actor=c.members[0], vote_id=vote["id"], option_id=option(vote, "yes"))
    assert exc.value.to_dict("vi") == {
        "code": "invalid_state",
        "message": f"Không thể bỏ phiếu cho biểu quyết “{QUESTION}”: biểu quyết đã đóng.",
        "details": {"state": "closed"},
    }
    assert _says(exc.value, "en") == f"Cannot vote in “{QUESTION}”: the vote is closed."
    with pytest.raises(NotFound) as missing:
        call(db, votes.close_vote, actor=c.chair, vote_id=987654)
    assert "987654" not in _says(missing.value, "vi") and "987654" not in _says(missing.value, "en")


def test_opening_a_second_vote_names_both_questions(db: Database) -> None:
    c = present_cabinet(db)
    new_vote(db, c, state="open")
    other = "Thông qua Nghị quyết về phân bổ dự toán ngân sách trung ương năm 2027 cho các bộ, ngành"
    second = call(
        db,
        votes.create_vote,
        actor=c.secretary,
        meeting_id=c.meeting_id,
        data=VoteCreate(agenda_item_id=c.item_ids[0], question=other),
    )
    with pytest.raises(Conflict) as exc:
        call(db, votes.open_vote, actor=c.chair, vote_id=second["id"])
    assert str(exc.value) == (
        f"Không thể mở biểu quyết “{short(other)}”: biểu quyết “{QUESTION}” đang mở; hãy đóng nó trước."
    )
    assert _says(exc.value, "en") == (
        f"The vote “{short(other)}” cannot be opened: the vote “{QUESTION}” is open; close it first."
    )


def test_speaker_requests_refused_without_their_id(db: Database) -> None:
    c = present_cabinet(db)
    asked = call(db, speakers.request_floor, actor=c.members[0], meeting_id=c.meeting_id, data=SpeakRequest())
    call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    with pytest.raises(Conflict) as exc:
        call(db, speakers.grant, actor=c.chair, request_id=asked["id"])
    assert exc.value.details["agenda_item_id"] == c.item_ids[0]  # details unchanged: clients read them
    for lang in ("vi", "en"):
        assert not re.search(r"\d", _says(exc.value, lang)), _says(exc.value, lang)
    call(db, speakers.withdraw, actor=c.members[0], request_id=asked["id"])
    with pytest.raises(Conflict) as gone:
        call(db, speakers.withdraw, actor=c.members[0], request_id=asked["id"])
    assert _says(gone.value, "vi") == "Không thể rút đăng ký phát biểu này: đăng ký đã rút đăng ký."
    assert gone.value.details == {"state": "withdrawn"}


def test_documents_are_named_without_an_id_and_a_refusal_does_not_tell_the_title(db: Database) -> None:
    """Who may not read a document is not told what it is called (the title is what it would leak), nor its id."""
    c = present_cabinet(db)
    doc = add_doc(db, c, ["trang một"], title="Tờ trình dự toán ngân sách 2027")
    with pytest.raises(NotFound) as refused:  # not shared with guests: to a guest, as absent as a missing one
        db.run_read(documents.get_document, actor=c.guest, document_id=doc, data_dir=Path("/nonexistent"))
    assert _says(refused.value, "vi") == "Không tìm thấy tài liệu."
    assert _says(refused.value, "en") == "Document not found."
    with pytest.raises(NotFound) as no_page:
        db.run_read(documents.page_source, actor=c.members[0], document_id=doc, page=9, timezone="Asia/Ho_Chi_Minh")
    assert _says(no_page.value, "vi") == "Tài liệu này (phiên bản 1) có 1 trang; không có trang 9."


def test_no_message_a_tablet_gets_names_an_id_or_a_socket_event() -> None:
    """The class, not the example: no message raised in these packages carries a database id or an event name."""
    ids = re.compile(r"\{(vote_id|doc_id|document_id|req_id|request_id|option_id|replaces_document_id)\}")
    found = i18n_catalog.extract_python_ids(i18n_catalog.error_classes())
    tablet = ("votes/", "speakers/", "documents/access", "annotations/", "realtime/", "app/pages")
    named = {m: w for m, w in found.items() if w.startswith(tablet) and ids.search(m)}
    assert named == {}
    events = {m: w for m, w in found.items() if re.search(r"\([a-z]+:[a-z_]+\)", m)}
    assert events == {}


def test_the_audit_log_reads_in_the_readers_language_with_names(db: Database) -> None:
    c = present_cabinet(db)
    new_vote(db, c, state="published")
    admin = make_user(db, GlobalRole.admin, "Quản Trị Viên")
    member = c.members[0]
    text: dict[str, dict[str, list[str]]] = {}
    for lang in ("vi", "en"):
        items = db.run_read(audit.list_entries, actor=admin, limit=1000, lang=lang)["items"]
        text[lang] = {}
        for e in items:
            text[lang].setdefault(e["type"], []).append(e["text"])
    en, vi = text["en"], text["vi"]
    assert f"Meeting “{TITLE}”: {member.full_name}, Member" in en["state.participant"]
    assert f"Vote “{QUESTION}”: Result announced" in en["state.vote"]
    assert f"Meeting “{TITLE}”: vote “{QUESTION}”" in en["vote.opened"]
    assert f"Meeting “{TITLE}”: {member.full_name}" in en["attendance.changed"]
    assert f"Meeting “{TITLE}”" in en["meeting.started"]
    assert any(t.startswith(f"Account {admin.username} (Quản Trị Viên): Administrator") for t in en["state.user"])
    assert any(f"Cuộc họp “{TITLE}”: {member.full_name}" in t for t in vi["state.participant"])
    assert any(f"Biểu quyết “{QUESTION}”" in t for t in vi["state.vote"])
    everything = [t for texts in (*en.values(), *vi.values()) for t in texts]
    assert not [t for t in everything if re.search(r"người dùng \d|Biểu quyết \d|cuộc họp \d", t)]
    # display only: the stored summaries (in the hash chain) are what they were, and the chain still verifies
    stored = db.run_read(lambda session: list(session.exec(select(AuditEntry.summary)).all()))
    assert any(re.search(r"người dùng \d", s) for s in stored)
    assert db.run_read(audit.verify_chain, actor=admin)["chain_ok"]


def test_weekdays_and_holidays_in_the_readers_language() -> None:
    assert workdays_pages.weekday("2026-01-01", "en") == "Thursday"
    assert workdays_pages.weekday("2026-01-01", "vi") == "Thứ Năm"
    assert workdays_pages.weekday("2026-01-04", "en") == "Sunday"

    def day(d: date, source: str = "holiday", reason: str = "") -> dict[str, str]:
        return {"day": d.isoformat(), "source": source, "reason": reason}

    assert workdays_pages.reason(day(date(2026, 1, 1)), "en") == "New Year's Day"
    assert workdays_pages.reason(day(date(2026, 1, 1)), "vi") == "Tết Dương lịch"
    tet = [h for h in holidays(2026) if h.key == "holiday.tet" and not h.compensatory]
    assert workdays_pages.reason(day(tet[1].day), "en") == "Lunar New Year (day 2)"
    made_up = [h for h in holidays(2026) if h.compensatory]
    assert made_up, "2026: Giỗ Tổ Hùng Vương falls on a Sunday"
    assert workdays_pages.reason(day(made_up[0].day), "en").startswith("Day off in lieu: ")
    assert workdays_pages.reason(day(made_up[0].day), "vi") == made_up[0].name  # what it read before
    assert workdays_pages.reason(day(date(2026, 3, 2), "override", "Ngày nghỉ"), "en") == "Day off"
    assert workdays_pages.reason(day(date(2026, 3, 2), "override", "Nghỉ theo quyết định"), "en") == (
        "Nghỉ theo quyết định"  # what the admin wrote stays as written
    )
    for h in holidays(2026):  # every holiday has its key, and Vietnamese reads exactly as the stored name
        if h.key and not h.compensatory:
            assert workdays_pages.reason(day(h.day), "vi") == h.name
