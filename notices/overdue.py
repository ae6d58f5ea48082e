"""The overdue check runs by itself: at start-up (so a restart catches up on what came due while down) and then
every ECABINET_TASK_CHECK_SECONDS. It is idempotent (notices/tasks.py mark_overdue sets a flag in the same
transaction as the notification job), so several nodes or a rerun tell each overdue task once."""

from __future__ import annotations

import asyncio
import logging

from infra.background import Loop
from infra.context import AppContext
from notices import tasks

log = logging.getLogger("ecabinet.notices")


class OverdueCheck(Loop):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def run_once(self) -> list[int]:
        marked: list[int] = await self.ctx.write(tasks.mark_overdue, tz=self.ctx.settings.timezone)
        return marked

    async def run(self) -> None:
        while True:
            try:
                told = await self.run_once()
                if told:
                    log.info("nhiệm vụ quá hạn đã được thông báo: %s", told)
            except Exception:
                log.exception("kiểm tra nhiệm vụ quá hạn không chạy được; thử lại ở lượt sau")
            await asyncio.sleep(self.ctx.settings.task_check_seconds)


def install(ctx: AppContext) -> OverdueCheck:
    check = OverdueCheck(ctx)
    ctx.background.append(check)
    return check
