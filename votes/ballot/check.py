"""The minutes page's "check the secret-ballot boards" button: the same checks as `ecabinet verify-ballot`
(votes/ballot/verify.py, docs/ballot-spec.md §6) run on the boards the meeting exports with its minutes, answered
as one line per vote for a person (the question, the ballots, the fingerprint the minutes cite, the counts and
the outcome recomputed by the rule), never a database id. Auditors still check the downloaded file offline."""

from __future__ import annotations

from typing import Any

from votes.ballot.verify import Invalid, key_origin, outcome, verify_board


def check_board(board: Any) -> dict[str, Any]:
    params = board.get("params") if isinstance(board, dict) else None
    params = params if isinstance(params, dict) else {}
    line: dict[str, Any] = {
        "question": str(params.get("question", "")),
        "fingerprint": board.get("fingerprint") if isinstance(board, dict) else None,
        "ballots": len(board.get("ballots") or []) if isinstance(board, dict) else 0,
        "ok": False,
        "problem": None,
        "key": None,
        "counts": None,
        "passed": None,
    }
    try:
        counts = verify_board(board)
    except (Invalid, KeyError, TypeError, AttributeError, ValueError) as e:
        line["problem"] = str(e) or type(e).__name__
        return line
    line["ok"] = True
    line["key"] = key_origin(params)
    if counts is not None:
        kinds = board["result"].get("kinds") or {}  # which option is "in favour" (older boards: none)
        line["counts"] = [
            {"label": str(o.get("label", "")), "kind": kinds.get(str(o.get("id"))), "n": n}
            for o, n in zip(params.get("options") or [], counts)
        ]
        got = outcome(board, counts)
        line["passed"] = got.passed if got is not None else bool(board["result"].get("passed"))
    return line


def check_all(boards: list[Any]) -> list[dict[str, Any]]:
    """Every board, each on its own: one failed check names its problem and the others are still checked."""
    return [check_board(b) for b in boards]
