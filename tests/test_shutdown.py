"""A stopping node always stops: each step of the shutdown (app/factory.py) gets at most
ECABINET_SHUTDOWN_STEP_SECONDS; one that hangs or fails is logged by name and the steps after it still run."""

from __future__ import annotations

import asyncio
import logging

import pytest

from infra.settings import Settings
from tests.conftest import LiveServer, serving


class Step:
    """A background loop (ctx.background) whose stop hangs, fails or just records that it ran."""

    def __init__(self, how: str, stopped: list[str]) -> None:
        self.how, self.stopped = how, stopped

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        if self.how == "hangs":
            await asyncio.Event().wait()  # never set, and it swallows nothing: cancelled when left behind
        if self.how == "cancelled":  # e.g. it awaited a task that was cancelled under it
            self.stopped.append(self.how)
            raise asyncio.CancelledError
        self.stopped.append(self.how)
        if self.how == "fails":
            raise ConnectionError("Redis went away")


async def test_a_stuck_or_failing_step_does_not_keep_the_node_from_stopping(
    settings: Settings, db, caplog: pytest.LogCaptureFixture
) -> None:
    stopped: list[str] = []
    live = LiveServer(settings.with_(shutdown_step_seconds=0.5))
    # Stopped in reverse order: the hanging one first, then the failing one, the cancelled one, the one that works.
    steps = [Step(how, stopped) for how in ("works", "cancelled", "fails", "hangs")]
    live.app.state.ctx.background.extend(steps)
    with caplog.at_level(logging.WARNING, logger="ecabinet.app"):
        async with serving(live):
            pass
    assert stopped == ["fails", "cancelled", "works"]  # the steps after the stuck one ran
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("stopping background Step did not finish within 0.5 s" in m for m in errors), errors
    assert any("stopping background Step failed" in m for m in errors), errors
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("stopping background Step ended cancelled" in m for m in warnings), warnings


async def test_a_normal_shutdown_logs_no_step(settings: Settings, db, caplog: pytest.LogCaptureFixture) -> None:
    stopped: list[str] = []
    live = LiveServer(settings)
    live.app.state.ctx.background.append(Step("works", stopped))
    with caplog.at_level(logging.WARNING, logger="ecabinet.app"):
        async with serving(live):
            pass
    assert stopped == ["works"]
    assert not [r.getMessage() for r in caplog.records if "shutdown" in r.getMessage()]
