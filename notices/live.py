"""Live updates of notices and tasks: every change records a "notices.changed" outbox job naming whose pages
follow it (notices/changes.py _audience); after COMMIT each of those users' sockets gets `notices`
{type, notice_id} (room user:<id>, entered at connect after the login check) and the page reloads its data."""

from __future__ import annotations

from typing import Any

from infra.context import AppContext
from infra.outbox import Dispatcher
from notices.changes import LIVE


def install(dispatcher: Dispatcher) -> None:
    dispatcher.register(LIVE, deliver)


async def deliver(ctx: AppContext, ref: str, jobs: list[dict[str, Any]]) -> None:
    users: dict[int, str] = {}
    for job in jobs:
        for uid in job.get("user_ids", []):
            users[int(uid)] = str(job.get("type", ""))
    for uid, type_ in sorted(users.items()):
        await ctx.to_user(uid, "notices", {"type": type_, "notice_id": int(ref)})
