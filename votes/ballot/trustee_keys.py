"""Trustee keys: each trustee's X25519 key pair, its secret half sealed (the same argon2id + AES-256-GCM seal as the
signing key store, ledger/keystore.py), and the sealing of key shares to it.

Two ways a key is made (`TrusteeKey.sealing`, docs/ballot-spec.md §7):
- `passphrase` (what the tablet does): the pair is drawn on the trustee's tablet and sealed there with a trustee
  passphrase that never reaches the server; the server gets the public half and the sealed blob and checks their
  form only (check_public_key, check_sealed: it cannot open the blob, and must not be able to);
- `account_password` (legacy, new_key): drawn here and sealed with the account password.

A share is sealed to the trustee's public key when the vote opens (no password needed then) and can be opened
only with the trustee's password at the decryption step: ephemeral X25519 -> HKDF-SHA256 -> AES-256-GCM, the
vote and trustee index as associated data, so a sealed share cannot be moved to another vote or trustee.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core import strict_json
from core.errors import ValidationFailed
from ledger.keystore import _MAGIC as MAGIC
from ledger.keystore import ARGON2, seal, unseal

# What a tablet's seal may ask of argon2id: never weaker than the server's own seal (keystore.ARGON2), never so
# costly that a tablet could not open it at the decryption step (libsodium in WebAssembly, one lane).
KDF_MIN = {"t": ARGON2["t"], "m": ARGON2["m"]}
KDF_MAX = {"t": 8, "m": 256 * 1024}  # KiB: 256 MiB
SEALED_SECRET_BYTES = 32 + 16  # the X25519 secret key and the AES-GCM tag
MAX_SEALED_CHARS = 512  # base64; a well-formed seal is ~200
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEADER_FIELDS = {"kdf", "t", "m", "p", "salt", "nonce"}


def _raw(public_key: X25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _context(user_id: int) -> str:
    return f"ballot-trustee:{user_id}"


def new_key(user_id: int, password: str) -> tuple[str, str]:
    """(public key hex, sealed secret key base64)."""
    key = X25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return _raw(key.public_key()).hex(), seal_secret(raw, user_id, password)


def seal_secret(secret_key: bytes, user_id: int, password: str) -> str:
    """The X25519 secret key sealed with the password (spec §7), base64."""
    return base64.b64encode(seal(secret_key, password, _context(user_id))).decode()


def check_public_key(public_key: str) -> bytes:
    """A trustee's X25519 public half as the tablet sends it: 64 lowercase hex digits, canonical (high bit clear),
    and not of small order (all-zero, one, or any point whose shared secret is all zero: a share sealed to it
    would be sealed to everyone). Raises ValidationFailed."""
    if not isinstance(public_key, str) or not _HEX64.fullmatch(public_key):
        raise ValidationFailed(
            "Khóa công khai phải gồm đúng 64 chữ số thập lục phân viết thường (32 byte X25519).",
            details={"field": "public_key"},
        )
    raw = bytes.fromhex(public_key)
    if raw[31] & 0x80 or int.from_bytes(raw, "little") >= 2**255 - 19:
        raise ValidationFailed(
            "Khóa công khai không phải là một điểm X25519 hợp lệ (mã hóa không chuẩn).", details={"field": "public_key"}
        )
    try:  # every clamped scalar is a multiple of 8: a point of order 1, 2, 4 or 8 gives the all-zero secret
        X25519PrivateKey.generate().exchange(X25519PublicKey.from_public_bytes(raw))
    except ValueError:
        raise ValidationFailed(
            "Khóa công khai không dùng được: đó là một điểm X25519 bậc thấp (hoặc toàn số 0).",
            details={"field": "public_key"},
        ) from None
    return raw


def _bad_seal(reason: str) -> ValidationFailed:
    return ValidationFailed(
        "Khóa bí mật đã niêm phong không đúng định dạng (ECKS1: argon2id + AES-256-GCM).",
        details={"field": "sealed_key", "reason": reason},
    )


def check_sealed(sealed_key: str) -> dict[str, Any]:
    """The form of a seal made on a tablet (spec §7), without opening it: base64 of "ECKS1\n" ‖ header ‖ "\n" ‖
    48 bytes, the header exactly {kdf: argon2id, t, m, p: 1, salt: 16 bytes, nonce: 12 bytes} with t and m within
    KDF_MIN..KDF_MAX. Answers the header. Raises ValidationFailed."""
    if not isinstance(sealed_key, str) or not 0 < len(sealed_key) <= MAX_SEALED_CHARS:
        raise _bad_seal("length")
    try:
        blob = base64.b64decode(sealed_key, validate=True)
    except (binascii.Error, ValueError):
        raise _bad_seal("base64") from None
    if not blob.startswith(MAGIC):
        raise _bad_seal("magic")
    header, newline, body = blob[len(MAGIC) :].partition(b"\n")
    if not newline:
        raise _bad_seal("header")
    try:
        p = strict_json.loads(header.decode("utf-8"))  # one meaning per header: no key twice, no NaN
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad_seal("header") from None
    if not isinstance(p, dict) or set(p) != _HEADER_FIELDS or p["kdf"] != "argon2id":
        raise _bad_seal("header")
    if not all(type(p[k]) is int for k in ("t", "m", "p")) or p["p"] != 1:
        raise _bad_seal("argon2id")
    try:
        salt = base64.b64decode(p["salt"], validate=True) if isinstance(p["salt"], str) else b""
        nonce = base64.b64decode(p["nonce"], validate=True) if isinstance(p["nonce"], str) else b""
    except (binascii.Error, ValueError):
        raise _bad_seal("salt") from None
    if len(salt) != 16 or len(nonce) != 12:
        raise _bad_seal("salt")
    if len(body) != SEALED_SECRET_BYTES:
        raise _bad_seal("body")
    if p["t"] < KDF_MIN["t"] or p["m"] < KDF_MIN["m"]:
        raise ValidationFailed(
            "Khóa bí mật được niêm phong với tham số argon2id yếu hơn mức tối thiểu (t ≥ {t}, m ≥ {m} KiB, p = 1).",
            t=KDF_MIN["t"],
            m=KDF_MIN["m"],
            details={"field": "sealed_key", "reason": "argon2id"},
        )
    if p["t"] > KDF_MAX["t"] or p["m"] > KDF_MAX["m"]:
        raise ValidationFailed(
            "Tham số argon2id của khóa đã niêm phong quá lớn: máy tính bảng sẽ không mở được (t ≤ {t}, m ≤ {m} KiB).",
            t=KDF_MAX["t"],
            m=KDF_MAX["m"],
            details={"field": "sealed_key", "reason": "argon2id"},
        )
    return p


def _kek(shared: bytes, eph: bytes, pub: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=eph + pub, info=b"ecabinet-ballot-share").derive(shared)


def seal_share(public_key_hex: str, share: bytes, aad: str) -> str:
    pub = bytes.fromhex(public_key_hex)
    eph = X25519PrivateKey.generate()
    eph_pub = _raw(eph.public_key())
    nonce = secrets.token_bytes(12)
    body = AESGCM(_kek(eph.exchange(X25519PublicKey.from_public_bytes(pub)), eph_pub, pub)).encrypt(
        nonce, share, aad.encode()
    )
    return base64.b64encode(eph_pub + nonce + body).decode()


def unseal_secret(sealed_key: str, user_id: int, password: str) -> bytes:
    """The trustee's X25519 secret key (what the trustee's browser does with libsodium + WebCrypto; here for
    tests, the bench and the legacy server-side step). keystore.unseal raises Forbidden on a wrong password."""
    return unseal(base64.b64decode(sealed_key), password, _context(user_id))


def check_opens(sealed_key: str, user_id: int, password: str) -> None:
    """Forbidden unless `password` opens the sealed key (the legacy key's release, votes/routes.py); the secret
    half is dropped at once."""
    unseal_secret(sealed_key, user_id, password)


def open_with_key(secret_key: bytes, sealed_share: str, aad: str) -> bytes:
    key = X25519PrivateKey.from_private_bytes(secret_key)
    blob = base64.b64decode(sealed_share)
    eph_pub, nonce, body = blob[:32], blob[32:44], blob[44:]
    pub = _raw(key.public_key())
    kek = _kek(key.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, pub)
    return AESGCM(kek).decrypt(nonce, body, aad.encode())


def open_share(sealed_key: str, user_id: int, password: str, sealed_share: str, aad: str) -> bytes:
    """Legacy (dealer) votes only: the share in memory on the server (through accounts/passwords.py `counted`,
    before the transaction that stores the partial decryption)."""
    return open_with_key(unseal_secret(sealed_key, user_id, password), sealed_share, aad)
