"""The adoption rule of written polls: more than half of ALL voters, silence per the poll's rule, ties to the
chair's side; and closing through the services (idempotent, results by each silence rule)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app.db import Database
from core import outbox
from polls import closing, services, views
from polls.models import Choice, Silence
from polls.rules import tally
from tests.factories import call
from tests.poll_helpers import answer, in_, make_board, make_poll

A, D, O = Choice.agree, Choice.disagree, Choice.other


def _t(answers: dict[int, Choice], silence: Silence, n: int = 6, chair: int = 1) -> dict:
    return tally(voter_ids=list(range(1, n + 1)), answers=answers, chair_id=chair, silence=silence)


def test_more_than_half_of_all_voters() -> None:
    assert _t({1: A, 2: A, 3: A}, Silence.none)["adopted"] is False  # 3 of 6 is not more than half
    assert _t({1: A, 2: A, 3: A, 4: A}, Silence.none)["adopted"] is True
    r = _t({1: A, 2: A, 3: D}, Silence.agree)  # 2 agree + 3 silent = 5 of 6
    assert r == {
        "agree": 2,
        "disagree": 1,
        "other": 0,
        "silent": 3,
        "voters": 6,
        "adopted": True,
        "tie": False,
        "decided_by_chair": False,
    }


@pytest.mark.parametrize("chair_choice,adopted,by_chair", [(A, True, True), (D, False, True), (O, False, False)])
def test_tie_goes_to_the_chairs_side(chair_choice: Choice, adopted: bool, by_chair: bool) -> None:
    answers = {1: chair_choice, 2: A, 3: A, 4: D, 5: D, 6: O}  # 2 against 2 besides the chair
    if chair_choice != O:
        answers[6] = D if chair_choice == A else A  # 3 against 3 with the chair
    r = _t(answers, Silence.none)
    assert r["tie"] is True
    assert r["adopted"] is adopted
    assert r["decided_by_chair"] is by_chair


def test_a_silent_chair_takes_the_silence_side() -> None:
    answers = {2: A, 3: D, 4: D, 5: O, 6: O}  # the chair (1) is silent: 1 agree + 1 silent vs 2 disagree
    assert _t(answers, Silence.agree) == {
        "agree": 1,
        "disagree": 2,
        "other": 2,
        "silent": 1,
        "voters": 6,
        "adopted": True,
        "tie": True,
        "decided_by_chair": True,
    }
    assert _t(answers, Silence.none)["tie"] is False


def test_closing_is_idempotent_and_records_the_result(db: Database) -> None:
    b = make_board(db, n_members=4)
    poll = make_poll(db, b, deadline=in_(3600), silence="none")
    answer(db, poll, b.chair, "agree", "disagree")
    answer(db, poll, b.members[0], "agree", "disagree", comment="Đề nghị bổ sung đánh giá tác động.")
    answer(db, poll, b.members[1], "agree", "agree")
    later = datetime(2999, 1, 1, tzinfo=timezone.utc)
    assert call(db, closing.close_poll, poll_id=poll["id"]) is False  # not due yet
    assert call(db, closing.due_polls, now=later) == [poll["id"]]
    assert call(db, closing.close_poll, poll_id=poll["id"], now=later) is True
    assert call(db, closing.close_poll, poll_id=poll["id"], now=later) is False  # a second node, a second run
    got = call(db, views.get_poll, actor=b.members[3], poll_id=poll["id"])
    assert got["state"] == "closed"
    q1, q2 = (q["result"] for q in got["questions"])
    assert q1 == {
        "agree": 3,
        "disagree": 0,
        "other": 0,
        "silent": 2,
        "voters": 5,
        "adopted": True,
        "tie": False,
        "decided_by_chair": False,
        "members": 5,  # every member of the Government when the poll was sent: the majority's base
    }
    assert q2["disagree"] == 2 and q2["agree"] == 1 and q2["adopted"] is False
    assert [a["comment"] for a in got["questions"][0]["answers"] if a["comment"]] == [
        "Đề nghị bổ sung đánh giá tác động."
    ]
    with db.read_session() as s:
        jobs = [
            p
            for k, r in outbox.all_keys(session=s)
            if k == "notify"
            for _, p in outbox.pending(session=s, kind=k, ref=r)
        ]
    jobs.sort(key=lambda j: j["event"])
    # the chair was told of the submission; the secretariat is told of the close with the figures
    assert [j["event"] for j in jobs] == ["poll.closed", "poll.result", "poll.sent", "poll.submitted"]
    assert jobs[0]["user_ids"] == [b.staff.id, b.admin.id] and jobs[0]["params"]["adopted"] == 1
    assert jobs[1]["user_ids"] == sorted(v.id for v in b.voters) and jobs[2]["link"] == f"/polls/{poll['id']}"
    assert jobs[3]["user_ids"] == [b.chair.id]


def test_the_audit_log_records_the_life_of_a_poll_and_stays_verifiable(db: Database) -> None:
    from sqlmodel import select

    from audit import services as audit
    from ledger.models import AuditEntry

    b = make_board(db, n_members=2)
    poll = make_poll(db, b, deadline=in_(3600))
    answer(db, poll, b.members[0], "agree", "other")
    assert call(db, closing.close_poll, poll_id=poll["id"], now=datetime(2999, 1, 1, tzinfo=timezone.utc)) is True
    with db.read_session() as s:
        types = [e.type for e in s.exec(select(AuditEntry).where(AuditEntry.type.startswith("poll."))).all()]
    assert types == ["poll.created", "poll.submitted", "poll.opened", "poll.answered", "poll.closed"]
    verdict = db.run_read(audit.verify_chain, actor=b.admin)
    assert verdict["ok"] is True, verdict


def test_an_organisation_may_require_signed_answers(db: Database) -> None:
    from core.errors import Forbidden, ValidationFailed
    from polls.schemas import RulesIn

    b = make_board(db, n_members=2)
    with pytest.raises(Forbidden):
        call(db, services.set_rules, actor=b.staff, data=RulesIn(silence_default="none", require_signed_answers=True))
    call(db, services.set_rules, actor=b.admin, data=RulesIn(silence_default="none", require_signed_answers=True))
    draft = make_poll(db, b, deadline=in_(3600), state="draft")
    assert draft["silence_counts_as"] == "agree"  # the poll said so explicitly
    poll = make_poll(db, b, deadline=in_(3600))
    assert poll["require_signature"] is True
    with pytest.raises(ValidationFailed):
        answer(db, poll, b.members[0], "agree")
    from polls.schemas import PollCreate

    data = PollCreate(
        title="Mặc định của tổ chức", questions=[{"text": "Đồng ý?"}], deadline_at=in_(3600), chair_id=b.chair.id
    )
    assert call(db, services.create_poll, actor=b.staff, data=data)["silence_counts_as"] == "none"
