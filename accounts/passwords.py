"""argon2id hashing and the password policy."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.errors import ValidationFailed

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps the timing of 'unknown user' equal to 'wrong password'.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure(*, time_cost: int, memory_cost: int) -> None:
    """Cheaper parameters for the test suite (hashes stay argon2id; verify reads the parameters from the hash)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
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
