"""argon2id hashing and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import ValidationFailed

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against a dummy hash keeps the timing of 'unknown user' equal to 'wrong password'
# (computed on first use, not at import).
_dummy_hash: str | None = None


def configure(*, time_cost: int, memory_cost: int) -> None:
    """Cheaper parameters for the test suite (hashes stay argon2id; verify reads the parameters from the hash)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
    _dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password")
    return _dummy_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_policy(password: str, *, min_length: int, username: str = "") -> None:
    problems = []
    if len(password) < min_length:
        problems.append(f"Mật khẩu phải có ít nhất {min_length} ký tự.")
    if password.isdigit() or password.isalpha():
        problems.append("Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt.")
    if username and username.lower() in password.lower():
        problems.append("Mật khẩu không được chứa tên đăng nhập.")
    if problems:
        raise ValidationFailed(" ".join(problems), details=[{"field": "password", "message": p} for p in problems])
