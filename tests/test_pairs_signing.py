"""Signed documents and the follow-up of a signed notice, each service refused for the caller who must not and
allowed for the one who may (denied/allowed pairs read by tests/test_service_pairs.py): the minutes' signature
whose turn it is, the notice the chair signs, a voter's signed poll sheet, the progress reports of a unit's task."""

from __future__ import annotations

from datetime import date

import pytest

from app.db import Database
from infra.settings import Settings
from core.errors import Conflict, Forbidden, NotFound
from minutes import services as minutes
from minutes import signoff as minutes_signoff
from ledger.keystore import KeyStore
from minutes.signing import sign_pdf
from notices import issuing as notice_issuing
from notices import services as notices
from notices import tasks
from polls import answering as polls
from polls import closing as polls_closing
from polls.schemas import AnswerIn, AnswersIn
from tests.factories import PASSWORD, call
from tests.minutes_helpers import signer_keys
from tests.notice_helpers import approved_notice, held_meeting, issued_notice, signed_by, unit_user
from tests.poll_helpers import in_, make_board, make_poll

DEADLINE = date(2031, 1, 15)


@pytest.mark.service_pair("minutes.signoff.store_signature")
def test_a_signed_file_is_kept_only_for_the_signer_whose_turn_it_is(db: Database, settings: Settings) -> None:
    h = held_meeting(db)
    c = h.cabinet
    signer_keys(settings.data_dir, c)
    call(db, minutes.finalise, actor=c.staff, meeting_id=c.meeting_id)
    job = db.run_read(minutes_signoff.prepare_signature, actor=c.secretary, meeting_id=c.meeting_id)
    pdf = sign_pdf(
        job.pdf,
        store=KeyStore.for_data_dir(settings.data_dir),
        user_id=job.username,
        password=PASSWORD,
        field_name=job.field_name,
        reason=job.reason,
        location=job.location,
        signer_name=job.full_name,
    )
    for who in (c.chair, c.staff, c.members[0]):  # denied: the secretary's signature, kept as someone else's
        with pytest.raises(Forbidden):
            call(db, minutes_signoff.store_signature, actor=who, job=job, pdf=pdf)
    with pytest.raises(NotFound):  # denied: not invited (the meeting answers as absent)
        call(db, minutes_signoff.store_signature, actor=c.outsider, job=job, pdf=pdf)
    assert db.run_read(minutes.list_versions, actor=c.staff, meeting_id=c.meeting_id)[-1]["state"] == "final"
    status = call(db, minutes_signoff.store_signature, actor=c.secretary, job=job, pdf=pdf)  # allowed: the secretary
    assert status["state"] == "secretary_signed"
    assert status["signers"][0]["user_id"] == c.secretary.id and status["signers"][0]["signed_at"]
    with pytest.raises(Conflict):  # once: the version moved on
        call(db, minutes_signoff.store_signature, actor=c.secretary, job=job, pdf=pdf)


@pytest.mark.service_pair("notices.issuing.prepare_signature", "notices.issuing.store_signature")
def test_only_the_chair_signs_the_conclusion_notice(db: Database, settings: Settings) -> None:
    h = held_meeting(db)
    c = h.cabinet
    nid, _ = approved_notice(db, h, settings.data_dir, DEADLINE)
    with pytest.raises(Forbidden, match="chủ trì"):  # denied: the Office prepares and follows it; the chair signs
        db.run_read(notice_issuing.prepare_signature, actor=c.staff, notice_id=nid)
    with pytest.raises(NotFound):  # the meeting's secretary does not see a notice before it is issued: as if absent
        db.run_read(notice_issuing.prepare_signature, actor=c.secretary, notice_id=nid)
    job, signed, at = signed_by(db, c.chair, nid, settings.data_dir)  # allowed: prepare_signature as the chair
    assert job.notice_id == nid and job.username == c.chair.username and job.pdf.startswith(b"%PDF")
    with pytest.raises(Forbidden, match="chủ trì"):  # denied: the chair's signed file, stored by someone else
        call(db, notice_issuing.store_signature, actor=c.staff, job=job, pdf_bytes=signed, signed_at=at)
    with pytest.raises(NotFound):  # the meeting's secretary: the notice not issued yet is absent to him
        call(db, notice_issuing.store_signature, actor=c.secretary, job=job, pdf_bytes=signed, signed_at=at)
    assert db.run_read(notices.get_notice, actor=c.staff, notice_id=nid)["state"] == "approved"
    issued = call(db, notice_issuing.store_signature, actor=c.chair, job=job, pdf_bytes=signed, signed_at=at)  # allowed
    assert issued["state"] == "issued" and issued["number"]


