"""The record shows people as they were at the meeting: their names, titles (chức vụ) and units are frozen on the
participants' rows when the meeting ends, so a minister renamed, promoted or moved to another unit afterwards is
printed as they were (attendance list, speakers, "dự thay", vote figures, chair and secretary) in the draft, its PDF
and the finalised PDF; a live meeting shows today's accounts. Migration 0026 back-fills the meetings already ended.
And an agenda item that was current for less than a minute is written once ("lúc 21:13"), as a clerk would."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import create_engine, text, update
from sqlmodel import Session, col, select

from accounts.models import User
from annotations import presenter, services as annotation_services
from annotations.schemas import AnnotationCreate
from app.db import Database
from app.migrate import alembic_config, upgrade
from meetings import participation, services as meetings
from meetings.events import MeetingEvent
from meetings.models import Meeting, Participant
from meetings.schemas import CheckInRequest
from minutes import builder, facts, services as minutes
from core.actor import Actor
from tests.annotation_helpers import ink
from tests.factories import Cabinet, call, make_cabinet
from tests.minutes_helpers import DEPUTY, scripted_meeting
from tests.search_helpers import add_doc

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# (name, title, unit) at the meeting, and after it (a rename, a new title, another unit).
AT_MEETING = {
    "chair": ("Phạm Minh Chính Trực", "Thủ tướng Chính phủ", "Chính phủ"),
    "speaker": ("Nguyễn Văn Đức", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính"),
    "deputised": ("Lê Minh Khuê", "Bộ trưởng Bộ Y tế", "Bộ Y tế"),
    "secretary": ("Lê Thư Ký", "Chủ nhiệm Văn phòng Chính phủ", "Văn phòng Chính phủ"),
    "guest": ("Trần Khách Mời", "Viện trưởng", "Viện Chiến lược và Chính sách tài chính"),
}
AFTER = {
    "chair": ("Phạm Minh Chính Trực", "Chủ tịch Quốc hội", "Quốc hội"),
    "speaker": ("Nguyễn Đức Hải", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính"),
    "deputised": ("Hoàng Thị Lan", "Bộ trưởng Bộ Y tế", "Bộ Y tế"),
    "secretary": ("Đỗ Văn Thường", "Chủ nhiệm Văn phòng Chính phủ", "Văn phòng Chính phủ"),
    "guest": ("Trần Khách Mời", "Viện trưởng", "Học viện Tài chính"),
}


def _set_identity(db: Database, user_id: int, name: str, title: str, unit: str) -> None:
    """The account row changes (the directory, an administrator): no service renames, so the row is written."""

    def write(session: Session) -> None:
        user = session.get(User, user_id)
        assert user is not None
        user.full_name, user.title, user.unit = name, title, unit
        session.add(user)

    db.run_write(write)


def _who(c: Cabinet, key: str) -> Actor:
    """The people of tests/minutes_helpers.py scripted_meeting whose identity changes."""
    return {
        "chair": c.chair,
        "speaker": c.members[0],  # in the room, spoke, voted by name
        "deputised": c.members[2],  # a deputy attended and spoke for them; did not vote
        "secretary": c.secretary,
        "guest": c.guest,  # spoke on the second item
    }[key]


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def _draft_text(db: Database, actor: Actor, meeting_id: int) -> str:
    draft = db.run_read(minutes.get_draft, actor=actor, meeting_id=meeting_id)
    return "\n".join(s["effective"] for s in draft["sections"])


def test_minutes_print_names_titles_and_units_as_they_were_at_the_meeting(db: Database) -> None:
    s = scripted_meeting(db, end=False)
    c = s.cabinet
    for key, values in AT_MEETING.items():
        _set_identity(db, _who(c, key).id, *values)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    for key, values in AFTER.items():  # after the end: renamed, a new title, another unit
        _set_identity(db, _who(c, key).id, *values)

    chair, speaker, deputised, secretary, guest = (AT_MEETING[k] for k in AT_MEETING)
    draft = db.run_read(minutes.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    section = {x["key"]: x["effective"] for x in draft["sections"]}
    attendance = section["attendance"]
    assert f"{chair[0]}, {chair[1]}" in attendance
    assert f"{speaker[0]}, {speaker[1]}" in attendance
    assert f"{DEPUTY} (dự thay {deputised[0]}, {deputised[1]})" in attendance
    assert f"{guest[0]}, {guest[1]}, {guest[2]}" in attendance  # a guest with title and unit in full
    first, second = (section[f"item:{i}:summary"] for i in c.item_ids[:2])
    assert f"{speaker[0]}, {speaker[1]} (" in first  # the speaker
    assert f"{DEPUTY}, dự thay {deputised[0]}, {deputised[1]} (" in first  # the deputy's speech
    assert f"{guest[0]}, {guest[1]} (" in second
    named = section[f"item:{c.item_ids[1]}:votes"]
    assert f"{speaker[0]} - " in named  # the named ballots
    assert f"Thành viên không tham gia biểu quyết: 2 ({deputised[0]}, " in named
    everything = "\n".join(section.values())
    for gone in ("Nguyễn Đức Hải", "Hoàng Thị Lan", "Đỗ Văn Thường", "Chủ tịch Quốc hội", "Học viện Tài chính"):
        assert gone not in everything

    # The chair's and the secretary's blocks: who signs is named as at the meeting, the chair with that title.
    gathered = db.run_read(lambda session: facts.gather(session, c.meeting_id))
    doc = builder.build(gathered).doc
    assert (doc.chair.name, doc.chair.title) == chair[:2]
    assert [(x.role_label, x.name) for x in doc.signers] == [("THƯ KÝ", secretary[0]), ("CHỦ TỌA", chair[0])]
    assert doc.signers[1].title == chair[1]

    draft_pdf = db.run_read(minutes.get_pdf, actor=c.staff, meeting_id=c.meeting_id, draft=True).data
    call(db, minutes.finalise, actor=c.staff, meeting_id=c.meeting_id)
    final_pdf = db.run_read(minutes.get_pdf, actor=c.staff, meeting_id=c.meeting_id).data
    for pdf in (draft_pdf, final_pdf):
        words = pdftotext(pdf)
        assert f"Chủ trì (chủ tọa): {chair[0]}, {chair[1]}." in words
        assert f"Thư ký (người ghi biên bản): {secretary[0]}, {secretary[1]}." in words
        assert f"dự thay {deputised[0]}, {deputised[1]}" in words
        assert f"{guest[0]}, {guest[1]}, {guest[2]}" in words
        assert f"{speaker[0]}, {speaker[1]}" in words
        assert "THƯ KÝ" in words and "CHỦ TỌA" in words
        for gone in ("Nguyễn Đức Hải", "Hoàng Thị Lan", "Đỗ Văn Thường", "Chủ tịch Quốc hội", "Học viện Tài chính"):
            assert gone not in words


def test_a_live_meeting_shows_todays_accounts_and_the_end_freezes_them(db: Database) -> None:
    c = make_cabinet(db, n_members=3, start=True)
    m = c.members[0]
    call(db, participation.check_in, actor=m, meeting_id=c.meeting_id, data=CheckInRequest())
    _set_identity(db, m.id, "Vũ Thị Hồng Nhung", "Thống đốc Ngân hàng Nhà nước", "Ngân hàng Nhà nước Việt Nam")
    live = _draft_text(db, c.staff, c.meeting_id)
    assert "Vũ Thị Hồng Nhung, Thống đốc Ngân hàng Nhà nước" in live  # live: as the account reads now
    assert m.full_name not in live
    frozen = db.run_read(
        lambda session: session.exec(
            select(Participant.name_at_end).where(Participant.meeting_id == c.meeting_id, Participant.user_id == m.id)
        ).one()
    )
    assert frozen is None  # nothing frozen while the meeting runs
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    _set_identity(db, m.id, "Vũ Hồng Nhung", "Phó Thủ tướng Chính phủ", "Chính phủ")
    ended = _draft_text(db, c.staff, c.meeting_id)
    assert "Vũ Thị Hồng Nhung, Thống đốc Ngân hàng Nhà nước" in ended  # as at the end
    assert "Vũ Hồng Nhung" not in ended and "Phó Thủ tướng" not in ended


def test_the_annex_names_the_presenter_of_shared_ink_as_at_the_meeting(db: Database) -> None:
    c = make_cabinet(db, n_members=2, start=True)
    _set_identity(db, c.chair.id, "Phạm Minh Chính Trực", "Thủ tướng Chính phủ", "Chính phủ")
    doc = add_doc(
        db, c, ["Dự toán ngân sách"], title="Báo cáo dự toán", agenda_item_id=c.item_ids[0], share_with_guests=True
    )
    call(db, presenter.start, actor=c.chair, meeting_id=c.meeting_id, document_id=doc)
    data = AnnotationCreate.model_validate(ink(shared=True))
    call(db, annotation_services.create_annotation, actor=c.chair, document_id=doc, data=data)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    _set_identity(db, c.chair.id, "Phạm Chính Trực", "Chủ tịch Quốc hội", "Quốc hội")
    draft = db.run_read(minutes.get_draft, actor=c.staff, meeting_id=c.meeting_id)
    annex = next(x["effective"] for x in draft["sections"] if x["key"] == "annex")
    assert annex == "Tài liệu «Báo cáo dự toán», trang 1: 1 nét ghi chú chung (Phạm Minh Chính Trực)."


# --- zero-length stretches of an agenda item --------------------------------------------------------------


def _at(h: int, m: int, s: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, h, m, s, tzinfo=HANOI).astimezone(timezone.utc)


def test_an_item_current_for_less_than_a_minute_is_written_once() -> None:
    brief = facts.Item(2, 2, "Tờ trình bổ sung", "Bộ Tư pháp", ((_at(21, 13, 5), _at(21, 13, 40)),))
    assert builder.discussed(brief, HANOI, True) == "lúc 21:13"
    # The chair stepped past an item and came back within the minute: one stretch for the item returned to.
    returned = facts.Item(1, 1, "Dự án Luật", "Bộ Tư pháp", ((_at(8, 5), _at(8, 40, 10)), (_at(8, 40, 50), _at(9, 0))))
    passed = facts.Item(2, 2, "Đề án", "Bộ Nội vụ", ((_at(8, 40, 10), _at(8, 40, 50)),))
    assert builder.discussed(returned, HANOI, True) == "từ 08:05 đến 09:00"
    assert builder.discussed(passed, HANOI, True) == "lúc 08:40"
    # Stretches in different minutes stay apart; past midnight the date is said once, as for any time.
    apart = facts.Item(3, 3, "Báo cáo", "Bộ Công an", ((_at(8, 5), _at(8, 30)), (_at(9, 0), _at(9, 0, 20))))
    assert builder.discussed(apart, HANOI, True) == "từ 08:05 đến 08:30; lúc 09:00"
    late = facts.Item(4, 4, "Kiến nghị", "Bộ Quốc phòng", ((_at(0, 2, 1, day=4), _at(0, 2, 30, day=4)),))
    assert builder.discussed(late, HANOI, True, _at(23, 50).astimezone(HANOI).date()) == "lúc 00:02 ngày 04/12/2026"


SAME_MINUTE = re.compile(r"từ (\d\d:\d\d) đến \1(?!\d)")


def test_a_session_that_passed_an_item_quickly_prints_it_once_in_the_draft_and_the_pdf(db: Database) -> None:
    c = make_cabinet(db, n_items=3, start=True)
    for _ in range(2):
        call(db, meetings.step_item, actor=c.chair, meeting_id=c.meeting_id, direction=1)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)
    # The moments as a session would have them: item 2 current from 21:13:05 to 21:13:40.
    moments = [_at(21, 0), _at(21, 13, 5), _at(21, 13, 40), _at(21, 30)]

    def place(session: Session) -> None:
        events = session.exec(
            select(MeetingEvent)
            .where(
                MeetingEvent.meeting_id == c.meeting_id,
                col(MeetingEvent.type).in_(("meeting.started", "agenda.current_changed", "meeting.ended")),
            )
            .order_by(col(MeetingEvent.seq))
        ).all()
        assert len(events) == len(moments)
        for event, moment in zip(events, moments):
            session.execute(update(MeetingEvent).where(col(MeetingEvent.id) == event.id).values(at=moment))
        session.execute(
            update(Meeting).where(col(Meeting.id) == c.meeting_id).values(started_at=moments[0], ended_at=moments[-1])
        )

    db.run_write(place)
    text_ = _draft_text(db, c.staff, c.meeting_id)
    assert "- Thời gian thảo luận: từ 21:00 đến 21:13." in text_
    assert "- Thời gian thảo luận: lúc 21:13." in text_
    assert "- Thời gian thảo luận: từ 21:13 đến 21:30." in text_
    words = pdftotext(db.run_read(minutes.get_pdf, actor=c.staff, meeting_id=c.meeting_id, draft=True).data)
    assert "Thời gian thảo luận: lúc 21:13." in words
    assert not SAME_MINUTE.search(text_) and not SAME_MINUTE.search(words)


# --- migration 0026: the meetings already ended are frozen as today's rows read -----------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    name = f"ecabinet_mig_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migration_freezes_the_participants_of_meetings_already_ended(old_database: str) -> None:
    url = old_database
    upgrade(url, "0025_search_fts4")
    engine = create_engine(url)
    try:
        # rows as the schema of 0025 holds them (the ORM's Participant has the new columns)
        with engine.begin() as c:
            for uid, name, title, unit in (
                (1, "Nguyễn Văn Đức", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính"),
                (2, "Lê Minh Khuê", "Bộ trưởng Bộ Y tế", "Bộ Y tế"),
            ):
                c.execute(
                    text(
                        'INSERT INTO "user" (id, username, full_name, title, unit, role, password_hash, is_active, '
                        "created_at) VALUES (:id, :u, :n, :t, :un, 'member', 'x', TRUE, '2026-01-01')"
                    ),
                    {"id": uid, "u": f"u{uid}", "n": name, "t": title, "un": unit},
                )
            for mid, state in ((1, "ended"), (2, "started")):
                c.execute(
                    text(
                        "INSERT INTO meeting (id, title, kind, mode, place, description, state, created_at, last_seq) "
                        "VALUES (:m, 'Phiên họp thường kỳ', 'regular', 'in_room', '', '', :s, '2026-01-01', 0)"
                    ),
                    {"m": mid, "s": state},
                )
                for pid, uid in ((1, 1), (2, 2)):
                    c.execute(
                        text(
                            "INSERT INTO participant (id, meeting_id, user_id, role, attendance, absence_reason, "
                            "deputy_name) VALUES (:p, :m, :u, 'member', 'present_room', '', '')"
                        ),
                        {"p": (mid - 1) * 2 + pid, "m": mid, "u": uid},
                    )
        upgrade(url, "0026_minutes_identity")
        with engine.connect() as c:
            rows = c.execute(
                text(
                    "SELECT meeting_id, user_id, name_at_end, title_at_end, unit_at_end FROM participant "
                    "ORDER BY meeting_id, user_id"
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, 1, "Nguyễn Văn Đức", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính"),
            (1, 2, "Lê Minh Khuê", "Bộ trưởng Bộ Y tế", "Bộ Y tế"),
            (2, 1, None, None, None),  # still live: frozen at its end
            (2, 2, None, None, None),
        ]
        upgrade(url, "0026_minutes_identity")  # again: nothing to do
        command.downgrade(alembic_config(url), "0025_search_fts4")
        with engine.connect() as c:
            names = set(c.execute(text("SELECT * FROM participant")).keys())
        assert "name_at_end" not in names and "deputy_name" in names
    finally:
        engine.dispose()


def test_minutes_of_a_meeting_ended_before_the_freeze_read_the_accounts(db: Database) -> None:
    """Rows not frozen (a meeting ended through raw SQL, a benchmark): the account row stands, as before."""
    c = make_cabinet(db, n_members=2, start=True)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)

    def unfreeze(session: Session) -> None:
        session.execute(update(Participant).where(col(Participant.meeting_id) == c.meeting_id).values(name_at_end=None))

    db.run_write(unfreeze)
    _set_identity(db, c.members[0].id, "Đặng Quốc Khánh", "Bộ trưởng Bộ Nội vụ", "Bộ Nội vụ")
    assert "Đặng Quốc Khánh, Bộ trưởng Bộ Nội vụ" in _draft_text(db, c.staff, c.meeting_id)
