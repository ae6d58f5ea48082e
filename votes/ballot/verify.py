"""The board verifier (docs/ballot-spec.md §6): from the board alone, check the parameters, every ballot's proofs,
that no ballot is missing or repeated, the encrypted total, every partial decryption, the counts and the outcome
(passed or not, recomputed by the rule from the counts fixed at close).

`verify_board` raises proofs.Invalid naming the first failure, or answers the decrypted counts per option
(None while the board has no result yet)."""

from __future__ import annotations

from typing import Any

from votes import rules
from votes.ballot import dkg, proofs
from votes.ballot import group as g
from votes.ballot.proofs import Invalid
from votes.models import OptionKind, VoteRule
from votes.rules import Outcome

_BOARD_KEYS = {
    "spec",
    "params",
    "params_digest",
    "state",
    "voted_count",
    "ballots",
    "total",
    "partials",
    "result",
    "fingerprint",
}


def verify_board(board: Any) -> list[int] | None:
    if not isinstance(board, dict) or set(board) != _BOARD_KEYS:
        raise Invalid("board: unexpected fields")
    if board["spec"] != proofs.SPEC:
        raise Invalid("board: unknown spec")
    unsigned = {k: v for k, v in board.items() if k != "fingerprint"}
    if proofs.digest(unsigned) != board["fingerprint"]:
        raise Invalid("board: fingerprint does not match its content")
    params, digest = board["params"], board["params_digest"]
    if proofs.digest(params) != digest:
        raise Invalid("params: digest does not match")
    _check_keys(params)
    n_options = len(params["options"])

    ballots = board["ballots"]
    receipts, tokens = set(), set()
    for i, entry in enumerate(ballots):
        ballot = {k: v for k, v in entry.items() if k != "receipt"}
        try:
            receipt = proofs.verify_ballot(params, digest, ballot)
        except Invalid as e:
            raise Invalid(f"ballot #{i}: {e}") from None
        if receipt != entry.get("receipt"):
            raise Invalid(f"ballot #{i}: receipt does not match the ballot")
        if receipt in receipts or ballot["token"] in tokens:
            raise Invalid(f"ballot #{i}: duplicated")
        receipts.add(receipt)
        tokens.add(ballot["token"])
    if board["voted_count"] != len(ballots):
        raise Invalid(
            f"ballots: {len(ballots)} on the board but {board['voted_count']} members recorded as having voted"
        )
    if [e["receipt"] for e in ballots] != sorted(receipts):
        raise Invalid("ballots: not in receipt order")

    if board["total"] is None:
        if board["partials"] or board["result"] is not None:
            raise Invalid("board: decryption without an encrypted total")
        return None
    total = proofs.total(n_options, ballots)
    if total != board["total"]:
        raise Invalid("total: is not the product of the ballots on the board")

    partials: dict[int, list[dict[str, str]]] = {}
    vkeys = {t["index"]: bytes.fromhex(t["verification_key"]) for t in params["trustees"]}
    for p in board["partials"]:
        index = p.get("trustee")
        if index not in vkeys or index in partials:
            raise Invalid(f"partial decryption: unknown or repeated trustee {index}")
        proofs.verify_partial(digest, index, vkeys[index], total, p.get("shares"))
        partials[index] = p["shares"]
    if board["result"] is None:
        return None
    if len(partials) < params["threshold"]:
        raise Invalid("result: fewer partial decryptions than the threshold")
    chosen = dict(sorted(partials.items())[: params["threshold"]])
    counts = proofs.combine(total, chosen, max_count=len(ballots))
    claimed = board["result"].get("counts")
    expected = {str(o["id"]): n for o, n in zip(params["options"], counts)}
    if claimed != expected:
        raise Invalid(f"result: counts {claimed} differ from the decrypted total {expected}")
    if sum(counts) != len(ballots):
        raise Invalid("result: counts do not add up to the number of ballots")
    check_outcome(board, counts)
    return counts


_OLD_RESULT = {"counts", "passed", "rule"}  # boards of votes closed before 0015_ballot_fixes
_RESULT = _OLD_RESULT | {"kinds", "total_members", "present", "required"}


def outcome(board: dict[str, Any], counts: list[int]) -> Outcome | None:
    """The outcome recomputed from the decrypted counts and the rule's counts fixed at close (spec §6 step 10);
    None for an older board that does not carry them."""
    result = board["result"]
    if not isinstance(result, dict) or set(result) not in (_OLD_RESULT, _RESULT):
        raise Invalid("result: unexpected fields")
    if set(result) == _OLD_RESULT:
        return None
    kinds, ids = result["kinds"], [str(o["id"]) for o in board["params"]["options"]]
    if (
        not isinstance(kinds, dict)
        or sorted(kinds) != sorted(ids)
        or set(kinds.values()) - {k.value for k in OptionKind}
    ):
        raise Invalid("result: kinds must name one kind (yes, no, abstain) per option")
    numbers = [result["total_members"], result["present"]]
    if any(type(n) is not int or n < 0 for n in numbers) or result["rule"] not in {r.value for r in VoteRule}:
        raise Invalid("result: rule, total_members or present malformed")
    by_kind = {k: 0 for k in OptionKind}
    for option_id, n in zip(ids, counts):
        by_kind[OptionKind(kinds[option_id])] += n
    return rules.compute(
        result["rule"],
        total_members=result["total_members"],
        present=result["present"],
        yes=by_kind[OptionKind.yes],
        no=by_kind[OptionKind.no],
        abstain=by_kind[OptionKind.abstain],
        chair_choice=None,  # a secret ballot never reveals the chair's side: a tie is not passed
    )


