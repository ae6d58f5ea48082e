"""The signed minutes go to every participant, guests included (minutes/facts.py): they carry nothing the live room
hides from any of them. No absence reason (an absence says "có lý do", a member who left says "rời phiên họp có
lý do"), nothing of a paper a reader may not know of (not its title, its shared ink, nor how many there are).
The reasons stay in the attendance records for those who keep them, and what is signed is what the signers were
shown. Over the real server: uploads, finalise, the two signatures and the downloads by HTTP; text by pdftotext."""

from __future__ import annotations

import io
import subprocess
import zipfile

from annotations import presenter, services as annotation_services
from annotations.schemas import AnnotationCreate
from meetings import participation, services as meetings
from meetings.models import Attendance
from meetings.schemas import ParticipantUpdate
from minutes import services
from minutes.attendance import absence_note, groups
from minutes.facts import Person
from app.db import Database
from tests.annotation_helpers import ink
from tests.conftest import LiveServer
from tests.doc_helpers import make_pdf, upload
from tests.factories import PASSWORD, call
from tests.live import login
from tests.minutes_helpers import ABSENCE, Scripted, pdf_text, scripted_meeting, signer_keys

LEFT = "Điều trị bệnh tại Bệnh viện Bạch Mai (bí mật)"  # the reason a member gave for leaving mid-session
SHARED, MEMBERS_ONLY, RESTRICTED = "Tờ trình chia sẻ khách mời", "Báo cáo chỉ thành viên", "Báo cáo thẩm định mật"
SECRETS = (ABSENCE, LEFT, "Bạch Mai", MEMBERS_ONLY, RESTRICTED, "không nêu tên", "tài liệu hạn chế")


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())  # a reason wrapped over two lines is found too


async def _papers(live: LiveServer, s: Scripted) -> dict[str, int]:
    c = s.cabinet
    staff = await login(live.url, c.staff.username)
    ids = {}
    try:
        for title, fields in (
            (SHARED, {"share_with_guests": True}),
            (MEMBERS_ONLY, {}),  # guests are invited: not to be named in what they receive
            (RESTRICTED, {"restricted": True, "allowed_user_ids": [c.members[0].id]}),
        ):
            r = await upload(staff, c.meeting_id, make_pdf(2), title=title, agenda_item_id=c.item_ids[0], **fields)
            assert r.status_code == 201, r.text
            ids[title] = r.json()["id"]
    finally:
        await staff.aclose()
    return ids


def _session(live: LiveServer, s: Scripted, docs: dict[str, int]) -> None:
    """The chair draws shared ink on a paper shared with guests and on one that is not; a member who was in the
    room leaves with a private reason; the session ends."""
    c, db = s.cabinet, live.db
    for title in (SHARED, MEMBERS_ONLY):
        call(db, presenter.start, actor=c.chair, meeting_id=c.meeting_id, document_id=docs[title])
        data = AnnotationCreate.model_validate(ink(shared=True))
        call(db, annotation_services.create_annotation, actor=c.chair, document_id=docs[title], data=data)
    leaving = ParticipantUpdate(attendance=Attendance.absent, absence_reason=LEFT)
    call(db, participation.update, actor=c.staff, meeting_id=c.meeting_id, user_id=c.members[4].id, data=leaving)
    call(db, meetings.end_meeting, actor=c.chair, meeting_id=c.meeting_id)


