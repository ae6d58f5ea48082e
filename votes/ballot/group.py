"""The ristretto255 group through the system libsodium (ctypes): no curve arithmetic of our own.

PyNaCl does not expose ristretto255; libsodium >= 1.0.18 does (Debian: libsodium23), and the browser uses the
same functions from libsodium-wrappers-sumo, so both sides compute with one audited implementation.
Points are 32-byte canonical encodings (the identity is 32 zero bytes); scalars are 32-byte little-endian
integers reduced mod L. Scalar arithmetic (Shamir, Lagrange) is plain integer arithmetic mod L.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib

L = 2**252 + 27742317777372353535851937790883648493  # order of the group
IDENTITY = bytes(32)


def _load() -> ctypes.CDLL:
    name = ctypes.util.find_library("sodium") or "libsodium.so.23"
    lib = ctypes.CDLL(name)
    if lib.sodium_init() < 0:
        raise RuntimeError("libsodium failed to initialise")
    for fn in ("crypto_core_ristretto255_add", "crypto_core_ristretto255_sub", "crypto_scalarmult_ristretto255"):
        getattr(lib, fn).argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.crypto_scalarmult_ristretto255_base.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    lib.crypto_core_ristretto255_is_valid_point.argtypes = [ctypes.c_char_p]
    lib.crypto_core_ristretto255_from_hash.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib


_lib = _load()
BASE = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")


def is_point(p: bytes) -> bool:
    """A canonical encoding of a group element (the identity included)."""
    return (
        isinstance(p, bytes)
        and len(p) == 32
        and (p == IDENTITY or _lib.crypto_core_ristretto255_is_valid_point(p) == 1)
    )


def add(p: bytes, q: bytes) -> bytes:
    out = ctypes.create_string_buffer(32)
    if _lib.crypto_core_ristretto255_add(out, p, q) != 0:
        raise ValueError("invalid point")
    return out.raw


def sub(p: bytes, q: bytes) -> bytes:
    out = ctypes.create_string_buffer(32)
    if _lib.crypto_core_ristretto255_sub(out, p, q) != 0:
        raise ValueError("invalid point")
    return out.raw


def _scalar(n: int) -> bytes:
    return (n % L).to_bytes(32, "little")


def mul(n: int, p: bytes) -> bytes:
    """n·P. libsodium refuses a result equal to the identity (n ≡ 0, or P the identity); that result is the
    identity encoding, which we return as such after checking P is a valid point."""
    out = ctypes.create_string_buffer(32)
    if _lib.crypto_scalarmult_ristretto255(out, _scalar(n), p) != 0:
        if not is_point(p):
            raise ValueError("invalid point")
        return IDENTITY
    return out.raw


def base(n: int) -> bytes:
    """n·G (G the standard ristretto255 generator)."""
    out = ctypes.create_string_buffer(32)
    if _lib.crypto_scalarmult_ristretto255_base(out, _scalar(n)) != 0:
        return IDENTITY
    return out.raw


def hash_to_scalar(data: bytes) -> int:
    """SHA-512, read as a little-endian integer, mod L (what crypto_core_ristretto255_scalar_reduce does)."""
    return int.from_bytes(hashlib.sha512(data).digest(), "little") % L


def random_scalar() -> int:
    import secrets

    while True:
        n = secrets.randbelow(L)
        if n:
            return n