def check_outcome(board: dict[str, Any], counts: list[int]) -> None:
    got = outcome(board, counts)
    if got is None:
        return
    result = board["result"]
    if result["required"] != got.required:
        raise Invalid(f"result: required {result['required']} but the rule gives {got.required}")
    if result["passed"] is not got.passed:
        raise Invalid(f"result: passed is {result['passed']} but the counts and the rule give {got.passed}")


def _check_keys(params: dict[str, Any]) -> None:
    commitments = [proofs.pt(c, "commitment") for c in params["commitments"]]
    if len(commitments) != params["threshold"]:
        raise Invalid("params: one commitment per coefficient (threshold)")
    if commitments[0].hex() != params["public_key"]:
        raise Invalid("params: public key is not the first commitment")
    if g.is_point(commitments[0]) and commitments[0] == g.IDENTITY:
        raise Invalid("params: public key is the identity")
    for t in params["trustees"]:
        if proofs.verification_key(commitments, t["index"]).hex() != t["verification_key"]:
            raise Invalid(f"params: trustee {t['index']}'s verification key does not follow the commitments")
    if "ceremony" in params:
        _check_ceremony(params, commitments)


def key_origin(params: dict[str, Any]) -> str:
    """'ceremony' (the trustees' distributed key generation) or 'dealer' (a legacy vote: the server dealt it)."""
    return "ceremony" if "ceremony" in params else "dealer"


_CEREMONY_KEYS = {"id", "meeting_id", "digest", "contributions"}


def _check_ceremony(params: dict[str, Any], commitments: list[bytes]) -> None:
    """Spec §3.1: the header digest, every trustee's contribution with its proofs of knowledge, and the joint
    commitments C_k = Σ_i C_{i,k} (so public_key = Σ_i C_{i,0} and Y_j = Σ_i Σ_k j^k C_{i,k})."""
    cer = params["ceremony"]
    if not isinstance(cer, dict) or set(cer) != _CEREMONY_KEYS:
        raise Invalid("ceremony: unexpected fields")
    header = dkg.ceremony_header(cer["id"], cer["meeting_id"], params["threshold"], params["trustees"])
    if proofs.digest(header) != cer["digest"]:
        raise Invalid("ceremony: digest does not match its header")
    contributions = cer["contributions"]
    indices = [t["index"] for t in params["trustees"]]
    if not isinstance(contributions, list) or [c.get("index") for c in contributions if isinstance(c, dict)] != indices:
        raise Invalid("ceremony: one contribution per trustee, in index order")
    parts = []
    for c in contributions:
        if set(c) != {"index", "commitments", "proofs"}:
            raise Invalid(f"ceremony: contribution of trustee {c.get('index')}: unexpected fields")
        parts.append(
            dkg.verify_commitments(cer["digest"], c["index"], params["threshold"], c["commitments"], c["proofs"])
        )
    if dkg.joint_commitments(parts) != commitments:
        raise Invalid("ceremony: the commitments are not the sum of the trustees' commitments")


_RULE_VI = {
    VoteRule.all_members: "quá nửa tổng số thành viên",
    VoteRule.present: "quá nửa số thành viên có mặt",
    VoteRule.two_thirds: "ít nhất hai phần ba tổng số thành viên",
    VoteRule.cast: "số phiếu tán thành nhiều hơn không tán thành",
}


def outcome_line(board: dict[str, Any], counts: list[int]) -> str:
    """What `ecabinet verify-ballot` prints about the outcome of a verified, decrypted board."""
    got = outcome(board, counts)
    if got is None:
        return (
            f"  Kết quả ghi trên bảng: {'thông qua' if board['result']['passed'] else 'không thông qua'} "
            "(bảng phiếu cũ, không có số thành viên cố định lúc đóng: không tính lại được)."
        )
    verdict = "THÔNG QUA" if got.passed else "KHÔNG THÔNG QUA"
    tie = "; hòa, phiếu kín không có phiếu quyết định của chủ trì" if got.tie and not got.passed else ""
    return (
        f"  Kết quả (đã tính lại theo quy tắc): {verdict} — {got.yes} phiếu tán thành, cần {got.required} "
        f"({_RULE_VI[VoteRule(board['result']['rule'])]}; {got.total_members} thành viên, "
        f"{got.present} có quyền biểu quyết lúc đóng){tie}."
    )