@pytest.mark.service_pair("notices.tasks.report", "notices.tasks.task_reports")
def test_a_task_is_reported_on_by_its_unit_and_read_by_who_follows_it(db: Database, settings: Settings) -> None:
    h = held_meeting(db)
    c = h.cabinet
    _, task_id = issued_notice(db, h, settings.data_dir, DEADLINE)
    elsewhere = unit_user(db, unit="Bộ Công Thương", name="Lê Thị Cơ Quan Khác")
    progress = {"task_id": task_id, "percent": 40, "note": "Đã rà soát 3/8 đơn vị dự toán.", "done": False}
    with pytest.raises(NotFound):  # denied: another unit's task is not there for them
        call(db, tasks.report, actor=elsewhere, **progress)
    for who in (c.staff, c.chair):  # denied: they see the task, but only the unit reports on it
        with pytest.raises(Forbidden, match="cơ quan được giao"):
            call(db, tasks.report, actor=who, **progress)
    with pytest.raises(NotFound):  # denied: reading another unit's reports
        db.run_read(tasks.task_reports, actor=elsewhere, task_id=task_id)
    assert db.run_read(tasks.task_reports, actor=c.chair, task_id=task_id) == []
    done = call(db, tasks.report, actor=h.ministry, **progress)  # allowed: a user of the assigned unit
    assert done["percent"] == 40 and done["state"] == "open"
    for who in (h.ministry, c.chair, c.staff):  # allowed: the unit, the chair, the secretariat read the reports
        reports = db.run_read(tasks.task_reports, actor=who, task_id=task_id)
        assert [(r["user_id"], r["percent"], r["note"]) for r in reports] == [(h.ministry.id, 40, progress["note"])]


@pytest.mark.service_pair("polls.answering.signed_sheet")
def test_a_signed_sheet_is_its_voter_s_the_chair_s_and_the_secretariat_s(db: Database) -> None:
    b = make_board(db)
    poll = make_poll(db, b, deadline=in_(3600))
    pid, voter = poll["id"], b.members[0]
    data = AnswersIn(answers=[AnswerIn(question_id=q["id"], choice="agree") for q in poll["questions"]])
    sheet = db.run_read(polls.sheet_to_sign, actor=voter, poll_id=pid, data=data)
    kept = "cd" * 32  # the stored signed PDF's digest (the route signs and keeps it: tests/test_polls_api.py)
    call(db, polls.answer, actor=voter, poll_id=pid, data=data, signed_sheet=kept, signed_digest=sheet["digest"])
    with pytest.raises(Forbidden):  # denied: another voter
        db.run_read(polls.signed_sheet, actor=b.members[1], poll_id=pid, user_id=voter.id)
    with pytest.raises(NotFound):  # someone not on the poll's list: the poll answers as absent
        db.run_read(polls.signed_sheet, actor=b.outsider, poll_id=pid, user_id=voter.id)
    assert db.run_read(polls.signed_sheet, actor=voter, poll_id=pid, user_id=voter.id) == kept  # the voter, at once
    for who in (b.chair, b.staff):  # before the deadline they follow who answered, never what
        with pytest.raises(Conflict):
            db.run_read(polls.signed_sheet, actor=who, poll_id=pid, user_id=voter.id)
    call(db, polls_closing.close_poll, poll_id=pid, now=in_(7200))
    for who in (voter, b.chair, b.staff):  # allowed once closed: the voter, the chair, the secretariat
        assert db.run_read(polls.signed_sheet, actor=who, poll_id=pid, user_id=voter.id) == kept
    with pytest.raises(NotFound):  # answered without a signature: no signed sheet
        db.run_read(polls.signed_sheet, actor=b.staff, poll_id=pid, user_id=b.members[1].id)
