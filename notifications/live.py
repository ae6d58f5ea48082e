"""The outbox side of notifications: the "notify" job (notifications/contract.py) becomes rows, the bell of
each recipient's open pages moves (server -> client event `notification` {unread, event} to that user's
sockets only: room user:<id>), and the mailer is woken for the e-mails. Marking read moves the bell of the
reader's other pages ("notify.unread")."""

from __future__ import annotations

from typing import Any

from infra.context import AppContext
from infra.outbox import Dispatcher
from notifications import contract, services
from notifications.mailer import Mailer


def install(ctx: AppContext, dispatcher: Dispatcher) -> Mailer:
    mailer = Mailer(ctx)

    async def deliver(ctx: AppContext, ref: str, jobs: list[dict[str, Any]]) -> None:
        done = await ctx.db.write(
            services.record,
            ref=ref,
            jobs=jobs,
            tz=ctx.settings.timezone,
            mail=mailer.enabled,
            public_url=ctx.settings.public_url,
        )
        event = next((j.get("event") for j in jobs), None)
        for user_id, unread in done.result["users"].items():
            await ctx.to_user(
                user_id, "notification", {"type": "notification.created", "event": event, "unread": unread}
            )
        if done.result["mails"]:
            mailer.wake()

    async def recount(ctx: AppContext, ref: str, _jobs: list[dict[str, Any]]) -> None:
        unread = await ctx.read(lambda session: services._unread(session, int(ref)))
        await ctx.to_user(int(ref), "notification", {"type": "notification.read", "event": None, "unread": unread})

    dispatcher.register(contract.KIND, deliver)
    dispatcher.register(contract.UNREAD, recount)
    ctx.background.append(mailer)
    return mailer
