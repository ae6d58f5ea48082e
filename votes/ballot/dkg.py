"""Distributed key generation among the trustees' devices (docs/ballot-spec.md §3, §7): a Pedersen/Feldman
key ceremony, as ElectionGuard's. No one, the server included, ever holds the election's secret key or a
trustee's combined share in the clear.

Each trustee i draws a polynomial f_i of degree t−1 on their own device, publishes the Feldman commitments
C_{i,k} = a_{i,k}·G with a Schnorr proof of knowledge of every coefficient, and seals f_i(j) to every trustee
j's X25519 key (itself included: the device forgets f_i). The server stores only those public commitments and
sealed shares and checks the proofs. The election key is Y = Σ_i C_{i,0}; trustee j's verification key is
Y_j = Σ_i Σ_k j^k C_{i,k}, i.e. the dealer formula over the combined commitments C_k = Σ_i C_{i,k}.

At close, trustee j's device unseals s_{i→j} for every i, checks each against C_i (Feldman:
s_{i→j}·G = Σ_k j^k C_{i,k}), adds them up (s_j = Σ_i s_{i→j}) and computes the partial decryption with its
proof (proofs.partial_decrypt). The browser does this in frontend/static/js/dkg.js; this module is the same
protocol in Python: the server uses the verifying half, tests and the bench drive trustees with the other.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from votes.ballot import group as g
from votes.ballot import proofs
from votes.ballot.proofs import Invalid, challenge, pt, sc, unsc

SEALED_SHARE_BYTES = 32 + 12 + 32 + 16  # ephemeral public ‖ nonce ‖ AES-GCM(32-byte share) ‖ tag


def ceremony_header(
    ceremony_id: int, meeting_id: int, threshold: int, trustees: list[dict[str, Any]]
) -> dict[str, Any]:
    """What a ceremony's proofs and sealed shares are bound to (spec §3.1)."""
    return {
        "ceremony": ceremony_id,
        "meeting_id": meeting_id,
        "threshold": threshold,
        "trustees": [{"index": t["index"], "user_id": t["user_id"], "trustee_key": t["trustee_key"]} for t in trustees],
    }


def share_aad(ceremony_digest: str, sender: int, receiver: int) -> str:
    return f"ballot-dkg:{ceremony_digest}:{sender}:{receiver}"


def _pok_challenge(ceremony_digest: str, index: int, k: int, commitment: bytes, h: bytes) -> int:
    return challenge("coefficient", bytes.fromhex(ceremony_digest), str(index).encode(), str(k).encode(), commitment, h)


def evaluate(coeffs: list[int], x: int) -> int:
    return sum(a * pow(x, k, g.L) for k, a in enumerate(coeffs)) % g.L


def feldman(commitments: list[bytes], index: int) -> bytes:
    """Σ_k index^k · C_k: the public image of the share for `index` (proofs.verification_key)."""
    return proofs.verification_key(commitments, index)


# --- a trustee's side (the browser's dkg.js does the same; here for tests and the bench) ---------------------


def contribute(ceremony_digest: str, index: int, threshold: int, trustees: list[dict[str, Any]]) -> dict[str, Any]:
    """Trustee `index`'s contribution: commitments, proofs of knowledge, and f_i(j) sealed to every trustee j."""
    from votes.ballot import trustee_keys

    coeffs = [g.random_scalar() for _ in range(threshold)]
    commitments = [g.base(a) for a in coeffs]
    pok = []
    for k, (a, c) in enumerate(zip(coeffs, commitments)):
        w = g.random_scalar()
        h = g.base(w)
        pok.append({"h": h.hex(), "z": sc(w + _pok_challenge(ceremony_digest, index, k, c, h) * a)})
    shares = [
        {
            "to": t["index"],
            "sealed": trustee_keys.seal_share(
                t["trustee_key"],
                evaluate(coeffs, t["index"]).to_bytes(32, "little"),
                share_aad(ceremony_digest, index, t["index"]),
            ),
        }
        for t in trustees
    ]
    coeffs.clear()
    return {"commitments": [c.hex() for c in commitments], "proofs": pok, "shares": shares}


