"""A poll is the Government's decision in writing: its chair and its voters are members of the Government. The
secretariat drafts it and cannot chair it (it would approve and decide its own poll); the chair sees it, and may
extend it, from its submission on."""

from __future__ import annotations

import pytest

from app.db import Database
from core.errors import NotFound, ValidationFailed
from polls import services
from polls.schemas import ExtendIn, PollCreate
from tests.factories import call
from tests.poll_helpers import in_, make_board, make_poll


def _draft(b, **fields) -> PollCreate:
    base = {
        "title": "Lấy ý kiến về dự thảo Nghị định",
        "questions": [{"text": "Đồng ý thông qua?"}],
        "voter_ids": [m.id for m in b.members],
        "chair_id": b.chair.id,
        "deadline_at": in_(3 * 86400),
    }
    return PollCreate(**{**base, **fields})


def test_the_secretariat_an_administrator_or_a_guest_is_neither_chair_nor_voter(db: Database) -> None:
    b = make_board(db)
    for who in (b.staff, b.admin, b.outsider):
        for fields in ({"chair_id": who.id}, {"voter_ids": [b.members[0].id, who.id]}):
            with pytest.raises(ValidationFailed) as refused:
                call(db, services.create_poll, actor=b.staff, data=_draft(b, **fields))
            assert refused.value.details[0]["ids"] == [who.id], fields
    assert call(db, services.create_poll, actor=b.staff, data=_draft(b))["chair_id"] == b.chair.id  # a member: yes


def test_the_chair_extends_a_poll_once_it_is_submitted_not_while_drafted(db: Database) -> None:
    b = make_board(db)
    poll = make_poll(db, b, deadline=in_(3600), state="draft")
    later = ExtendIn(deadline_at=in_(7200), reason="Cần thêm thời gian")
    with pytest.raises(NotFound):  # the draft is the secretariat's: to the chair, not yet there at all
        call(db, services.extend_poll, actor=b.chair, poll_id=poll["id"], data=later, tz="Asia/Ho_Chi_Minh")
    call(db, services.submit_poll, actor=b.staff, poll_id=poll["id"])
    extended = call(db, services.extend_poll, actor=b.chair, poll_id=poll["id"], data=later, tz="Asia/Ho_Chi_Minh")
    assert extended["id"] == poll["id"]
