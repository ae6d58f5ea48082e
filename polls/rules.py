"""The adoption rule of a written poll of the Government (Luật Tổ chức Chính phủ 2015, Điều 46, as for votes in
session): a question is adopted when MORE THAN HALF OF ALL THE MEMBERS OF THE GOVERNMENT agree, silent voters
counting as agreeing when the poll says so. When agree and disagree are equal ("biểu quyết tán thành và không
tán thành ngang nhau", Điều 46 as written; votes/rules.py reads it the same way), the side the chair took wins:
the chair's silence is their agreement under the same rule, their "other" is no side.

`members` is that base: every member of the Government when the poll was sent (Poll.members_total), at least the
voters. Polls sent before that rule have none: their results were counted over their voters, and a record is
never recounted otherwise (`members=None` keeps that base)."""

from __future__ import annotations

from typing import Any

from polls.models import Choice, Silence


def tally(
    *,
    voter_ids: list[int],
    answers: dict[int, Choice],
    chair_id: int,
    silence: Silence,
    members: int | None = None,
) -> dict[str, Any]:
    """One question's result: `answers` maps a voter to their choice (voters absent from it are silent)."""
    counts = {c: 0 for c in Choice}
    for uid in voter_ids:
        if uid in answers:
            counts[answers[uid]] += 1
    silent = len(voter_ids) - sum(counts.values())
    agree = counts[Choice.agree] + (silent if silence == Silence.agree else 0)
    disagree = counts[Choice.disagree]
    base = len(voter_ids) if members is None else max(members, len(voter_ids))
    adopted = agree * 2 > base
    tie = not adopted and agree == disagree and agree > 0
    decided_by_chair = False
    if tie:
        chair_side = (
            answers.get(chair_id)
            if chair_id in answers
            else (Choice.agree if silence == Silence.agree and chair_id in voter_ids else None)
        )
        if chair_side == Choice.agree:
            adopted = decided_by_chair = True
        elif chair_side == Choice.disagree:
            decided_by_chair = True
    out: dict[str, Any] = {
        "agree": counts[Choice.agree],
        "disagree": disagree,
        "other": counts[Choice.other],
        "silent": silent,
        "voters": len(voter_ids),
        "adopted": adopted,
        "tie": tie,
        "decided_by_chair": decided_by_chair,
    }
    if members is not None:
        out["members"] = base
    return out
