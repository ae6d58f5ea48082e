"""Exponential ElGamal ballots, their zero-knowledge proofs, threshold keys and partial decryptions.

Everything here follows docs/ballot-spec.md, section by section; the browser (frontend/static/js/ballot-crypto.js)
implements the voter's side of the same text. Points and scalars travel as lowercase hex of 32 bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from votes.ballot import group as g

SPEC = "ecabinet-ballot-v1"


class Invalid(ValueError):
    """A ballot, proof or board that does not verify; the message says which part."""


# --- encoding (spec §2) ---------------------------------------------------------------------------------


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj)).hexdigest()


def sc(n: int) -> str:
    return (n % g.L).to_bytes(32, "little").hex()


def unsc(h: Any, what: str) -> int:
    b = _bytes32(h, what)
    n = int.from_bytes(b, "little")
    if n >= g.L:
        raise Invalid(f"{what}: scalar not reduced")
    return n


_HEX = frozenset("0123456789abcdef")


def _bytes32(h: Any, what: str) -> bytes:
    # Lowercase only (spec §2.1): one spelling per value, so a token or receipt compared as text is compared as bytes.
    if not isinstance(h, str) or len(h) != 64:
        raise Invalid(f"{what}: expected 64 hex digits")
    if not _HEX.issuperset(h):
        raise Invalid(f"{what}: not lowercase hex")
    return bytes.fromhex(h)


def pt(h: Any, what: str) -> bytes:
    p = _bytes32(h, what)
    if not g.is_point(p):
        raise Invalid(f"{what}: not a ristretto255 point")
    return p


def challenge(tag: str, *parts: bytes) -> int:
    """H(tag, parts) = SHA-512 over length-prefixed fields, reduced mod L (spec §2.3)."""
    data = bytearray()
    for field in (SPEC.encode(), tag.encode(), *parts):
        data += len(field).to_bytes(4, "big") + field
    return g.hash_to_scalar(bytes(data))


def _ctx(params_digest: str, vote_id: int, token: bytes) -> tuple[bytes, ...]:
    return (bytes.fromhex(params_digest), str(vote_id).encode(), token)


# --- keys (spec §3) -------------------------------------------------------------------------------------


@dataclass
class Dealt:
    public_key: bytes
    commitments: list[bytes]
    shares: list[int]  # shares[i-1] = f(i), trustee indices 1..n


def deal(threshold: int, trustees: int) -> Dealt:
    """Shamir shares of a fresh secret with Feldman commitments; the secret itself is not returned. The server
    no longer deals a vote's key (votes/ballot/dkg.py: the trustees' key ceremony); this stays for the bench's
    in-process figures, which need shares without a ceremony."""
    if not 1 <= threshold <= trustees:
        raise ValueError("threshold")
    coeffs = [g.random_scalar() for _ in range(threshold)]
    shares = [sum(a * pow(i, j, g.L) for j, a in enumerate(coeffs)) % g.L for i in range(1, trustees + 1)]
    commitments = [g.base(a) for a in coeffs]
    return Dealt(commitments[0], commitments, shares)


def verification_key(commitments: list[bytes], index: int) -> bytes:
    """Y_i = Σ_j i^j · C_j: the public image of trustee i's share."""
    out = g.IDENTITY
    for j, c in enumerate(commitments):
        out = g.add(out, g.mul(pow(index, j, g.L), c))
    return out


def lagrange(index: int, indices: list[int]) -> int:
    num, den = 1, 1
    for j in indices:
        if j != index:
            num = num * j % g.L
            den = den * (j - index) % g.L
    return num * pow(den, -1, g.L) % g.L


# --- ballots (spec §4) ----------------------------------------------------------------------------------


