"""Minutes are dated the day their number is given (minutes/register.py): the number's series is that year's, so its
date line says that year, and two minutes "Số: 01/BB-CP" never both read "… năm 2026". A session held on 31
December and finalised after midnight is no. 01 of the new year, dated 1 January; its body says when it was held.
A draft has neither number nor date; a correction of unsigned minutes keeps both; so does a conclusion notice approved
again. Real services, real SQLite; the clock of the finalisation (approval) is set: the service reads it once, for
the version and the register."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from app.db import Database
from infra.settings import Settings
from meetings.models import Meeting
from minutes import services
from notices import issuing, services as notices
from tests.factories import call
from tests.notice_helpers import Held, approved_notice, held_meeting
from tests.minutes_helpers import Scripted, pdf_text, scripted_meeting
from tests.record_helpers import docx_text, pin_times


def _held(db: Database, s: Scripted, start: datetime, end: datetime) -> None:
    with db.write_session() as session:
        m = session.get(Meeting, s.meeting_id)
        assert m is not None
        m.started_at, m.ended_at = start, end
        session.add(m)
        session.commit()


def _finalise(db: Database, s: Scripted, monkeypatch: pytest.MonkeyPatch, at: datetime) -> dict:
    monkeypatch.setattr(services, "utcnow", lambda: at)
    return call(db, services.finalise, actor=s.cabinet.staff, meeting_id=s.meeting_id)


def _pdf(db: Database, s: Scripted) -> str:
    return pdf_text(db.run_read(services.get_pdf, actor=s.cabinet.staff, meeting_id=s.meeting_id).data)[0]


def test_a_number_of_the_new_year_is_dated_in_the_new_year(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    december, eve = scripted_meeting(db), scripted_meeting(db)
    pin_times(db, december.meeting_id)  # held 3 December 2026
    # held from 23:58 on 31 December 2026 to 00:30 on 1 January 2027 (Hà Nội)
    _held(
        db,
        eve,
        datetime(2026, 12, 31, 16, 58, tzinfo=timezone.utc),
        datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc),
    )

    draft = db.run_read(services.get_draft, actor=eve.cabinet.staff, meeting_id=eve.meeting_id)
    place_date = next(x for x in draft["sections"] if x["key"] == "place_date")
    assert place_date["effective"] == "Hà Nội, ngày    tháng    năm" and not place_date["editable"]

    first = _finalise(db, december, monkeypatch, datetime(2026, 12, 5, 3, 0, tzinfo=timezone.utc))
    after_midnight = datetime(2026, 12, 31, 17, 45, tzinfo=timezone.utc)  # 00:45 on 1 January 2027 in Hà Nội
    second = _finalise(db, eve, monkeypatch, after_midnight)
    assert first["number"] == second["number"] == "01/BB-CP"  # no. 1 of 2026, no. 1 of 2027

    text = _pdf(db, december)
    assert "Số: 01/BB-CP" in text and "Hà Nội, ngày 05 tháng 12 năm 2026" in text
    text = _pdf(db, eve)
    assert "Số: 01/BB-CP" in text and "Hà Nội, ngày 01 tháng 01 năm 2027" in text
    assert "năm 2026" not in text.split("BIÊN BẢN")[0]  # the head: number and date of the same year
    assert "23 giờ 58, ngày 31 tháng 12 năm 2026" in text  # when the session was held: in the body
    docx = docx_text(db.run_read(services.get_docx, actor=eve.cabinet.staff, meeting_id=eve.meeting_id).data)
    assert "Hà Nội, ngày 01 tháng 01 năm 2027" in docx

    # A correction before anyone signed is the same document: its number and its date.
    call(db, services.new_version, actor=eve.cabinet.staff, meeting_id=eve.meeting_id)
    again = _finalise(db, eve, monkeypatch, datetime(2027, 1, 4, 2, 0, tzinfo=timezone.utc))
    assert again["number"] == "01/BB-CP" and again["version"] == 2
    text = _pdf(db, eve)
    assert "Hà Nội, ngày 01 tháng 01 năm 2027" in text and "ngày 04 tháng 01" not in text


def test_a_notice_approved_again_keeps_the_date_of_its_number(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rule for the conclusion notices (core/register.py): approved on 31 December (no. 01 of that year),
    returned and approved again in January, it keeps its number and so the date it was numbered on."""
    h = held_meeting(db)
    c = h.cabinet
    nid, _ = approved_at(db, h, settings, monkeypatch, datetime(2026, 12, 31, 3, 0, tzinfo=timezone.utc))
    assert (
        "Hà Nội, ngày 31 tháng 12 năm 2026"
        in pdf_text(db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data)[0]
    )
    call(db, notices.return_to_draft, actor=c.chair, notice_id=nid)
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    monkeypatch.setattr(issuing, "utcnow", lambda: datetime(2027, 1, 4, 3, 0, tzinfo=timezone.utc))
    assert call(db, issuing.approve, actor=c.chair, notice_id=nid)["number"] == "01/TB-TTg"
    text = pdf_text(db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data)[0]
    assert "Số: 01/TB-TTg" in text and "Hà Nội, ngày 31 tháng 12 năm 2026" in text and "năm 2027" not in text


def approved_at(
    db: Database, h: Held, settings: Settings, monkeypatch: pytest.MonkeyPatch, at: datetime
) -> tuple[int, int]:
    monkeypatch.setattr(issuing, "utcnow", lambda: at)
    return approved_notice(db, h, settings.data_dir, date.today() + timedelta(days=90))