@dataclass
class Combined:
    share: int  # s_j = Σ_i s_{i→j}
    bad: list[int]  # senders whose share failed the Feldman check (or would not open)


def combine_shares(secret_key: bytes, ceremony_digest: str, index: int, received: list[dict[str, Any]]) -> Combined:
    """Trustee `index` opens every share sealed to them ({"from", "sealed", "commitments"}), checks each
    against its sender's commitments and adds up the good ones."""
    from votes.ballot import trustee_keys

    total, bad = 0, []
    for r in received:
        try:
            raw = trustee_keys.open_with_key(secret_key, r["sealed"], share_aad(ceremony_digest, r["from"], index))
        except Exception:
            bad.append(r["from"])
            continue
        s = int.from_bytes(raw, "little")
        if s >= g.L or g.base(s) != feldman([bytes.fromhex(c) for c in r["commitments"]], index):
            bad.append(r["from"])
            continue
        total = (total + s) % g.L
    return Combined(total, bad)


# --- the server's and the verifier's side ---------------------------------------------------------------------


def verify_contribution(ceremony_digest: str, index: int, threshold: int, indices: list[int], body: Any) -> None:
    """Shape, points, proofs of knowledge of every coefficient, one sealed share per trustee. Raises Invalid."""
    if not isinstance(body, dict) or set(body) != {"commitments", "proofs", "shares"}:
        raise Invalid("contribution: fields must be commitments, proofs, shares")
    verify_commitments(ceremony_digest, index, threshold, body["commitments"], body["proofs"])
    shares = body["shares"]
    if not isinstance(shares, list):
        raise Invalid("contribution: one sealed share for every trustee")
    for s in shares:
        if (
            not isinstance(s, dict)
            or set(s) != {"to", "sealed"}
            or type(s["to"]) is not int
            or not isinstance(s["sealed"], str)
        ):
            raise Invalid("contribution: sealed share malformed")
    if sorted(s["to"] for s in shares) != sorted(indices):
        raise Invalid("contribution: one sealed share for every trustee")
    for s in shares:
        try:
            raw = base64.b64decode(s["sealed"], validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("contribution: sealed share is not base64") from None
        if len(raw) != SEALED_SHARE_BYTES:
            raise Invalid("contribution: sealed share has the wrong length")


def verify_commitments(ceremony_digest: str, index: int, threshold: int, commitments: Any, pok: Any) -> list[bytes]:
    if not isinstance(commitments, list) or len(commitments) != threshold:
        raise Invalid(f"trustee {index}: one commitment per coefficient (threshold)")
    if not isinstance(pok, list) or len(pok) != threshold:
        raise Invalid(f"trustee {index}: one proof of knowledge per coefficient")
    points = [pt(c, f"trustee {index}: commitment") for c in commitments]
    if points[0] == g.IDENTITY:
        raise Invalid(f"trustee {index}: the constant term's commitment is the identity")
    for k, (c, p) in enumerate(zip(points, pok)):
        if not isinstance(p, dict) or set(p) != {"h", "z"}:
            raise Invalid(f"trustee {index}: proof {k} malformed")
        h, z = pt(p["h"], "h"), unsc(p["z"], "z")
        if g.base(z) != g.add(h, g.mul(_pok_challenge(ceremony_digest, index, k, c, h), c)):
            raise Invalid(f"trustee {index}: proof of knowledge of coefficient {k}")
    return points


def joint_commitments(parts: list[list[bytes]]) -> list[bytes]:
    """C_k = Σ_i C_{i,k}: then Y = C_0 and Y_j = Σ_k j^k C_k."""
    out = [g.IDENTITY] * len(parts[0])
    for part in parts:
        out = [g.add(a, b) for a, b in zip(out, part)]
    return out