async def test_a_guest_and_a_member_download_signed_minutes_without_reasons_or_unnamed_papers(
    live_server: LiveServer,
) -> None:
    s = scripted_meeting(live_server.db, end=False)  # members[3] absent with ABSENCE as their reason
    c, mid = s.cabinet, s.meeting_id
    _session(live_server, s, await _papers(live_server, s))
    signer_keys(live_server.settings.data_dir, c)
    staff, secretary, chair, guest, member = [
        await login(live_server.url, a.username) for a in (c.staff, c.secretary, c.chair, c.guest, c.members[5])
    ]
    base = f"/api/meetings/{mid}/minutes"
    try:
        # What the signers are shown (the frozen sections) is what is signed: no reason there either.
        assert (await staff.post(f"{base}/finalise")).status_code == 200
        shown = (await chair.get(base)).json()["sections"]
        attendance = next(x["effective"] for x in shown if x["key"] == "attendance")
        assert "Thành Viên Số 3, Bộ trưởng (có lý do);" in attendance
        assert "rời phiên họp có lý do" in attendance
        assert not [x for x in shown for secret in SECRETS if secret in x["effective"]]
        for signer in (secretary, chair):
            r = await signer.post(f"{base}/sign", json={"password": PASSWORD, "version": 1})
            assert r.status_code == 200, r.text
        assert r.json()["state"] == "signed"

        for reader in (guest, member):
            pdf = await reader.get(f"/api/meetings/{mid}/minutes.pdf")
            assert pdf.status_code == 200 and b"/ByteRange" in pdf.content  # the signed file
            text = pdftotext(pdf.content)
            for secret in SECRETS:
                assert secret not in text, secret
            assert "Thành Viên Số 3, Bộ trưởng (có lý do);" in text
            assert "rời phiên họp có lý do" in text
            assert f"Tài liệu: {SHARED}." in text
            assert text.count("nét ghi chú chung") == 1 and f"Tài liệu «{SHARED}», trang 1" in text
            assert " ".join(pdf_text(pdf.content)[0].split()).count("có lý do") == text.count("có lý do")

        word = await staff.get(f"/api/meetings/{mid}/minutes.docx")  # the frozen DOCX says the same
        xml = zipfile.ZipFile(io.BytesIO(word.content)).read("word/document.xml").decode()
        assert "có lý do" in xml and not [x for x in SECRETS if x in xml]

        # The reasons stay where those who keep the attendance read them.
        roster = (await staff.get(f"/api/meetings/{mid}/participants")).json()
        reasons = {p["user_id"]: p["absence_reason"] for p in roster}
        assert reasons[c.members[3].id] == ABSENCE and reasons[c.members[4].id] == LEFT
        history = (await staff.get(f"/api/meetings/{mid}/attendance/history")).json()
        assert LEFT in str(history)
        guests_view = (await guest.get(f"/api/meetings/{mid}/participants")).json()
        assert not [p for p in guests_view if p["absence_reason"]]
    finally:
        for client in (staff, secretary, chair, guest, member):
            await client.aclose()


def test_a_reason_is_in_the_record_only_when_the_secretariat_writes_it_there(db: Database) -> None:
    """The secretariat's explicit decision: it writes the reason into the attendance section by hand; the signers are
    shown it, and the PDF says it. Nothing else puts a reason in the minutes."""
    s = scripted_meeting(db)
    c = s.cabinet
    draft = db.run_read(services.get_draft, actor=c.staff, meeting_id=s.meeting_id)
    generated = next(x["generated"] for x in draft["sections"] if x["key"] == "attendance")
    assert ABSENCE not in generated
    text = generated.replace("Thành Viên Số 3, Bộ trưởng (có lý do)", f"Thành Viên Số 3, Bộ trưởng ({ABSENCE})")
    assert text != generated
    call(db, services.edit_section, actor=c.staff, meeting_id=s.meeting_id, key="attendance", text=text)
    shown = db.run_read(services.get_draft, actor=c.chair, meeting_id=s.meeting_id)
    assert next(x["effective"] for x in shown["sections"] if x["key"] == "attendance") == text
    pdf = db.run_read(services.get_pdf, actor=c.staff, meeting_id=s.meeting_id).data
    assert f"Thành Viên Số 3, Bộ trưởng ({ABSENCE})" in pdftotext(pdf)


def test_an_absence_says_whether_a_reason_was_given_and_nothing_more() -> None:
    excused = Person(1, "Trần Văn A", "Bộ trưởng", "member", "absent", excused=True)
    unexcused = Person(2, "Lê Thị B", "Bộ trưởng", "member", "absent")  # an older row: absent, no reason kept
    unrecorded = Person(3, "Phạm C", "Bộ trưởng", "member", "unknown")
    assert [absence_note(p) for p in (excused, unexcused, unrecorded)] == [
        "có lý do",
        "không có lý do",
        "không có thông tin điểm danh",
    ]
    assert [a.note for a in groups((excused, unexcused, unrecorded))["absent"]] == [
        "có lý do",
        "không có lý do",
        "không có thông tin điểm danh",
    ]
