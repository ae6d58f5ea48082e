"""Result rules as a table (pure: votes/rules.py). Default: Luật Tổ chức Chính phủ 2015, Điều 46."""

from __future__ import annotations

import pytest

from votes.rules import compute

A, P, T, C = "all_members", "present", "two_thirds", "cast"

# rule, all members, present, for, against, abstain, chair's choice -> passed, decided by the chair
TABLE = [
    # more than half of ALL members: 27 members -> 14 needed
    (A, 27, 27, 14, 13, 0, "no", True, False),
    (A, 27, 27, 13, 14, 0, "yes", False, False),
    # most of those PRESENT agree, but fewer than half of ALL members do -> not passed
    (A, 27, 20, 13, 5, 2, "yes", False, False),
    (A, 27, 18, 12, 3, 3, None, False, False),
    # the same counts pass under "more than half of those present"
    (P, 27, 20, 13, 5, 2, "yes", True, False),
    (P, 27, 20, 10, 8, 2, None, False, False),
    # even membership, exactly half for and half against: the chair's side wins
    (A, 26, 26, 13, 13, 0, "yes", True, True),
    (A, 26, 26, 13, 13, 0, "no", False, True),
    # tie, but the chair abstained or did not vote: nobody decides -> not passed
    (A, 26, 26, 12, 12, 2, "abstain", False, False),
    (A, 26, 26, 12, 12, 2, None, False, False),
    # tie under the other rules too
    (C, 27, 20, 8, 8, 4, "yes", True, True),
    (C, 27, 20, 8, 8, 4, "no", False, True),
    (P, 27, 20, 9, 9, 2, "yes", True, True),
    # simple majority of the votes cast: abstentions do not count
    (C, 27, 20, 6, 5, 9, None, True, False),
    (C, 27, 20, 5, 6, 9, "yes", False, False),
    # two thirds of ALL members: 27 -> 18, 26 -> 18 (ceil 17.33)
    (T, 27, 27, 18, 9, 0, None, True, False),
    (T, 27, 27, 17, 10, 0, "yes", False, False),
    (T, 26, 26, 17, 9, 0, None, False, False),
    (T, 26, 26, 18, 8, 0, None, True, False),
    # nobody voted / no members at all
    (A, 27, 27, 0, 0, 0, None, False, False),
    (C, 0, 0, 0, 0, 0, None, False, False),
]


@pytest.mark.parametrize("rule,total,present,yes,no,abstain,chair,passed,by_chair", TABLE)
def test_rule_table(
    rule: str,
    total: int,
    present: int,
    yes: int,
    no: int,
    abstain: int,
    chair: str | None,
    passed: bool,
    by_chair: bool,
) -> None:
    out = compute(rule, total_members=total, present=present, yes=yes, no=no, abstain=abstain, chair_choice=chair)
    assert (out.passed, out.decided_by_chair) == (passed, by_chair)
    assert out.cast == yes + no + abstain


def test_required_numbers() -> None:
    assert compute(A, total_members=27, present=27, yes=0, no=0).required == 14
    assert compute(A, total_members=26, present=26, yes=0, no=0).required == 14
    assert compute(P, total_members=27, present=19, yes=0, no=0).required == 10
    assert compute(T, total_members=27, present=27, yes=0, no=0).required == 18
    assert compute(C, total_members=27, present=20, yes=0, no=7).required == 8
