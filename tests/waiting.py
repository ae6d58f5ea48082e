"""Awaiting a condition in tests: the one polling helper of each kind, `eventually` in async code and
`eventually_sync` in blocking code (no fixed sleep decides an outcome)."""

from __future__ import annotations

import asyncio
import inspect
import time
from typing import Any, Awaitable, Callable, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(
    check: Callable[[], Awaitable[T]], what: str = "", *, timeout: float = 10, interval: float = 0.02
) -> T: ...
@overload
async def eventually(check: Callable[[], T], what: str = "", *, timeout: float = 10, interval: float = 0.02) -> T: ...
async def eventually(
    check: Callable[[], T | Awaitable[T]], what: str = "", *, timeout: float = 10, interval: float = 0.02
) -> T:
    """Call `check` (plain or async) until it returns something truthy, and return that. An AssertionError
    it raises means "not yet". After `timeout` seconds: fail, saying `what` was awaited and the last result."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            result: Any = check()
            if inspect.isawaitable(result):
                result = await result
            last: object = result
        except AssertionError as exc:
            result, last = None, exc
        if result:
            return result
        if loop.time() >= deadline:
            raise _timed_out(check, what, timeout, last)
        await asyncio.sleep(interval)


def eventually_sync(check: Callable[[], T], what: str = "", *, timeout: float = 10, interval: float = 0.02) -> T:
    """`eventually` where nothing is async (a fixture waiting on a subprocess, a thread, a blocking client): the
    same contract, the thread sleeping between the calls."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result: Any = check()
            last: object = result
        except AssertionError as exc:
            result, last = None, exc
        if result:
            return result
        if time.monotonic() >= deadline:
            raise _timed_out(check, what, timeout, last)
        time.sleep(interval)


def _timed_out(check: Callable[..., Any], what: str, timeout: float, last: object) -> AssertionError:
    return AssertionError(f"timed out after {timeout} s waiting for {what or _name(check)}; last: {last!r}")


def _name(check: Callable[..., Any]) -> str:
    name = getattr(check, "__qualname__", repr(check))
    return "a condition" if name == "<lambda>" else name
