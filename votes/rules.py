"""Pure result computation: counts + the organisation's rule -> passed or not (no database, no I/O).

Default (Luật Tổ chức Chính phủ 2015, Điều 46): a decision needs MORE THAN HALF OF ALL members voting in
favour; when those in favour and those against are equal, the side the chair voted for wins. The tie-break
applies to every rule; it needs the chair's choice, which a secret ballot never reveals, so a tied secret
vote is not passed (result.tie = true, decided_by_chair = false).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from votes.models import OptionKind, VoteRule


@dataclass(frozen=True)
class Outcome:
    passed: bool
    yes: int
    no: int
    abstain: int
    cast: int
    total_members: int
    present: int
    required: int  # votes in favour needed by the rule (before any tie-break)
    tie: bool
    decided_by_chair: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def required_yes(rule: VoteRule, *, total_members: int, present: int, yes: int, no: int) -> int:
    """Smallest number of votes in favour that carries the decision, in exact integer arithmetic."""
    if rule == VoteRule.all_members:
        return total_members // 2 + 1  # strictly more than half of all members
    if rule == VoteRule.present:
        return present // 2 + 1
    if rule == VoteRule.two_thirds:
        return -(-2 * total_members // 3)  # ceil(2/3 of all members)
    return no + 1  # cast: more in favour than against (abstentions do not count)


def compute(
    rule: VoteRule | str,
    *,
    total_members: int,
    present: int,
    yes: int,
    no: int,
    abstain: int = 0,
    chair_choice: OptionKind | str | None = None,
) -> Outcome:
    rule = VoteRule(rule)
    chair = OptionKind(chair_choice) if chair_choice is not None else None
    required = required_yes(rule, total_members=total_members, present=present, yes=yes, no=no)
    by_rule = total_members > 0 and yes > 0 and yes >= required
    tie = yes == no and yes > 0
    decided_by_chair = tie and not by_rule and chair in (OptionKind.yes, OptionKind.no)
    passed = by_rule or (decided_by_chair and chair == OptionKind.yes)
    return Outcome(
        passed=passed,
        yes=yes,
        no=no,
        abstain=abstain,
        cast=yes + no + abstain,
        total_members=total_members,
        present=present,
        required=required,
        tie=tie,
        decided_by_chair=decided_by_chair,
    )
