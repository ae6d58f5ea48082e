"""tests/waiting.py: eventually() returns the first truthy result, retries "not yet", and says what timed out."""

from __future__ import annotations

import pytest

from tests.waiting import eventually


async def test_returns_the_first_truthy_result_of_a_plain_or_async_check() -> None:
    calls: list[int] = []

    def grows() -> list[int]:
        calls.append(1)
        return calls if len(calls) >= 3 else []

    async def ready() -> str:
        return "ready"

    assert await eventually(grows, interval=0) == [1, 1, 1]
    assert await eventually(ready) == "ready"


async def test_an_assertion_in_the_check_means_not_yet() -> None:
    state = {"n": 0}

    def check() -> bool:
        state["n"] += 1
        assert state["n"] > 2, "too early"
        return True

    assert await eventually(check, interval=0) is True


async def test_a_timeout_names_what_was_awaited_and_the_last_result() -> None:
    with pytest.raises(AssertionError, match=r"waiting for the floor event; last: \[\]"):
        await eventually(lambda: [], "the floor event", timeout=0.05)
    with pytest.raises(AssertionError, match="AssertionError\\('big picture is red'\\)"):
        await eventually(lambda: (_ for _ in ()).throw(AssertionError("big picture is red")), timeout=0.05)