def encrypt_ballot(params: dict[str, Any], params_digest: str, choice: int, token: bytes) -> dict[str, Any]:
    """The voter's side (the browser does the same; here for tests and the bench)."""
    y = pt(params["public_key"], "public_key")
    ctx = _ctx(params_digest, params["vote_id"], token)
    cts, proofs, r_sum = [], [], 0
    for k in range(len(params["options"])):
        m = 1 if k == choice else 0
        r = g.random_scalar()
        r_sum += r
        alpha, beta = g.base(r), g.add(g.base(m), g.mul(r, y))
        # the simulated branch j = 1 - m, the real one m (disjunctive Chaum-Pedersen)
        j = 1 - m
        cj, zj, w = g.random_scalar(), g.random_scalar(), g.random_scalar()
        aj = g.sub(g.base(zj), g.mul(cj, alpha))
        bj = g.sub(g.mul(zj, y), g.mul(cj, g.sub(beta, g.base(j))))
        am, bm = g.base(w), g.mul(w, y)
        a = {m: am, j: aj}
        b = {m: bm, j: bj}
        c = challenge("range", *ctx, str(k).encode(), alpha, beta, a[0], b[0], a[1], b[1])
        cm = (c - cj) % g.L
        zm = (w + cm * r) % g.L
        cc, zz = {m: cm, j: cj}, {m: zm, j: zj}
        cts.append({"a": alpha.hex(), "b": beta.hex()})
        proofs.append(
            {
                "a0": a[0].hex(),
                "b0": b[0].hex(),
                "a1": a[1].hex(),
                "b1": b[1].hex(),
                "c0": sc(cc[0]),
                "c1": sc(cc[1]),
                "z0": sc(zz[0]),
                "z1": sc(zz[1]),
            }
        )
    big_a, big_b = _sum(cts)
    w = g.random_scalar()
    sum_a, sum_b = g.base(w), g.mul(w, y)
    sum_c = challenge("sum", *ctx, big_a, big_b, sum_a, sum_b)
    sum_proof = {"a": sum_a.hex(), "b": sum_b.hex(), "z": sc(w + sum_c * r_sum)}
    return {"token": token.hex(), "ciphertexts": cts, "proofs": proofs, "sum_proof": sum_proof}


def _sum(cts: list[dict[str, str]]) -> tuple[bytes, bytes]:
    a, b = g.IDENTITY, g.IDENTITY
    for ct in cts:
        a, b = g.add(a, bytes.fromhex(ct["a"])), g.add(b, bytes.fromhex(ct["b"]))
    return a, b


_BALLOT_KEYS = {"token", "ciphertexts", "proofs", "sum_proof"}
_PROOF_KEYS = {"a0", "b0", "a1", "b1", "c0", "c1", "z0", "z1"}


def verify_ballot(params: dict[str, Any], params_digest: str, ballot: Any) -> str:
    """Checks a ballot's shape and every proof; answers its receipt (SHA-256 of its canonical JSON)."""
    if not isinstance(ballot, dict) or set(ballot) != _BALLOT_KEYS:
        raise Invalid("ballot: fields must be token, ciphertexts, proofs, sum_proof")
    n = len(params["options"])
    cts, proofs = ballot["ciphertexts"], ballot["proofs"]
    if not isinstance(cts, list) or not isinstance(proofs, list) or len(cts) != n or len(proofs) != n:
        raise Invalid("ballot: one ciphertext and one proof per option")
    token = _bytes32(ballot["token"], "token")
    y = pt(params["public_key"], "public_key")
    ctx = _ctx(params_digest, params["vote_id"], token)
    for k, (ct, pr) in enumerate(zip(cts, proofs)):
        if not isinstance(ct, dict) or set(ct) != {"a", "b"} or not isinstance(pr, dict) or set(pr) != _PROOF_KEYS:
            raise Invalid(f"ballot: option {k}: malformed")
        alpha, beta = pt(ct["a"], "alpha"), pt(ct["b"], "beta")
        if g.IDENTITY in (alpha, beta):  # r = 0: the choice in clear on the board (spec §4)
            raise Invalid(f"ballot: option {k}: ciphertext with no randomness")
        a = [pt(pr["a0"], "a0"), pt(pr["a1"], "a1")]
        b = [pt(pr["b0"], "b0"), pt(pr["b1"], "b1")]
        c = [unsc(pr["c0"], "c0"), unsc(pr["c1"], "c1")]
        z = [unsc(pr["z0"], "z0"), unsc(pr["z1"], "z1")]
        if (c[0] + c[1]) % g.L != challenge("range", *ctx, str(k).encode(), alpha, beta, a[0], b[0], a[1], b[1]):
            raise Invalid(f"ballot: option {k}: 0-or-1 proof challenge")
        for j in (0, 1):
            if g.base(z[j]) != g.add(a[j], g.mul(c[j], alpha)) or g.mul(z[j], y) != g.add(
                b[j], g.mul(c[j], g.sub(beta, g.base(j)))
            ):
                raise Invalid(f"ballot: option {k}: 0-or-1 proof")
    sp = ballot["sum_proof"]
    if not isinstance(sp, dict) or set(sp) != {"a", "b", "z"}:
        raise Invalid("ballot: sum proof malformed")
    big_a, big_b = _sum(cts)
    sum_a, sum_b, sum_z = pt(sp["a"], "sum a"), pt(sp["b"], "sum b"), unsc(sp["z"], "sum z")
    sum_c = challenge("sum", *ctx, big_a, big_b, sum_a, sum_b)
    if g.base(sum_z) != g.add(sum_a, g.mul(sum_c, big_a)) or g.mul(sum_z, y) != g.add(
        sum_b, g.mul(sum_c, g.sub(big_b, g.BASE))
    ):
        raise Invalid("ballot: sum-is-one proof")
    return digest(ballot)


