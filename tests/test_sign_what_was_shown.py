"""What is signed is what was shown: a signature names the version its signer saw, and a version made meanwhile
(its text may differ) is refused, never signed in its place (minutes/signoff.py)."""

from __future__ import annotations

import pytest

from app.db import Database
from core.errors import Conflict
from infra.settings import Settings
from minutes import services, signoff
from tests.factories import call
from tests.minutes_helpers import Scripted, scripted_meeting, signer_keys


def test_a_signer_shown_version_1_cannot_sign_version_2(db: Database, settings: Settings) -> None:
    s: Scripted = scripted_meeting(db)
    c, mid = s.cabinet, s.meeting_id
    signer_keys(settings.data_dir, c)
    assert call(db, services.finalise, actor=c.staff, meeting_id=mid)["version"] == 1
    job = db.run_read(signoff.prepare_signature, actor=c.secretary, meeting_id=mid, shown=1)
    assert job.version == 1  # shown version 1, version 1 waits: signed
    # while the secretary reads version 1, the secretariat opens version 2 with another conclusion and finalises it
    call(db, services.new_version, actor=c.staff, meeting_id=mid)
    call(db, services.edit_section, actor=c.staff, meeting_id=mid, key="opening", text="Khai mạc, văn bản đã sửa.")
    assert call(db, services.finalise, actor=c.staff, meeting_id=mid)["version"] == 2
    with pytest.raises(Conflict) as refused:
        db.run_read(signoff.prepare_signature, actor=c.secretary, meeting_id=mid, shown=1)
    assert refused.value.details == {"version": 2}
    assert db.run_read(signoff.prepare_signature, actor=c.secretary, meeting_id=mid, shown=2).version == 2


def test_the_files_and_page_of_a_finalised_version_are_its_frozen_text_not_todays_data(
    db: Database, settings: Settings
) -> None:
    from accounts.models import User
    from tests.minutes_helpers import pdf_text
    from tests.record_helpers import docx_text

    s: Scripted = scripted_meeting(db)
    c, mid = s.cabinet, s.meeting_id
    call(db, services.finalise, actor=c.staff, meeting_id=mid)

    def renamed(*, session) -> None:  # a record changed after the finalisation (here: a member's name)
        user = session.get(User, c.members[0].id)
        assert user is not None
        user.full_name = "Tên Đã Đổi Sau Khi Chốt"
        session.add(user)

    db.run_write(renamed)
    word = docx_text(db.run_read(services.get_docx, actor=c.staff, meeting_id=mid).data)
    pdf = pdf_text(db.run_read(services.get_pdf, actor=c.staff, meeting_id=mid).data)[0]
    shown = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)  # the page the signers read
    page = "\n".join(s["effective"] for s in shown["sections"])
    assert shown["frozen_version"] == 1 and shown["can_edit"]  # may still open a new version
    for text in (word, pdf, page):  # all say what was frozen
        assert c.members[0].full_name in text and "Tên Đã Đổi Sau Khi Chốt" not in text
    call(db, services.new_version, actor=c.staff, meeting_id=mid)  # a new draft: generated again...
    again = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)
    assert again["frozen_version"] is None
    text = "\n".join(s["effective"] for s in again["sections"])
    # ...and still naming people as they were at the meeting (frozen when it ended: tests/test_minutes_identity.py)
    assert c.members[0].full_name in text and "Tên Đã Đổi Sau Khi Chốt" not in text
