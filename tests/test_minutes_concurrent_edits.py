"""Two of the secretariat editing one section of the draft minutes: the second edit, made on the text the first
replaced, is refused (409) with the first one's text, not written over it (minutes/services.py edit_section)."""

from __future__ import annotations

import pytest

from app.db import Database
from core.errors import Conflict
from minutes import services
from tests.factories import call, make_user
from tests.minutes_helpers import scripted_meeting
from accounts.models import GlobalRole


def test_an_edit_on_a_text_replaced_meanwhile_is_refused_and_shows_the_other(db: Database) -> None:
    s = scripted_meeting(db)
    c, mid = s.cabinet, s.meeting_id
    other = make_user(db, GlobalRole.secretariat, "Trần Văn Phòng Hai")
    shown = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)
    opening = next(x for x in shown["sections"] if x["key"] == "opening")["effective"]
    first = call(
        db,
        services.edit_section,
        actor=other,
        meeting_id=mid,
        key="opening",
        text="Bản của người thứ nhất.",
        base=opening,
    )
    assert first["effective"] == "Bản của người thứ nhất."
    with pytest.raises(Conflict) as refused:  # typed on the text both saw, after the first one was saved
        call(db, services.edit_section, actor=c.staff, meeting_id=mid, key="opening", text="Bản thứ hai.", base=opening)
    assert refused.value.details == {"key": "opening", "effective": "Bản của người thứ nhất."}
    kept = db.run_read(services.get_draft, actor=c.staff, meeting_id=mid)
    assert next(x for x in kept["sections"] if x["key"] == "opening")["effective"] == "Bản của người thứ nhất."
    # on the text now there (with its line breaks and spaces as typed), the edit goes through
    done = call(
        db,
        services.edit_section,
        actor=c.staff,
        meeting_id=mid,
        key="opening",
        text="Bản thứ hai.",
        base=" Bản của người thứ nhất.\r\n",
    )
    assert done["effective"] == "Bản thứ hai."
