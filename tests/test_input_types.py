"""The input layer's types (core/types.py) and the stored text the minutes writer must survive."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import docx
import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import text

from app.db import Database
from core.types import MAX_ID, Day, Flag, FormFlag, FormId, FormInt, Id, Line, Moment, Para, Secret
from meetings.schemas import MeetingUpdate
from minutes import services as minutes
from tests.factories import make_cabinet


class Shape(BaseModel):
    id: Id = 1
    flag: Flag = False
    line: Line = ""
    para: Para = ""
    secret: Secret = "x"
    form_id: FormId = 1
    form_flag: FormFlag = False


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", 0),
        ("id", MAX_ID + 1),
        ("id", 2**64),
        ("id", "5"),
        ("id", 5.0),
        ("id", True),
        ("flag", "true"),
        ("flag", 1),
        ("line", "a\x01b"),
        ("line", "a\nb"),
        ("line", "a\u202eb"),
        ("line", "\ufffe"),
        ("line", "Phiên họp A\u2028Số: 99/BB-CP"),  # a line break to splitlines and Word: a forged second line
        ("line", "a\u2029b"),
        ("line", "a\ufeffb"),
        ("line", "a\U000e0041b"),  # tag characters: text no reader sees
        ("para", "a\U000e0041b"),
        ("para", "a\x00b"),
        ("para", "a\x1bb"),
        ("para", "a\x85b"),
        ("line", 5),
        ("secret", "a\x00"),
        ("secret", "a\x01b"),
        ("secret", "a\tb"),
        ("secret", "a\x9bb"),
        ("form_id", "0"),
        ("form_id", "9" * 5000),
        ("form_id", "²"),
        ("form_flag", "yes"),
    ],
)
def test_hostile_values_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        Shape.model_validate({field: value})
    assert err.value.errors()[0]["loc"] == (field,)


def test_text_is_nfc_and_keeps_line_breaks_only_where_allowed() -> None:
    s = Shape.model_validate(
        {"line": "  Ha\u0300 Nội ", "para": "Dòng 1\r\nDòng\t2", "id": MAX_ID, "form_id": "12", "form_flag": "true"}
    )
    assert (s.line, s.para, s.id, s.form_id, s.form_flag) == ("Hà Nội", "Dòng 1\nDòng\t2", MAX_ID, 12, True)
    assert Shape.model_validate({"para": "Dòng 1\u2028Dòng 2\u2029Đoạn 2"}).para == "Dòng 1\nDòng 2\nĐoạn 2"


def test_a_password_is_kept_exactly_as_typed() -> None:
    """Spaces and the form of its accents are part of a password: neither stripped nor normalised."""
    typed = " Mật khẩu\u0300 2026 "
    assert Shape.model_validate({"secret": typed}).secret == typed


def test_patch_null_is_refused_where_the_column_is_not_null() -> None:
    with pytest.raises(ValidationError) as err:
        MeetingUpdate.model_validate({"place": None})
    assert err.value.errors()[0]["loc"] == ("place",)
    assert MeetingUpdate.model_validate({"scheduled_at": None}).model_dump(exclude_unset=True) == {"scheduled_at": None}
    assert MeetingUpdate.model_validate({}).model_dump(exclude_unset=True) == {}


def test_minutes_docx_survives_control_characters_already_stored(db: Database) -> None:
    """Text stored before the input layer refused controls must not make the minutes fail forever."""
    c = make_cabinet(db, n_members=2, n_items=1)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE meeting SET title = :t WHERE id = :id"),
            {"t": "Phiên họp\x01 tháng\x0b 12\ufffe", "id": c.meeting_id},
        )
    out = db.run_read(minutes.get_docx, actor=c.staff, meeting_id=c.meeting_id)
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(out.data)).paragraphs)
    assert "Phiên họp tháng 12" in body
    pdf = db.run_read(minutes.get_pdf, actor=c.staff, meeting_id=c.meeting_id, draft=True, version=None)
    assert pdf.data.startswith(b"%PDF")


def test_length_limits_count_the_text_as_stored() -> None:
    """NFC and stripping come first: three spaces are not a three-character title."""
    with pytest.raises(ValidationError):
        MeetingUpdate.model_validate({"title": "   "})
    assert MeetingUpdate.model_validate({"title": "  Ho\u0323p  "}).title == "Họp"


def test_minutes_docx_of_a_meeting_with_the_longest_allowed_title(db: Database) -> None:
    """A 300-character title is allowed; the DOCX keeps it whole in the body and fits it in its metadata."""
    c = make_cabinet(db, n_members=2, n_items=1)
    title = "Phiên họp chuyên đề về xây dựng pháp luật " + "đất đai " * 40
    title = title[:300].rstrip()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE meeting SET title = :t WHERE id = :id"), {"t": title, "id": c.meeting_id})
    out = db.run_read(minutes.get_docx, actor=c.staff, meeting_id=c.meeting_id)
    document = docx.Document(io.BytesIO(out.data))
    assert title in "\n".join(p.text for p in document.paragraphs)
    assert len(document.core_properties.title) <= 255 and document.core_properties.title.endswith("…")


class When(BaseModel):
    at: Moment | None = None
    day: Day | None = None


@pytest.mark.parametrize(
    "value",
    [
        "2027-01-05T10:00:00",  # no offset: which zone? taken as UTC it would move a meeting by seven hours
        "2027-01-05",
        0,
        1_900_000_000,
        "1900000000",
        True,
        "1900-01-01T00:00:00+23:59",  # 1899 in UTC
        "9998-12-31T23:00:00-05:00",  # 9999 in UTC
        "05/01/2027 10:00",
        datetime(2027, 1, 5, 10, 0),  # naive, built in Python
    ],
)
def test_a_moment_is_iso_8601_with_its_offset(value: object) -> None:
    with pytest.raises(ValidationError):
        When(at=value)


def test_a_moment_keeps_the_instant_written() -> None:
    hanoi = When(at="2027-01-05T10:00:00+07:00").at
    assert hanoi is not None and hanoi.astimezone(timezone.utc) == datetime(2027, 1, 5, 3, 0, tzinfo=timezone.utc)
    assert When(at="2027-01-05T03:00Z").at == hanoi
    assert When(at=datetime(2027, 1, 5, 3, 0, tzinfo=timezone.utc)).at == hanoi
    assert hanoi.utcoffset() == timedelta(0)  # held in UTC: a database that drops offsets keeps the instant


@pytest.mark.parametrize("value", ["2027-1-5", "2027-01-05T00:00:00Z", 20270105, "05/01/2027", datetime(2027, 1, 5)])
def test_a_day_is_yyyy_mm_dd(value: object) -> None:
    with pytest.raises(ValidationError):
        When(day=value)
    assert When(day="2027-01-05").day == date(2027, 1, 5) == When(day=date(2027, 1, 5)).day


def test_a_negative_number_in_text_is_refused_for_its_range_not_as_a_non_number() -> None:
    class Query(BaseModel):
        limit: FormInt(1, 1000) = 50  # type: ignore[valid-type]
        id: FormId = 1

    for field in ("limit", "id"):
        with pytest.raises(ValidationError) as refused:
            Query.model_validate({field: "-1"})
        assert refused.value.errors()[0]["type"] == "greater_than_equal", refused.value.errors()
        with pytest.raises(ValidationError) as refused:
            Query.model_validate({field: "x1"})
        assert refused.value.errors()[0]["type"] == "int_type"
    assert Query.model_validate({"limit": "20", "id": "7"}) == Query(limit=20, id=7)
