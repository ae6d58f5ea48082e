"""A value the record would not keep is refused with a 422 naming it, not accepted and dropped: a reason of absence
for someone present, a deputy's name without a deputy, key holders for a vote that is not secret."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from app.db import Database
from core.errors import ValidationFailed
from meetings import participation
from meetings.models import Attendance
from meetings.schemas import ParticipantUpdate
from tests.factories import call, make_cabinet
from votes.models import VoteKind
from votes.schemas import VoteCreate


def test_attendance_notes_apply_only_where_the_record_keeps_them(db: Database) -> None:
    c = make_cabinet(db)
    member = c.members[0]

    def update(**fields: Any) -> dict[str, Any]:
        return call(
            db,
            participation.update,
            actor=c.staff,
            meeting_id=c.meeting_id,
            user_id=member.id,
            data=ParticipantUpdate(**fields),
        )

    for fields, field in (
        ({"attendance": Attendance.present_room, "absence_reason": "Đi công tác"}, "absence_reason"),
        ({"absence_reason": "Đi công tác"}, "absence_reason"),  # the member's attendance is not "absent"
        ({"attendance": Attendance.present_room, "deputy_name": "Nguyễn Văn B"}, "deputy_name"),
        ({"attendance": Attendance.absent, "absence_reason": "Ốm", "deputy_name": "Nguyễn Văn B"}, "deputy_name"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            update(**fields)
        assert refused.value.details[0]["field"] == field, fields
    # where the record keeps them, they are kept
    assert update(attendance=Attendance.absent, absence_reason="Đi công tác")["absence_reason"] == "Đi công tác"
    assert update(absence_reason="Ốm")["absence_reason"] == "Ốm"  # still absent: a new reason
    assert update(attendance=Attendance.deputy, deputy_name="Nguyễn Văn B")["deputy_name"] == "Nguyễn Văn B"


def test_key_holders_belong_to_secret_votes_only() -> None:
    for kind in (VoteKind.open, VoteKind.named):
        with pytest.raises(ValidationError, match="trustee_ids"):
            VoteCreate(agenda_item_id=1, question="Thông qua?", kind=kind, trustee_ids=[1, 2, 3])
    assert VoteCreate(agenda_item_id=1, question="Thông qua?", kind=VoteKind.secret, trustee_ids=[1, 2, 3]).trustee_ids
