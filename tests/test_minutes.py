"""Minutes from a scripted session through the real services: the golden structure of the PDF text, determinism,
edits that survive regeneration, conclusion autosave with stale revisions, finalise -> sign -> read-only ->
new version, DOCX."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

import docx
import pytest

from app.db import Database
from infra.settings import Settings
from core.errors import Conflict, Forbidden
from minutes import builder, conclusions, facts, services, signoff
from ledger.keystore import KeyStore
from minutes.signing import sign_pdf, verify_pdf
from tests.factories import PASSWORD, call
from tests.minutes_helpers import (
    ABSENCE,
    CONCLUSIONS,
    DEPUTY,
    QUESTIONS,
    Scripted,
    pdf_text,
    scripted_meeting,
    signer_keys,
)
from votes.models import VoteKind


@pytest.fixture
def s(db: Database) -> Scripted:
    return scripted_meeting(db)


def sign(db: Database, settings: Settings, actor, meeting_id: int, password: str = PASSWORD) -> dict:
    job = db.run_read(signoff.prepare_signature, actor=actor, meeting_id=meeting_id)
    pdf = sign_pdf(
        job.pdf,
        store=KeyStore.for_data_dir(settings.data_dir),
        user_id=job.username,
        password=password,
        field_name=job.field_name,
        reason=job.reason,
        location=job.location,
        signer_name=job.full_name,
    )
    return call(db, signoff.store_signature, actor=actor, job=job, pdf=pdf)


def test_golden_structure_of_the_pdf(db: Database, s: Scripted) -> None:
    c = s.cabinet
    out = db.run_read(services.get_pdf, actor=c.staff, meeting_id=s.meeting_id)
    text, pages = pdf_text(out.data)
    for expected in [
        "CHÍNH PHỦ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BIÊN BẢN",
        "Phiên họp thử nghiệm ngân sách",
        "Địa điểm: Phòng họp số 1",
        "Có mặt tại phòng họp (4)",
        "Tham dự trực tuyến (1): 1. Thành Viên Số 1",
        f"Đại biểu dự thay (1): 1. {DEPUTY} (dự thay Thành Viên Số 2",
        "Vắng mặt (1): 1. Thành Viên Số 3, Bộ trưởng (có lý do)",  # never the reason itself: guests receive it
        "Khách mời (1): 1. Khách Mời Đặc Biệt",
        "Chủ trì (chủ tọa): Phạm Thủ Tướng",
        "Thư ký (người ghi biên bản): Lê Thư Ký",
        "Cơ quan trình: Bộ Tài chính",
        f"3. {DEPUTY}, dự thay Thành Viên Số 2",
        "THƯ KÝ",
        "CHỦ TỌA",
        "Nơi nhận",
        "cùng ngày",
        *CONCLUSIONS,
        *(
            f"Biểu quyết ({k}): {QUESTIONS[v]}"
            for k, v in (("công khai", VoteKind.open), ("ghi danh", VoteKind.named), ("kín", VoteKind.secret))
        ),
    ]:
        assert expected in text, expected
    for person in [c.chair, *c.members[:2], *c.members[3:], c.guest, c.secretary]:
        assert person.full_name in text, person.full_name
    assert text.count("Kết quả: Thông qua") == 1 and text.count("Kết quả: Không thông qua") == 2
    assert "Tán thành 4 Không tán thành 1 Không biểu quyết 0" in text  # open: counts only
    named = text.split("Kết quả ghi danh:")[1].split("Kết luận")[0]
    assert "Phạm Thủ Tướng Tán thành" in named and "Thành Viên Số 0 Không tán thành" in named
    assert "Thành Viên Số 1 Không biểu quyết" in named
    assert text.count("Kết quả ghi danh") == 1  # the secret (and the open) vote list no names
    secret = text.split(QUESTIONS[VoteKind.secret])[1].split("Kết luận")[0]
    assert "Tán thành 3 Không tán thành 2" in secret and "Thành Viên" not in secret
    from votes.ballot import board as ballot_board

    board = db.run_read(ballot_board.board, actor=c.members[0], vote_id=s.vote_ids[VoteKind.secret])
    assert "dấu vân tay SHA-256" in secret and board["fingerprint"] in secret.replace(
        " ", ""
    )  # the minutes cite the board
    assert 1 <= pages <= 6
    assert text == unicodedata.normalize("NFC", text)
    assert ABSENCE not in text


def test_same_meeting_same_draft_and_same_bytes(db: Database, s: Scripted) -> None:
    c = s.cabinet
    a = db.run_read(services.get_draft, actor=c.staff, meeting_id=s.meeting_id)
    b = db.run_read(services.get_draft, actor=c.secretary, meeting_id=s.meeting_id)
    assert json.dumps(a["sections"], ensure_ascii=False) == json.dumps(b["sections"], ensure_ascii=False)
    p1 = db.run_read(services.get_pdf, actor=c.staff, meeting_id=s.meeting_id).data
    p2 = db.run_read(services.get_pdf, actor=c.chair, meeting_id=s.meeting_id).data
    assert p1 == p2
    f = db.run_read(lambda session: facts.gather(session, s.meeting_id))
    assert builder.build(f, {}).as_dict() == builder.build(f, {}).as_dict()


def test_edits_replace_their_section_only_and_survive_regeneration(db: Database, s: Scripted) -> None:
    c, mid, item = s.cabinet, s.meeting_id, s.cabinet.item_ids[0]
    nfd = unicodedata.normalize("NFD", "Đồng chí Thủ tướng kết luận: thông qua dự toán.")
    call(db, services.edit_section, actor=c.staff, meeting_id=mid, key=f"item:{item}:conclusion", text=nfd)
    call(
        db,
        services.edit_section,
        actor=c.staff,
        meeting_id=mid,
        key="attendance",
        text="Toàn thể thành viên Chính phủ.",
    )
    # The event log moves on: a later conclusion save changes item 2's generated text, not the edited ones.
    call(
        db,
        conclusions.save_conclusion,
        actor=c.chair,
        meeting_id=mid,
        item_id=c.item_ids[1],
        text="Kết luận mới",
        base_revision=1,
    )
    draft = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)
    by_key = {x["key"]: x for x in draft["sections"]}
    mine = by_key[f"item:{item}:conclusion"]
    assert mine["edited"] == mine["effective"] == unicodedata.normalize("NFC", nfd)
    assert mine["generated"] == CONCLUSIONS[0]
    assert by_key[f"item:{c.item_ids[1]}:conclusion"]["effective"] == "Kết luận mới"
    text, _ = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data)
    assert "Đồng chí Thủ tướng kết luận: thông qua dự toán." in text and CONCLUSIONS[0] not in text
    assert "Toàn thể thành viên Chính phủ." in text and "Có mặt tại phòng họp" not in text
    assert "Kết quả: Thông qua" in text  # the vote records stay
    call(db, services.edit_section, actor=c.staff, meeting_id=mid, key=f"item:{item}:conclusion", text=None)
    back = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)
    assert {x["key"]: x for x in back["sections"]}[f"item:{item}:conclusion"]["effective"] == CONCLUSIONS[0]
    with pytest.raises(Exception) as exc:  # vote records are not editable
        call(db, services.edit_section, actor=c.staff, meeting_id=mid, key=f"item:{item}:votes", text="x")
    assert getattr(exc.value, "status", 0) == 404


def test_stale_conclusion_revision_is_refused_with_the_current_text(db: Database, s: Scripted) -> None:
    c, mid, item = s.cabinet, s.meeting_id, s.cabinet.item_ids[2]
    saved = call(
        db,
        conclusions.save_conclusion,
        actor=c.chair,
        meeting_id=mid,
        item_id=item,
        text="Bản của chủ tọa",
        base_revision=1,
    )
    assert saved["revision"] == 2
    with pytest.raises(conclusions.StaleRevision) as exc:
        call(
            db,
            conclusions.save_conclusion,
            actor=c.staff,
            meeting_id=mid,
            item_id=item,
            text="Bản của văn phòng",
            base_revision=1,
        )
    assert (
        exc.value.status == 409
        and exc.value.details["text"] == "Bản của chủ tọa"
        and exc.value.details["revision"] == 2
    )
    again = call(
        db,
        conclusions.save_conclusion,
        actor=c.staff,
        meeting_id=mid,
        item_id=item,
        text="Bản của văn phòng",
        base_revision=2,
    )
    assert again["revision"] == 3 and again["published_text"] == CONCLUSIONS[2]  # the display keeps the published text


def test_published_conclusions_are_in_the_slice_and_drafts_never_in_events(db: Database, s: Scripted) -> None:
    from meetings.events import MeetingEvent
    from meetings.models import Meeting
    from sqlmodel import select

    mid = s.meeting_id
    with db.read_session() as session:
        meeting = session.get(Meeting, mid)
        assert meeting is not None
        published = conclusions.conclusions_slice(session, meeting)
        events = list(session.exec(select(MeetingEvent).where(MeetingEvent.meeting_id == mid)))
    assert [p["text"] for p in published] == [CONCLUSIONS[0], CONCLUSIONS[2]]  # item 2 was saved, not published
    saved = [e for e in events if e.type == "conclusion.saved"]
    assert saved and all(set(e.data) == {"agenda_item_id", "revision", "by"} for e in saved)
    assert not any(CONCLUSIONS[1] in json.dumps(e.data, ensure_ascii=False) for e in events)


def test_finalise_sign_in_order_read_only_then_new_version(db: Database, settings: Settings, s: Scripted) -> None:
    c, mid = s.cabinet, s.meeting_id
    signer_keys(settings.data_dir, c)
    with pytest.raises(Conflict):
        db.run_read(signoff.prepare_signature, actor=c.secretary, meeting_id=mid)  # nothing final yet
    status = call(db, services.finalise, actor=c.staff, meeting_id=mid)
    assert status["state"] == "final" and status["version"] == 1
    with pytest.raises(services.MinutesFrozen):
        call(db, services.edit_section, actor=c.staff, meeting_id=mid, key="opening", text="Sửa sau khi chốt")
    with pytest.raises(services.MinutesFrozen):
        call(
            db,
            conclusions.save_conclusion,
            actor=c.staff,
            meeting_id=mid,
            item_id=c.item_ids[0],
            text="x",
            base_revision=1,
        )
    with pytest.raises(Forbidden):  # the chair signs after the secretary
        db.run_read(signoff.prepare_signature, actor=c.chair, meeting_id=mid)
    with pytest.raises(Forbidden):  # a wrong signing password
        sign(db, settings, c.secretary, mid, password="sai-mat-khau")
    assert sign(db, settings, c.secretary, mid)["state"] == "secretary_signed"
    with pytest.raises(Forbidden):
        db.run_read(signoff.prepare_signature, actor=c.secretary, meeting_id=mid)
    with pytest.raises(Forbidden):  # members read only signed minutes
        db.run_read(services.get_pdf, actor=c.members[0], meeting_id=mid)
    done = sign(db, settings, c.chair, mid)
    assert done["state"] == "signed" and done["signed_version"] == 1 and all(x["signed_at"] for x in done["signers"])
    signed = db.run_read(services.get_pdf, actor=c.members[0], meeting_id=mid)
    report = verify_pdf(signed.data, KeyStore.for_data_dir(settings.data_dir).trusted_roots())
    assert report.ok and [r.signer_name for r in report.signatures] == [c.secretary.full_name, c.chair.full_name]
    with pytest.raises(services.MinutesFrozen):
        call(db, services.edit_section, actor=c.staff, meeting_id=mid, key="opening", text="Sửa sau khi ký")
    reopened = call(db, services.new_version, actor=c.staff, meeting_id=mid)
    assert reopened["state"] == "draft" and reopened["signed_version"] == 1
    call(db, services.edit_section, actor=c.staff, meeting_id=mid, key="opening", text="Đính chính: bổ sung ý kiến.")
    assert (
        db.run_read(services.get_pdf, actor=c.members[1], meeting_id=mid).data == signed.data
    )  # v1 until v2 is signed
    assert call(db, services.finalise, actor=c.staff, meeting_id=mid)["version"] == 2
    sign(db, settings, c.secretary, mid)
    sign(db, settings, c.chair, mid)
    v2 = db.run_read(services.get_pdf, actor=c.members[1], meeting_id=mid)
    assert v2.filename.endswith("-v2.pdf") and "Đính chính: bổ sung ý kiến." in pdf_text(v2.data)[0]
    listed = db.run_read(services.list_versions, actor=c.guest, meeting_id=mid)
    assert [(v["version"], v["superseded"]) for v in listed] == [(1, True), (2, False)]


def test_docx_has_the_structure_and_font(db: Database, s: Scripted) -> None:
    out = db.run_read(services.get_docx, actor=s.cabinet.staff, meeting_id=s.meeting_id)
    document = docx.Document(io.BytesIO(out.data))
    body = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(cell.text for t in document.tables for row in t.rows for cell in row.cells)
    assert "BIÊN BẢN" in body and CONCLUSIONS[0] in body and f"{DEPUTY} (dự thay Thành Viên Số 2" in body
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Phạm Thủ Tướng" in cells
    style = document.styles["Normal"]
    assert style.font.name == "Times New Roman" and style.font.size.pt == 14
    section = document.sections[0]
    assert section.page_width is not None and section.left_margin is not None
    assert round(section.page_width.mm) == 210 and round(section.left_margin.mm) == 30
    assert section.different_first_page_header_footer


def test_long_meeting_page_count_is_sane(db: Database, tmp_path: Path) -> None:
    from tests.minutes_helpers import pdf_text as text_of

    f = db.run_read(lambda session: facts.gather(session, scripted_meeting(db).meeting_id))
    items = tuple(facts.Item(i, i, f"Nội dung số {i} về đầu tư công", "Bộ Tài chính") for i in range(1, 31))
    speeches = tuple(
        facts.SpeechFact(
            i % 30 + 1,
            f"Thành viên {i}",
            "Bộ trưởng",
            "",
            f.started_at,  # type: ignore[arg-type]
            f.ended_at,
        )
        for i in range(300)
    )
    big = facts.Facts(
        **{
            **f.__dict__,
            "items": items,
            "speeches": speeches,
            "votes": (),
            "conclusions": {i.id: "Thống nhất." for i in items},
        }
    )
    from minutes.pdf import render_pdf

    text, pages = text_of(render_pdf(builder.build(big).doc))
    assert 10 <= pages <= 60 and "Thành viên 299" in text
