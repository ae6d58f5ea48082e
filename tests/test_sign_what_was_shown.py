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
