"""Trustee keys: each trustee's X25519 key pair, its secret half sealed with their password (the same argon2id +
AES-256-GCM seal as the signing key store, ledger/keystore.py), and the sealing of key shares to it.

A share is sealed to the trustee's public key when the vote opens (no password needed then) and can be opened
only with the trustee's password at the decryption step: ephemeral X25519 -> HKDF-SHA256 -> AES-256-GCM, the
vote and trustee index as associated data, so a sealed share cannot be moved to another vote or trustee.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger.keystore import seal, unseal


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


def open_with_key(secret_key: bytes, sealed_share: str, aad: str) -> bytes:
    key = X25519PrivateKey.from_private_bytes(secret_key)
    blob = base64.b64decode(sealed_share)
    eph_pub, nonce, body = blob[:32], blob[32:44], blob[44:]
    pub = _raw(key.public_key())
    kek = _kek(key.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub, pub)
    return AESGCM(kek).decrypt(nonce, body, aad.encode())


def open_share(sealed_key: str, user_id: int, password: str, sealed_share: str, aad: str) -> bytes:
    """Legacy (dealer) votes only: the share in memory on the server."""
    return open_with_key(unseal_secret(sealed_key, user_id, password), sealed_share, aad)
