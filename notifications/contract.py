"""How other packages notify someone: one outbox job in the producer's own transaction.

    core.outbox.add(session, kind="notify", ref=<unique str, ≤ 64>, payload={
        "event": <one of notifications.texts.EVENTS>, "user_ids": [<user id>, ...],
        "params": {...},            # what the texts use: poll_id, title, deadline_at (ISO), meeting_id, ...
        "link": "/polls/12",        # where the notification leads (a path of this site)
    })

`notify` below does exactly that. The ref names the notification: a job handled twice (a crash between
handling and deleting it), or two jobs with the same ref, notify each user once. The handler
(notifications/live.py) writes the rows, tells the recipients' open pages and queues the e-mails.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlmodel import Session

from core import outbox

KIND = "notify"
UNREAD = "notify.unread"  # the reader's other pages: their bell count after marking read


def notify(
    session: Session,
    *,
    event: str,
    ref: str,
    user_ids: Iterable[int],
    params: dict[str, Any] | None = None,
    link: str = "",
) -> None:
    ids = sorted({int(u) for u in user_ids})
    if ids:
        outbox.add(
            session,
            kind=KIND,
            ref=ref[:64],
            payload={"event": event, "user_ids": ids, "params": params or {}, "link": link},
        )
