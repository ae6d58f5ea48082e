"""`ecabinet verify-ballot BOARD.json`: a true board verifies; each way of tampering with it is caught, even when
the tamperer recomputes the board's fingerprint (so the proofs themselves are what catch it)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from app.db import Database
from tests.factories import call
from tests.vote_helpers import cast_secret, decrypt, new_vote, present_cabinet
from votes import services
from votes.ballot import proofs
from votes.ballot import board as ballot_board
from votes.models import VoteKind

ECABINET = str(Path(sys.executable).with_name("ecabinet"))


@pytest.fixture
def board(db: Database) -> dict[str, Any]:
    c = present_cabinet(db, n_members=4)
    vote = new_vote(db, c, kind=VoteKind.secret, state="open")
    for voter, kind in zip([c.chair, *c.members], ["yes", "no", "yes", "abstain", "yes"]):
        cast_secret(db, voter, vote, kind)
    call(db, services.close_vote, actor=c.chair, vote_id=vote["id"])
    decrypt(db, c, vote)
    call(db, services.publish_vote, actor=c.chair, vote_id=vote["id"])  # a member reads it decrypted once published
    return db.run_read(ballot_board.board, actor=c.members[3], vote_id=vote["id"])


def _verify(tmp_path: Path, board: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "BOARD.json"
    path.write_text(json.dumps(board, ensure_ascii=False), encoding="utf-8")
    return subprocess.run([ECABINET, "verify-ballot", str(path)], capture_output=True, text=True, timeout=60)


def _refinger(board: dict[str, Any]) -> dict[str, Any]:
    board["fingerprint"] = proofs.digest({k: v for k, v in board.items() if k != "fingerprint"})
    return board


def test_a_true_board_verifies(board: dict[str, Any], tmp_path: Path) -> None:
    done = _verify(tmp_path, board)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Hợp lệ: 5 phiếu" in done.stdout and "Tán thành: 3" in done.stdout and "Không tán thành: 1" in done.stdout
    assert "lễ tạo khóa" in done.stdout  # the key came from the trustees, not from the server


def _changed_ciphertext(b: dict[str, Any]) -> None:
    b["ballots"][0]["ciphertexts"][0]["b"] = b["ballots"][1]["ciphertexts"][0]["b"]


def _dropped(b: dict[str, Any]) -> None:
    del b["ballots"][2]


def _dropped_and_recounted(b: dict[str, Any]) -> None:  # the tamperer fixes every count it can
    del b["ballots"][2]
    b["voted_count"] -= 1
    b["total"] = proofs.total(len(b["params"]["options"]), b["ballots"])


def _duplicated(b: dict[str, Any]) -> None:
    b["ballots"].append(copy.deepcopy(b["ballots"][0]))
    b["ballots"].sort(key=lambda e: e["receipt"])
    b["voted_count"] += 1


def _wrong_partial(b: dict[str, Any]) -> None:
    b["partials"][0]["shares"][0]["d"] = b["partials"][1]["shares"][0]["d"]


def _wrong_result(b: dict[str, Any]) -> None:
    counts = b["result"]["counts"]
    first, second = list(counts)[:2]
    counts[first], counts[second] = counts[second], counts[first]


def _swapped_proof(b: dict[str, Any]) -> None:
    b["ballots"][0]["proofs"], b["ballots"][1]["proofs"] = b["ballots"][1]["proofs"], b["ballots"][0]["proofs"]


def _swapped_option_proofs(b: dict[str, Any]) -> None:
    p = b["ballots"][0]["proofs"]
    p[0], p[1] = p[1], p[0]


def _other_key(b: dict[str, Any]) -> None:
    b["params"]["public_key"] = b["ballots"][0]["ciphertexts"][0]["a"]
    b["params_digest"] = proofs.digest(b["params"])


def _params_changed(b: dict[str, Any]) -> None:
    b["params_digest"] = proofs.digest(b["params"])


def _ceremony_proof(b: dict[str, Any]) -> None:
    pok = b["params"]["ceremony"]["contributions"][1]["proofs"][0]
    pok["z"] = proofs.sc(proofs.unsc(pok["z"], "z") + 1)
    _params_changed(b)


def _ceremony_key_replaced(b: dict[str, Any]) -> None:
    """A trustee's constant term replaced by a point whose logarithm the tamperer knows (so they would know the
    whole key), with every derived value recomputed: only the proof of knowledge catches it."""
    from votes.ballot import dkg
    from votes.ballot import group as g

    params = b["params"]
    contributions = params["ceremony"]["contributions"]
    contributions[0]["commitments"][0] = g.base(12345).hex()
    joint = dkg.joint_commitments([[bytes.fromhex(c) for c in p["commitments"]] for p in contributions])
    params["commitments"] = [c.hex() for c in joint]
    params["public_key"] = joint[0].hex()
    for t in params["trustees"]:
        t["verification_key"] = proofs.verification_key(joint, t["index"]).hex()
    _params_changed(b)


def _joint_not_the_sum(b: dict[str, Any]) -> None:
    from votes.ballot import group as g

    params = b["params"]
    joint = [bytes.fromhex(c) for c in params["commitments"]]
    joint[1] = g.add(joint[1], g.BASE)
    params["commitments"] = [c.hex() for c in joint]
    for t in params["trustees"]:
        t["verification_key"] = proofs.verification_key(joint, t["index"]).hex()
    _params_changed(b)


def _ceremony_trustee_key_swapped(b: dict[str, Any]) -> None:
    b["params"]["trustees"][1]["trustee_key"] = b["params"]["trustees"][2]["trustee_key"]
    _params_changed(b)


def _contribution_dropped(b: dict[str, Any]) -> None:
    del b["params"]["ceremony"]["contributions"][2]
    _params_changed(b)


TAMPERS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "changed ciphertext": (_changed_ciphertext, "proof"),
    "dropped ballot": (_dropped, "members recorded as having voted"),
    "dropped ballot, counts fixed": (_dropped_and_recounted, "partial decryption"),
    "duplicated ballot": (_duplicated, "duplicated"),
    "wrong partial decryption": (_wrong_partial, "partial decryption of trustee"),
    "wrong result": (_wrong_result, "result: counts"),
    "swapped proof": (_swapped_proof, "proof"),
    "proofs swapped between options": (_swapped_option_proofs, "proof"),
    "other public key": (_other_key, "public key"),
    "ceremony: proof of knowledge altered": (_ceremony_proof, "proof of knowledge"),
    "ceremony: a trustee's key replaced, all recomputed": (_ceremony_key_replaced, "proof of knowledge"),
    "ceremony: joint commitments not the sum": (_joint_not_the_sum, "not the sum"),
    "ceremony: trustee key swapped": (_ceremony_trustee_key_swapped, "ceremony: digest"),
    "ceremony: a contribution dropped": (_contribution_dropped, "one contribution per trustee"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_each_tampering_is_caught(board: dict[str, Any], tmp_path: Path, name: str) -> None:
    tamper, says = TAMPERS[name]
    bad = copy.deepcopy(board)
    tamper(bad)
    done = _verify(tmp_path, _refinger(bad))
    assert done.returncode == 1, done.stdout
    assert "KHÔNG HỢP LỆ" in done.stdout and says in done.stdout, done.stdout
    # and without recomputing the fingerprint, the fingerprint alone already tells
    plain = copy.deepcopy(board)
    tamper(plain)
    assert "fingerprint" in _verify(tmp_path, plain).stdout
