"""argon2id hashing and the password policy (length, not mostly one character, not the user's own name,
and a zxcvbn strength estimate, which brings lists of common passwords, names and keyboard walks)."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections import Counter
from collections.abc import Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from core.errors import Forbidden, ValidationFailed
from core.i18n import N_, Msg
from core.text import fold

# OWASP Password Storage Cheat Sheet: argon2id with m=19 MiB, t=2, p=1 at least, or one of its equivalents
# (m=46 MiB t=1, m=12 MiB t=3, m=9 MiB t=4, m=7 MiB t=5, all p=1). We take 19 MiB with t=3: 1.5x the
# minimum's work, ~40-60 ms on the 2-core server (docs/performance.md). p=1: a login uses one core, so two
# logins hash side by side instead of four threads each fighting over two cores. argon2-cffi's default
# (64 MiB, t=3, p=4) took ~300 ms alone and seconds for a room of tablets logging in together.
TIME_COST, MEMORY_COST_KIB, PARALLELISM = 3, 19 * 1024, 1
OWASP_MINIMUMS = ((47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5))  # (memory KiB, iterations), p=1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)
# Verifying against a dummy hash keeps the timing of 'unknown user' equal to 'wrong password'
# (made when the app is created, not at import).
_dummy_hash: str | None = None
# At most one hash per core at a time: more only share the cores (every login slower) and each holds
# ~19 MiB; the others wait in the event loop, not in worker threads the rest of the app needs.
_SLOTS = max(1, os.cpu_count() or 1)
_limiters: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]" = weakref.WeakKeyDictionary()


def configure(*, time_cost: int, memory_cost: int) -> None:
    """Cheaper parameters for the test suite (hashes stay argon2id; verify reads the parameters from the hash)."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)
    _dummy_hash = None


def parameters() -> dict[str, int]:
    """The parameters new hashes are made with."""
    return {"time_cost": _hasher.time_cost, "memory_cost": _hasher.memory_cost, "parallelism": _hasher.parallelism}


def warm_up() -> None:
    """Makes the dummy hash now, so that not even the first unknown user name answers at a different pace."""
    _dummy()


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


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of checking a password against the hash stored when the check began. `new_hash`: the same
    password hashed with today's parameters, when it was right and the stored hash used older ones."""

    checked_hash: str | None
    ok: bool
    length: int
    new_hash: str | None = None


def check(password_hash: str | None, password: str) -> PasswordCheck:
    ok = verify_password(password_hash, password)
    new_hash = None
    if ok and password_hash is not None and _hasher.check_needs_rehash(password_hash):
        new_hash = _hasher.hash(password)
    return PasswordCheck(checked_hash=password_hash, ok=ok, length=len(password), new_hash=new_hash)


async def check_off_loop(password_hash: str | None, password: str) -> PasswordCheck:
    """`check` in a worker thread, one per core at most, outside any database transaction: a login never
    holds SQLite's write lock (or a PostgreSQL transaction) while it hashes."""
    return await anyio.to_thread.run_sync(check, password_hash, password, limiter=_slots())  # waits in the loop


def _slots() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(_SLOTS)
    return limiter


T = TypeVar("T")
# The budget of the account password typed by a signed-in user (password change, trustee key...): one per user,
# whatever the route, so that spreading guesses over several routes gains nothing.
TOO_MANY = N_("Nhập sai mật khẩu hiện tại quá nhiều lần; thử lại sau {seconds} giây.")


def account_key(user_id: int) -> str:
    return f"password:{user_id}"


async def counted(ctx: Any, key: str, message: str, check: Callable[..., T], *args: Any, hash_slot: bool = True) -> T:
    """THE way a secret typed by a signed-in user is checked: the account password, the signing password, a key
    sealed with either. The attempt is counted in the login's failure budget (ctx.login_limiter, key `key`) BEFORE
    the check, so guesses beyond the limit, parallel ones included, are never evaluated (RateLimited: 429 with
    Retry-After, `message` may use {seconds}). `check(*args)` runs in a worker thread (`hash_slot`: one of the
    hash slots, one per core, as a login's) and never inside a database transaction: the caller reads what it
    needs before and writes after, so no slow hash holds SQLite's write lock. `check` raises Forbidden for a
    wrong secret (the attempt stays counted); anything else is no guess (released). A right one forgives the
    earlier typos."""
    attempt = await ctx.login_limiter.reserve({key: ctx.settings.login_max_failures}, message)
    try:
        limiter = _slots() if hash_slot else None
        result: T = await anyio.to_thread.run_sync(lambda: check(*args), limiter=limiter)
    except Forbidden:
        raise  # a wrong secret: stays counted
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()
    await ctx.login_limiter.clear(key)
    return result


@asynccontextmanager
async def current_password(ctx: Any, actor_id: int, stored: Callable[[], Awaitable[str | None]], password: str) -> Any:
    """`async with current_password(...) as check:` for a change of one's own account that asks for the current
    password (the password change, the notification address): counted before the check in the budget
    f"password:{actor_id}" (RateLimited beyond it), hashed outside any transaction (`stored()` reads the hash),
    and the write inside the block refuses a wrong one (Forbidden: the attempt stays counted; anything else that
    fails is no guess)."""
    attempt = await ctx.login_limiter.reserve(
        {f"password:{actor_id}": ctx.settings.login_max_failures},
        N_("Nhập sai mật khẩu hiện tại quá nhiều lần; thử lại sau {seconds} giây."),
    )
    try:
        yield await check_off_loop(await stored(), password)
    except Forbidden:
        raise
    except BaseException:
        await attempt.release()
        raise
    await attempt.release()


