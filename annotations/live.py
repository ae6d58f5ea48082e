"""Private annotation changes reach their author's own tablets (and no one else's).

Server -> client event `annotation` with {type: annotation.created | annotation.updated | annotation.deleted,
annotation: {...}} goes to the author's sockets only (room user:<author id>, which a socket enters at connect
after its login was checked). The service records it as an outbox job in its own transaction (`tell_author`),
so a REST call, a socket event or any later caller alike reaches the author's other tablets; the dispatcher
(infra/outbox.py) delivers it after COMMIT. No seq (these are not meeting events); the tablet that made the
change gets it too and upserts it idempotently; a client that reconnects refetches
GET /api/documents/{id}/annotations.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core import outbox

KIND = "annotation.to_author"


def tell_author(session: Session, author_id: int, type_: str, annotation: dict[str, Any]) -> None:
    outbox.add(session, kind=KIND, ref=author_id, payload={"type": type_, "annotation": annotation})


def install(dispatcher: Any) -> None:
    dispatcher.register(KIND, deliver)


async def deliver(ctx: Any, ref: str, jobs: list[dict[str, Any]]) -> None:
    for job in jobs:  # in the order they were committed
        await ctx.to_user(int(ref), "annotation", job)
