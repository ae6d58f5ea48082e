"""The administrative form of the generated PDFs (NĐ 30/2020/NĐ-CP), read back with pdftotext: the conclusion
notice is issued in the form its signer (the meeting's chair) may sign (docs/notices-and-notifications.md), with
the signer's name once, and the meeting's day and the chair's full title in its intro; the poll's summary report
carries its number from the reports' register, given once per poll and per year, and the Prime Minister's title."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import Session, select

from accounts.models import User
from app.db import Database
from core.actor import Actor
from core.clock import local, utcnow
from core.errors import Forbidden
from core.officials import full_title, named, signature_lines
from infra.settings import Settings
from meetings.models import Meeting
from notices import issuing
from notices import services as notices
from notices.models import NoticeNumber
from polls import closing, numbering
from polls.models import PollReportNumber
from polls.pdf import report_pdf
from tests.factories import call
from tests.notice_helpers import approved_notice, held_meeting, signed_by
from tests.poll_helpers import answer, in_, make_board, make_poll

TZ = "Asia/Ho_Chi_Minh"


def text_of(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def _retitle(db: Database, who: Actor, title: str) -> None:
    def write(session: Session) -> None:
        user = session.get(User, who.id)
        assert user is not None
        user.title = title
        session.add(user)

    db.run_write(write)


def test_titles_and_signature_lines() -> None:
    assert full_title("Thủ tướng") == "Thủ tướng Chính phủ" == full_title("Thủ tướng Chính phủ")
    assert full_title("Phó Thủ tướng Thường trực") == "Phó Thủ tướng Thường trực Chính phủ"
    assert full_title("Bộ trưởng Bộ Tài chính") == "Bộ trưởng Bộ Tài chính"
    assert named("Thủ tướng Chính phủ", "Nguyễn Văn Thành") == "Thủ tướng Chính phủ Nguyễn Văn Thành"
    assert named("", "Nguyễn Văn Thành") == "Nguyễn Văn Thành"
    assert signature_lines("Thủ tướng Chính phủ") == ("THỦ TƯỚNG",)
    assert signature_lines("Phó Thủ tướng Thường trực") == ("KT. THỦ TƯỚNG", "PHÓ THỦ TƯỚNG")
    assert signature_lines("Bộ trưởng") == ("BỘ TRƯỞNG",) and signature_lines("") == ("NGƯỜI CHỦ TRÌ",)


def test_the_intro_dates_the_session_by_its_start_else_its_schedule() -> None:
    started = datetime(2026, 12, 3, 18, 30, tzinfo=timezone.utc)  # 01:30 on the 4th in Hà Nội
    planned = datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    ended = datetime(2026, 12, 4, 5, 0, tzinfo=timezone.utc)
    assert notices.meeting_day(Meeting(title="x", scheduled_at=planned, started_at=started, ended_at=ended)) == started
    assert notices.meeting_day(Meeting(title="x", scheduled_at=planned, started_at=None, ended_at=ended)) == planned


def test_a_notice_is_issued_in_the_form_its_signer_may_sign(settings: Settings, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    _retitle(db, c.chair, "Phó Thủ tướng")
    started = datetime(2026, 12, 3, 18, 30, tzinfo=timezone.utc)  # the 4th on the organisation's clock

    def held_then(session: Session) -> None:
        meeting = session.get(Meeting, c.meeting_id)
        assert meeting is not None
        meeting.started_at = started
        session.add(meeting)

    db.run_write(held_then)
    deadline = local(utcnow()).date() + timedelta(days=30)
    nid, _ = approved_notice(db, h, settings.data_dir, deadline)
    shown = call(db, notices.get_notice, actor=c.chair, notice_id=nid)
    assert shown["number"] == "01/TB-TTg"
    who = f"Phó Thủ tướng Chính phủ {c.chair.full_name}"
    assert shown["intro"].startswith("Ngày 04 tháng 12 năm 2026, tại ") and f"{who} chủ trì" in shown["intro"]
    final = db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data
    text = text_of(final)
    for words in (
        "THỦ TƯỚNG CHÍNH PHỦ",
        "Số: 01/TB-TTg",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Ngày 04 tháng 12 năm 2026",
        f"{who} đã kết luận như sau:",
        "Thủ tướng Chính phủ thông báo để các bộ, cơ quan, địa phương liên quan biết, thực hiện./.",
        "KT. THỦ TƯỚNG",
        "PHÓ THỦ TƯỚNG",
    ):
        assert words in text, words
    assert "VĂN PHÒNG CHÍNH PHỦ" not in text and "TB-VPCP" not in text
    block = text[text.index("KT. THỦ TƯỚNG") :]
    assert block.count(c.chair.full_name) == 1  # the signer block: the name once, below the field

    job, signed, at = signed_by(db, c.chair, nid, settings.data_dir)
    assert job.pdf == final and signed.startswith(final)  # what is signed is the frozen file the chair read
    after = text_of(signed)
    assert "Đã ký số" in after and after.count(c.chair.full_name) == text.count(c.chair.full_name)
    assert after[after.index("KT. THỦ TƯỚNG") :].count(c.chair.full_name) == 1
    call(db, issuing.store_signature, actor=c.chair, job=job, pdf_bytes=signed, signed_at=at)
    assert db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data == signed


def test_a_number_given_before_keeps_its_symbol_and_issuer(settings: Settings, db: Database) -> None:
    h = held_meeting(db)
    c = h.cabinet
    _retitle(db, c.chair, "Thủ tướng Chính phủ")
    deadline = local(utcnow()).date() + timedelta(days=30)
    nid, _ = approved_notice(db, h, settings.data_dir, deadline)
    text = text_of(db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data)
    assert "Số: 01/TB-TTg" in text and text[text.index("Thủ tướng Chính phủ thông báo") :].count("THỦ TƯỚNG") == 1

    def given_before_0018(session: Session) -> None:
        for row in session.exec(select(NoticeNumber)).all():
            row.symbol = "TB-VPCP"
            session.add(row)

    db.run_write(given_before_0018)
    call(db, notices.return_to_draft, actor=c.chair, notice_id=nid)
    call(db, notices.submit, actor=c.staff, notice_id=nid)
    again = call(db, issuing.approve, actor=c.chair, notice_id=nid)
    assert again["number"] == "01/TB-VPCP"  # the same number, with the symbol it was given
    text = text_of(db.run_read(issuing.get_pdf, actor=c.chair, notice_id=nid).data)
    assert "VĂN PHÒNG CHÍNH PHỦ" in text and "Số: 01/TB-VPCP" in text


def _report_text(db: Database, actor: Actor, poll_id: int) -> str:
    found = db.run_read(closing.report_data, actor=actor, poll_id=poll_id)
    chair = found["chair"]
    pdf = report_pdf(
        detail=found["detail"],
        chair_name=chair.full_name,
        chair_title=chair.title,
        number=found["number"],
        created=found["poll"].closed_at,
        tz=TZ,
    )
    return text_of(pdf)


@pytest.mark.service_pair("polls.numbering.ensure_number")
def test_a_summary_report_is_numbered_once_per_year(db: Database, tmp_path: Path) -> None:
    b = make_board(db, n_members=2)
    _retitle(db, b.chair, "Thủ tướng Chính phủ")
    first = make_poll(db, b, deadline=in_(3600))
    second = make_poll(db, b, deadline=in_(3600))
    answer(db, first, b.members[0], "disagree", "agree", comment="Cần làm rõ nguồn vốn.")
    later = in_(7200)
    assert call(db, closing.close_poll, poll_id=second["id"], now=later, tz=TZ) is True
    assert call(db, closing.close_poll, poll_id=first["id"], now=later, tz=TZ) is True
    assert call(db, closing.close_poll, poll_id=first["id"], now=later, tz=TZ) is False  # once
    assert db.run_read(closing.report_data, actor=b.chair, poll_id=second["id"])["number"] == "01/BC-VPCP"
    assert db.run_read(closing.report_data, actor=b.staff, poll_id=first["id"])["number"] == "02/BC-VPCP"

    text = _report_text(db, b.chair, first["id"])
    assert "VĂN PHÒNG CHÍNH PHỦ" in text and "Số: 02/BC-VPCP" in text and "BÁO CÁO" in text
    assert f"Thực hiện ý kiến của Thủ tướng Chính phủ {b.chair.full_name}, Văn phòng Chính phủ" in text
    assert "Tổng hợp ý kiến thành viên Chính phủ" in text and "Cần làm rõ nguồn vốn." in text

    def closed_before_the_register(session: Session) -> None:  # as if `second` had closed before 0018
        for row in session.exec(select(PollReportNumber).where(PollReportNumber.poll_id == second["id"])).all():
            session.delete(row)

    db.run_write(closed_before_the_register)
    assert re.search(r"Số: /BC-VPCP", _report_text(db, b.chair, second["id"]))  # no number yet: left blank
    with pytest.raises(Forbidden):
        call(db, numbering.ensure_number, actor=b.members[0], poll_id=second["id"], tz=TZ)
    assert call(db, numbering.ensure_number, actor=b.chair, poll_id=second["id"], tz=TZ) == "03/BC-VPCP"
    assert call(db, numbering.ensure_number, actor=b.staff, poll_id=second["id"], tz=TZ) == "03/BC-VPCP"  # once
    assert "Số: 03/BC-VPCP" in _report_text(db, b.chair, second["id"])

    # the year is the organisation's: 00:30 on 1 January in Hà Nội is still 31 December in UTC
    third = make_poll(db, b, deadline=in_(3600))
    new_year = datetime(2999, 12, 31, 17, 30, tzinfo=timezone.utc)
    assert call(db, closing.close_poll, poll_id=third["id"], now=new_year, tz=TZ) is True
    with db.read_session() as s:
        entry = s.exec(select(PollReportNumber).where(PollReportNumber.poll_id == third["id"])).one()
    assert (entry.year, entry.number) == (3000, 1)