async def off_loop(slow: Callable[..., T], *args: Any) -> T:
    """`slow(*args)` (argon2id: a hash, or a seal made or opened with a password) in a worker thread holding one
    of the hash slots, and never inside a database transaction: the caller reads before and writes after."""
    return await anyio.to_thread.run_sync(lambda: slow(*args), limiter=_slots())  # waits in the loop


def new_hash(password: str, *, min_length: int, username: str, full_name: str) -> str:
    """A new password checked against the policy (ValidationFailed) and hashed: slow (zxcvbn, then argon2id),
    for a worker thread (new_hash_off_loop), never inside a write transaction."""
    check_policy(password, min_length=min_length, username=username, full_name=full_name)
    return hash_password(password)


async def new_hash_off_loop(password: str, *, min_length: int, username: str, full_name: str) -> str:
    """`new_hash` in a worker thread (a hash slot): the write that stores it then holds no lock while it hashes
    (the password change, an administrator's reset, a new account)."""
    return await off_loop(lambda: new_hash(password, min_length=min_length, username=username, full_name=full_name))


def checked(password_hash: str | None, password: str) -> PasswordCheck:
    """`check` for a signed-in user's account password (with `counted`): Forbidden when it is wrong."""
    result = check(password_hash, password)
    if not result.ok:
        raise Forbidden("Mật khẩu không đúng.")
    return result


# Words an attacker of this system tries first, besides zxcvbn's own lists (common passwords, names, English
# words, keyboard walks): Vietnamese stock passwords and the organisation's own vocabulary.
_LOCAL_WORDS = (
    "matkhau",
    "matma",
    "bimat",
    "anhyeuem",
    "emyeuanh",
    "yeuem",
    "vietnam",
    "hanoi",
    "saigon",
    "hochiminh",
    "chinhphu",
    "vanphong",
    "ecabinet",
    "cabinet",
    "quantri",
    "thutuong",
    "botruong",
    "thanhvien",
    "khachmoi",
    "thuky",
    "chutoa",
    "hopkhonggiay",
    "congchuc",
    "demo",
)
_ZXCVBN_MAX = 72  # the library refuses longer input; a long password is judged by its first 72 characters
_MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
_DO = N_("Hãy dùng một cụm từ dài khó đoán (ví dụ ba, bốn từ không liên quan cùng chữ số hoặc ký hiệu).")


def _personal_words(username: str, full_name: str) -> list[str]:
    words = [fold(username)] if username else []
    name = fold(full_name).split()
    if name:
        words += [w for w in name if len(w) >= 4] + ["".join(name)]
    return words


def _guessability(folded: str, personal: list[str]) -> str | None:
    """Why zxcvbn thinks the password falls to a guesser quickly (Vietnamese), or None when it does not."""
    result = zxcvbn(folded[:_ZXCVBN_MAX], user_inputs=[*personal, *_LOCAL_WORDS])
    if result["score"] >= _MIN_SCORE:
        return None
    kinds = {m.get("dictionary_name") or m["pattern"] for m in result["sequence"]}
    if "passwords" in kinds or "user_inputs" in kinds:
        return N_("Mật khẩu nằm trong danh sách mật khẩu phổ biến hoặc chỉ ghép từ và số dễ đoán.")
    if kinds & {"spatial", "sequence", "repeat", "date"}:
        return N_("Mật khẩu là dãy phím, dãy ký tự liên tiếp, lặp lại hoặc ngày tháng: dễ bị dò ra.")
    return N_("Mật khẩu quá dễ đoán.")


def policy_problems(password: str, *, min_length: int, username: str = "", full_name: str = "") -> list[str]:
    """What is wrong with a new password (Vietnamese), empty when it is acceptable."""
    problems: list[str] = []
    stripped = password.strip()
    if len(password) < min_length:
        problems.append(Msg("Mật khẩu phải có ít nhất {min_length} ký tự.", min_length=min_length))
    if not stripped or len(set(stripped)) < 4 or Counter(password).most_common(1)[0][1] * 2 > len(password):
        problems.append(N_("Mật khẩu không được chỉ gồm khoảng trắng hoặc phần lớn là một ký tự lặp lại."))
    folded = fold(password)
    personal = _personal_words(username, full_name)
    if any(len(w) >= 4 and w in folded.replace(" ", "") for w in personal):
        problems.append(N_("Mật khẩu không được chứa tên đăng nhập hoặc họ tên của bạn."))
    if not problems and (why := _guessability(folded, personal)):
        problems.append(why)
    return problems + [_DO] if problems else []


def check_policy(password: str, *, min_length: int, username: str = "", full_name: str = "") -> None:
    problems = policy_problems(password, min_length=min_length, username=username, full_name=full_name)
    if problems:
        raise ValidationFailed(
            "{problems}", problems=problems, details=[{"field": "password", "message": p} for p in problems]
        )
