"""A written opinion of the Government (Luật Tổ chức Chính phủ 2015, Điều 44 and 46) is asked of every member and
chaired by the Prime Minister or a deputy he designated: the secretariat cannot choose a chair nor cut the list
down, and the majority is counted over every member of the Government (polls/rules.py, docs/polls.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.models import User
from app.db import Database
from core.errors import Forbidden, ValidationFailed
from polls import closing, services, views
from polls.models import Choice, Poll, Silence
from polls.rules import tally
from polls.schemas import PollCreate, RulesIn
from tests.factories import call, make_user
from tests.poll_helpers import answer, in_, make_board, make_poll
from accounts.models import GlobalRole


def _draft(**fields) -> PollCreate:
    base = {"title": "Lấy ý kiến về dự thảo Nghị định", "questions": [{"text": "Đồng ý?"}], "deadline_at": in_(86400)}
    return PollCreate(**{**base, **fields})


def test_every_member_is_asked_the_list_is_never_cut_down(db: Database) -> None:
    b = make_board(db, n_members=4)
    everyone = sorted(v.id for v in b.voters)
    for voters in ([b.members[0].id], [], [m.id for m in b.members[:3]]):
        with pytest.raises(ValidationFailed) as refused:
            call(db, services.create_poll, actor=b.staff, data=_draft(voter_ids=voters))
        missing = sorted(set(everyone) - set(voters) - {b.chair.id})
        assert refused.value.details[0]["ids"] == missing and refused.value.details[0]["field"] == "voter_ids"
        assert refused.value.message.params["count"] == len(missing)
    poll = call(db, services.create_poll, actor=b.staff, data=_draft())  # left out: every member
    assert poll["voter_count"] == 5 and poll["chair_id"] == b.chair.id  # the first member chairs by default
    full = call(db, services.create_poll, actor=b.staff, data=_draft(voter_ids=[m.id for m in b.members]))
    assert full["voter_count"] == 5  # the chair is on it in any case


def test_the_chair_is_the_prime_minister_or_a_designated_deputy(db: Database) -> None:
    b = make_board(db, n_members=3)
    deputy = b.members[0]
    with pytest.raises(ValidationFailed) as refused:  # a member the secretariat picks
        call(db, services.create_poll, actor=b.staff, data=_draft(chair_id=deputy.id))
    assert refused.value.details[0]["field"] == "chair_id" and refused.value.details[0]["allowed"] == [b.chair.id]
    rules = RulesIn(silence_default="agree", require_signed_answers=False, chair_id=b.chair.id, deputy_ids=[deputy.id])
    with pytest.raises(Forbidden):
        call(db, services.set_rules, actor=b.staff, data=rules)
    with pytest.raises(ValidationFailed):  # the secretariat is no member of the Government
        call(db, services.set_rules, actor=b.admin, data=rules.model_copy(update={"deputy_ids": [b.staff.id]}))
    got = call(db, services.set_rules, actor=b.admin, data=rules)
    assert (
        got["chair_id"] == b.chair.id and got["deputy_ids"] == [deputy.id] and got["government_chair_id"] == b.chair.id
    )
    poll = call(db, services.create_poll, actor=b.staff, data=_draft(chair_id=deputy.id))
    assert poll["chair_id"] == deputy.id
    with pytest.raises(ValidationFailed):
        call(db, services.create_poll, actor=b.staff, data=_draft(chair_id=b.members[1].id))
    # the designation is withdrawn before the deputy approves: he can no longer send it
    call(db, services.submit_poll, actor=b.staff, poll_id=poll["id"])
    call(db, services.set_rules, actor=b.admin, data=rules.model_copy(update={"deputy_ids": []}))
    with pytest.raises(Forbidden):
        call(db, services.approve_poll, actor=deputy, poll_id=poll["id"], tz="Asia/Ho_Chi_Minh")


def test_the_prime_minister_is_found_by_title_when_the_rule_is_not_set(db: Database) -> None:
    b = make_board(db, n_members=2)
    pm = make_user(db, GlobalRole.member, "Nguyễn Văn Thủ Tướng")
    with db.write_session() as s:
        user = s.get(User, pm.id)
        assert user is not None
        user.title = "Thủ tướng Chính phủ"
        s.add(user)
        s.commit()
    poll = call(db, services.create_poll, actor=b.staff, data=_draft())
    assert poll["chair_id"] == pm.id
    with pytest.raises(ValidationFailed):
        call(db, services.create_poll, actor=b.staff, data=_draft(chair_id=b.chair.id))


def test_the_poll_goes_to_the_government_as_it_is_when_sent(db: Database) -> None:
    b = make_board(db, n_members=3)
    poll = make_poll(db, b, deadline=in_(3600), state="submitted")
    late = make_user(db, GlobalRole.member, "Bộ Trưởng Mới")  # appointed after the drafting
    with db.write_session() as s:  # and one member left the Government
        gone = s.get(User, b.members[2].id)
        assert gone is not None
        gone.is_active = False
        s.add(gone)
        s.commit()
    sent = call(db, services.approve_poll, actor=b.chair, poll_id=poll["id"], tz="Asia/Ho_Chi_Minh")
    ids = {v["user_id"] for v in sent["voters"]}
    assert late.id in ids and b.members[2].id not in ids and sent["voter_count"] == 4
    with db.read_session() as s:
        assert s.get(Poll, poll["id"]).members_total == 4  # type: ignore[union-attr]


def test_the_majority_is_over_every_member_and_old_records_keep_theirs(db: Database) -> None:
    A = Choice.agree
    # 3 of 5 asked agree: a majority of those asked, not of the 27 members
    r = tally(voter_ids=[1, 2, 3, 4, 5], answers={1: A, 2: A, 3: A}, chair_id=1, silence=Silence.none, members=27)
    assert r["adopted"] is False and r["members"] == 27
    old = tally(voter_ids=[1, 2, 3, 4, 5], answers={1: A, 2: A, 3: A}, chair_id=1, silence=Silence.none)
    assert old["adopted"] is True and "members" not in old  # a poll sent before the rule: counted as it was
    b = make_board(db, n_members=4)
    poll = make_poll(db, b, deadline=in_(3600), silence="none")
    for who in b.voters[:3]:
        answer(db, poll, who, "agree", "agree")
    later = in_(7200)
    assert call(db, closing.close_poll, poll_id=poll["id"], now=later) is True
    got = call(db, views.get_poll, actor=b.chair, poll_id=poll["id"])
    assert got["questions"][0]["result"]["members"] == 5 and got["questions"][0]["result"]["adopted"] is True


def test_a_deadline_more_than_a_year_ahead_is_refused(db: Database) -> None:
    b = make_board(db, n_members=2)
    with pytest.raises(ValidationFailed) as refused:
        call(db, services.create_poll, actor=b.staff, data=_draft(deadline_at=in_(timedelta(days=400).total_seconds())))
    assert refused.value.details[0]["type"] == "too_far"
    poll = make_poll(db, b, deadline=in_(3600))
    from polls.schemas import ExtendIn

    with pytest.raises(ValidationFailed):
        call(
            db,
            services.extend_poll,
            actor=b.staff,
            poll_id=poll["id"],
            data=ExtendIn(deadline_at=in_(timedelta(days=9000).total_seconds()), reason="Nhầm năm"),
            tz="Asia/Ho_Chi_Minh",
        )