# --- tally and decryption (spec §5) ---------------------------------------------------------------------


def total(n_options: int, ballots: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = [[g.IDENTITY, g.IDENTITY] for _ in range(n_options)]
    for ballot in ballots:
        for k, ct in enumerate(ballot["ciphertexts"]):
            out[k][0] = g.add(out[k][0], bytes.fromhex(ct["a"]))
            out[k][1] = g.add(out[k][1], bytes.fromhex(ct["b"]))
    return [{"a": a.hex(), "b": b.hex()} for a, b in out]


def partial_decrypt(params_digest: str, index: int, share: int, totals: list[dict[str, str]]) -> list[dict[str, str]]:
    """Trustee `index`'s D_k = s_i·A_k for every option, each with a Chaum-Pedersen proof that
    log_G(Y_i) = log_{A_k}(D_k)."""
    out = []
    for k, t in enumerate(totals):
        big_a = bytes.fromhex(t["a"])
        d = g.mul(share, big_a)
        w = g.random_scalar()
        a, b = g.base(w), g.mul(w, big_a)
        c = challenge("partial", bytes.fromhex(params_digest), str(index).encode(), str(k).encode(), big_a, d, a, b)
        out.append({"d": d.hex(), "a": a.hex(), "b": b.hex(), "z": sc(w + c * share)})
    return out


def verify_partial(params_digest: str, index: int, vkey: bytes, totals: list[dict[str, str]], shares: Any) -> None:
    if not isinstance(shares, list) or len(shares) != len(totals):
        raise Invalid(f"partial decryption of trustee {index}: one per option")
    for k, (t, s) in enumerate(zip(totals, shares)):
        if not isinstance(s, dict) or set(s) != {"d", "a", "b", "z"}:
            raise Invalid(f"partial decryption of trustee {index}: option {k}: malformed")
        big_a = pt(t["a"], "total a")
        d, a, b, z = pt(s["d"], "d"), pt(s["a"], "a"), pt(s["b"], "b"), unsc(s["z"], "z")
        c = challenge("partial", bytes.fromhex(params_digest), str(index).encode(), str(k).encode(), big_a, d, a, b)
        if g.base(z) != g.add(a, g.mul(c, vkey)) or g.mul(z, big_a) != g.add(b, g.mul(c, d)):
            raise Invalid(f"partial decryption of trustee {index}: option {k}: proof")


def combine(totals: list[dict[str, str]], partials: dict[int, list[dict[str, str]]], max_count: int) -> list[int]:
    """M_k = B_k − Σ λ_i D_{i,k} = count_k·G; count_k found by stepping 0·G, 1·G, … up to max_count."""
    indices = sorted(partials)
    table = {g.IDENTITY: 0}
    p = g.IDENTITY
    for n in range(1, max_count + 1):
        p = g.add(p, g.BASE)
        table[p] = n
    counts = []
    for k, t in enumerate(totals):
        d = g.IDENTITY
        for i in indices:
            d = g.add(d, g.mul(lagrange(i, indices), bytes.fromhex(partials[i][k]["d"])))
        m = g.sub(bytes.fromhex(t["b"]), d)
        if m not in table:
            raise Invalid(f"option {k}: decrypted total is not a count between 0 and {max_count}")
        counts.append(table[m])
    return counts
