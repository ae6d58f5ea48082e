"""The minutes page's "check the secret-ballot boards" button (votes/ballot/check.py, GET
/api/meetings/{id}/ballot-boards/check): the checks of `ecabinet verify-ballot`, one line per vote for a person;
a tampered board is named with its problem while the others are still checked; who may read the boards may
check them, nobody else."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.factories import call
from tests.live import login
from tests.test_ballot_board import _refinger, _wrong_result, board  # noqa: F401  (the fixture)
from tests.vote_helpers import cast_secret, decrypt, new_vote, present_cabinet
from votes import services
from votes.ballot.check import check_all, check_board
from votes.models import VoteKind


def test_a_true_board_checks_out_with_its_counts(board: dict[str, Any]) -> None:  # noqa: F811
    line = check_board(board)
    assert line["ok"] is True and line["problem"] is None and line["ballots"] == 5 and line["key"] == "ceremony"
    assert line["question"] == board["params"]["question"] and line["fingerprint"] == board["fingerprint"]
    by_kind = {c["kind"]: c["n"] for c in line["counts"]}
    assert by_kind == {"yes": 3, "no": 1, "abstain": 1}
    assert [c["label"] for c in line["counts"]] == [o["label"] for o in board["params"]["options"]]
    assert line["passed"] is board["result"]["passed"]


def test_a_tampered_board_is_named_and_the_others_still_checked(board: dict[str, Any]) -> None:  # noqa: F811
    bad = copy.deepcopy(board)
    _wrong_result(bad)
    lines = check_all([_refinger(bad), board, "not a board"])
    assert [line["ok"] for line in lines] == [False, True, False]
    assert "result: counts" in lines[0]["problem"] and lines[0]["counts"] is None
    assert lines[2]["problem"] == "board: unexpected fields"


@pytest.mark.service_pair("votes.ballot.board.meeting_boards")
async def test_the_check_is_for_those_who_may_read_the_boards(live_server: LiveServer) -> None:
    db = live_server.db
    c = present_cabinet(db)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    for voter, kind in zip([c.chair, *c.members[:2]], ["yes", "no", "yes"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    decrypt(db, c, vote)
    path = f"/api/meetings/{c.meeting_id}/ballot-boards/check"
    outsider, guest, chair = [await login(live_server.url, a.username) for a in (c.outsider, c.guest, c.chair)]
    try:
        assert (await outsider.get(path)).status_code in (403, 404)  # denied: not invited
        assert (await guest.get(path)).json() == {"meeting_id": c.meeting_id, "boards": []}  # not published yet
        early = (await chair.get(path)).json()["boards"]
        assert [b["ok"] for b in early] == [True]  # those who conduct see it decrypted, before publishing
        call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])
        got = await guest.get(path)
        assert got.status_code == 200, got.text
        [line] = got.json()["boards"]
        assert line["ok"] is True and line["question"] == vote["question"] and line["ballots"] == 3
        assert sorted((x["kind"], x["n"]) for x in line["counts"]) == [("abstain", 0), ("no", 1), ("yes", 2)]
        exported = (await guest.get(f"/api/meetings/{c.meeting_id}/ballot-boards")).json()["boards"]
        assert line["fingerprint"] == exported[0]["fingerprint"]  # the one the minutes cite
    finally:
        for client in (outsider, guest, chair):
            await client.aclose()
