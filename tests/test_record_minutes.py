"""The official record is exact: the organisation's time zone in every file, the register number, the figures a
decision rests on, guests in full, and files that say who made them and when (not 2000-01-01 or python-docx)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import docx
import pikepdf
import pytest
from sqlmodel import select

from app.db import Database
from infra.settings import Settings
from minutes import services
from core.clock import pdf_date
from minutes.models import MinutesVersion
from tests.factories import call
from tests.minutes_helpers import DEPUTY, QUESTIONS, Scripted, pdf_text, scripted_meeting, signer_keys
from tests.record_helpers import docx_text, pin_times, sign_step
from votes.models import VoteKind


@pytest.fixture
def s(db: Database) -> Scripted:
    s = scripted_meeting(db)
    pin_times(db, s.meeting_id)
    return s


HANOI = ["08 giờ 00, ngày 03 tháng 12 năm 2026", "(09:15 - 09:20)", "kết thúc vào 11 giờ 30 cùng ngày"]
PARIS = ["02 giờ 00, ngày 03 tháng 12 năm 2026", "(03:15 - 03:20)", "kết thúc vào 05 giờ 30 cùng ngày"]


@pytest.mark.parametrize("tz, expected, wrong", [("Asia/Ho_Chi_Minh", HANOI, PARIS), ("Europe/Paris", PARIS, HANOI)])
def test_times_in_pdf_and_docx_follow_the_organisation_zone(
    db: Database, s: Scripted, tz: str, expected: list[str], wrong: list[str]
) -> None:
    c, mid = s.cabinet, s.meeting_id
    draft_pdf = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid, tz=tz).data)[0]
    draft = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid, tz=tz)
    call(db, services.finalise, actor=c.staff, meeting_id=mid, tz=tz)
    final_pdf = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid, tz=tz).data)[0]
    text_docx = docx_text(db.run_read(services.get_docx, actor=c.staff, meeting_id=mid, tz=tz).data)
    sections = " ".join(x["effective"] for x in draft["sections"])
    for text in (draft_pdf, final_pdf, text_docx, sections):
        for e in expected:
            assert e in text, (e, tz)
        for w in wrong:
            assert w not in text, (w, tz)


def test_a_signature_at_10_45_utc_reads_17_45_by_default(db: Database, settings: Settings, s: Scripted) -> None:
    from tests.test_record_signature import text_in, widget_rects

    c, mid = s.cabinet, s.meeting_id
    signer_keys(settings.data_dir, c)
    call(db, services.finalise, actor=c.staff, meeting_id=mid)
    status = sign_step(db, settings.data_dir, c.secretary, mid)
    assert status["signers"][0]["signed_at"] == "2026-12-03T10:45:00Z"  # pages format it (browser test)
    pdf = db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data
    rects = widget_rects(pdf)
    assert "Thời gian ký: 17:45, 03/12/2026" in text_in(pdf, *rects["ThuKy"])
    assert text_in(pdf, *rects["ChuToa"]) == ""  # the chair has not signed yet


def test_finalised_minutes_are_numbered_from_the_register(db: Database, settings: Settings) -> None:
    a, b = scripted_meeting(db), scripted_meeting(db)
    for x in (a, b):
        pin_times(db, x.meeting_id)
    draft = pdf_text(db.run_read(services.get_pdf, actor=a.cabinet.staff, meeting_id=a.meeting_id).data)[0]
    assert "Số: /BB-CP" in draft  # a draft has no number yet: the clerk's blank
    assert call(db, services.finalise, actor=a.cabinet.staff, meeting_id=a.meeting_id)["number"] == "01/BB-CP"
    assert call(db, services.finalise, actor=b.cabinet.staff, meeting_id=b.meeting_id)["number"] == "02/BB-CP"
    assert (
        "Số: 01/BB-CP"
        in pdf_text(db.run_read(services.get_pdf, actor=a.cabinet.staff, meeting_id=a.meeting_id).data)[0]
    )
    assert "Số: 02/BB-CP" in docx_text(
        db.run_read(services.get_docx, actor=b.cabinet.staff, meeting_id=b.meeting_id).data
    )

    # A correction of minutes nobody has signed yet is still the same document: it keeps its number.
    call(db, services.new_version, actor=a.cabinet.staff, meeting_id=a.meeting_id)
    assert call(db, services.finalise, actor=a.cabinet.staff, meeting_id=a.meeting_id)["number"] == "01/BB-CP"
    # Signed minutes were issued: their correction replaces an issued document and gets the next number.
    signer_keys(settings.data_dir, a.cabinet)
    sign_step(db, settings.data_dir, a.cabinet.secretary, a.meeting_id)
    sign_step(db, settings.data_dir, a.cabinet.chair, a.meeting_id)
    call(db, services.new_version, actor=a.cabinet.staff, meeting_id=a.meeting_id)
    status = call(db, services.finalise, actor=a.cabinet.staff, meeting_id=a.meeting_id)
    assert status["version"] == 3 and status["number"] == "03/BB-CP"
    signed_v2 = db.run_read(services.get_pdf, actor=a.cabinet.members[0], meeting_id=a.meeting_id).data
    assert "Số: 01/BB-CP" in pdf_text(signed_v2)[0]  # the issued version keeps its own number
    listed = db.run_read(services.list_versions, actor=a.cabinet.staff, meeting_id=a.meeting_id)
    assert [(v["version"], v["number"]) for v in listed] == [(1, "01/BB-CP"), (2, "01/BB-CP"), (3, "03/BB-CP")]


def test_the_register_year_is_the_organisations_and_a_new_year_starts_at_one(db: Database) -> None:
    from minutes import register
    from minutes.models import MinutesNumber

    s = scripted_meeting(db)
    new_year_eve = datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)  # 00:30 on 1 January 2027 in Hà Nội

    def allocate(at: datetime, tz: str) -> tuple[int, int]:
        row = db.run_write(
            lambda session: register.allocate(session, meeting_id=s.meeting_id, version=1, at=at, tz=tz, actor_id=None)
        ).result
        return row.year, row.number

    assert allocate(datetime(2026, 6, 1, tzinfo=timezone.utc), "Asia/Ho_Chi_Minh") == (2026, 1)
    assert allocate(new_year_eve, "Europe/Paris") == (2026, 2)  # still 18:30 on 31 December in Paris
    assert allocate(new_year_eve, "Asia/Ho_Chi_Minh") == (2027, 1)
    assert allocate(new_year_eve, "Asia/Ho_Chi_Minh") == (2027, 2)
    with db.read_session() as session:
        rows = sorted((r.year, r.number) for r in session.exec(select(MinutesNumber)))
    assert rows == [(2026, 1), (2026, 2), (2027, 1), (2027, 2)]


def test_the_figures_a_decision_rests_on(db: Database, s: Scripted) -> None:
    c, mid = s.cabinet, s.meeting_id
    pdf = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data)[0]
    doc = docx_text(db.run_read(services.get_docx, actor=c.staff, meeting_id=mid).data)
    m = c.members
    for text in (pdf, doc):
        assert (
            "Tổng số thành viên: 7; có mặt: 5 (tại phòng họp: 4; trực tuyến: 1); đại biểu dự thay: 1; vắng mặt: 1."
            in text
        )
        assert (
            "Số thành viên tối thiểu để tiến hành phiên họp (2/3 tổng số thành viên): 5; đủ điều kiện tiến hành phiên "
            "họp." in text
        )
        assert (
            text.count(
                "Quá nửa tổng số thành viên tán thành (tổng số thành viên khi kết thúc biểu quyết: 7; số phiếu tán "
                "thành cần có: 4)"
            )
            == 3
        )
        named = text.split(QUESTIONS[VoteKind.named])[1]
        assert f"Thành viên không tham gia biểu quyết: 2 ({m[2].full_name}, {m[3].full_name})." in named
        secret = text.split(QUESTIONS[VoteKind.secret])[1]
        assert "Thành viên không tham gia biểu quyết: 2." in secret and m[2].full_name not in secret
        opened = text.split(QUESTIONS[VoteKind.open])[1].split(QUESTIONS[VoteKind.named])[0]
        assert "Thành viên không tham gia biểu quyết: 2." in opened and m[3].full_name not in opened
        assert "Khách Mời Đặc Biệt, Bộ Thử nghiệm (tham dự tại phòng họp)" in text  # unit in full + attendance
        assert f"1. {DEPUTY} (dự thay {m[2].full_name}" in text


def test_a_remote_guest_and_a_long_unit_are_shown_in_full(db: Database) -> None:
    from accounts.models import User
    from meetings import participation
    from meetings.models import Attendance
    from meetings.schemas import CheckInRequest

    s = scripted_meeting(db, end=False)
    c = s.cabinet
    unit = "Ủy ban nhân dân tỉnh Quảng Nam, Sở Kế hoạch và Đầu tư, Phòng Tổng hợp quy hoạch và phát triển vùng"
    with db.write_session() as session:
        guest = session.get(User, c.guest.id)
        assert guest is not None
        guest.title, guest.unit = "Phó Giám đốc", unit
        session.add(guest)
        session.commit()
    call(
        db,
        participation.check_in,
        actor=c.guest,
        meeting_id=c.meeting_id,
        data=CheckInRequest(attendance=Attendance.present_remote),
    )
    pdf = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=c.meeting_id).data)[0]
    doc = docx_text(db.run_read(services.get_docx, actor=c.staff, meeting_id=c.meeting_id).data)
    for text in (pdf, doc):  # the unit in full, and the history's word on how they attended
        assert re.search(rf"Khách Mời Đặc Biệt, Phó Giám đốc, {re.escape(unit)} \([^)]*tham dự trực tuyến[^)]*\)", text)


def test_files_carry_the_finalisation_date_and_the_organisation(db: Database, s: Scripted) -> None:
    c, mid = s.cabinet, s.meeting_id
    call(db, services.finalise, actor=c.staff, meeting_id=mid, tz="Europe/Paris")
    with db.read_session() as session:
        version = session.exec(select(MinutesVersion).where(MinutesVersion.meeting_id == mid)).one()
    at = (
        version.finalised_at.replace(tzinfo=timezone.utc)
        if version.finalised_at.tzinfo is None
        else version.finalised_at
    )
    stored = db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data
    with pikepdf.open(io.BytesIO(stored)) as pdf:
        info = {k: str(v) for k, v in pdf.docinfo.items()}
    assert info["/CreationDate"] == info["/ModDate"] == pdf_date(at, "Europe/Paris")
    assert info["/CreationDate"].endswith("+01'00'") and not info["/CreationDate"].startswith("D:2000")
    assert info["/Author"] == "Chính phủ" and info["/Creator"] == "Chính phủ" and "ReportLab" not in info["/Producer"]
    assert info["/Title"] == "Biên bản Phiên họp thử nghiệm ngân sách"

    one = db.run_read(services.get_docx, actor=c.staff, meeting_id=mid, tz="Europe/Paris").data
    two = db.run_read(services.get_docx, actor=c.staff, meeting_id=mid, tz="Europe/Paris").data
    assert one == two  # regenerated: the same bytes
    props = docx.Document(io.BytesIO(one)).core_properties
    assert props.created == props.modified == at.replace(microsecond=0)
    assert props.author == props.last_modified_by == "Chính phủ" and props.comments == ""
    # ZIP keeps wall time (the organisation's clock, not UTC's: the day differs for an hour a day) in 2-second steps
    paris = at.astimezone(ZoneInfo("Europe/Paris"))
    stamp = (*paris.timetuple()[:5], paris.second - paris.second % 2)
    with zipfile.ZipFile(io.BytesIO(one)) as z:
        assert all(i.date_time == stamp for i in z.infolist())
        package = b"".join(z.read(n) for n in z.namelist())
    assert b"python-docx" not in package and b"2013-12-23" not in package


def test_a_draft_is_dated_at_the_end_of_the_meeting_and_regenerates_identically(db: Database, s: Scripted) -> None:
    c, mid = s.cabinet, s.meeting_id
    one = db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data
    assert one == db.run_read(services.get_pdf, actor=c.chair, meeting_id=mid).data
    with pikepdf.open(io.BytesIO(one)) as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == "D:20261203113000+07'00'"  # ended 04:30Z
