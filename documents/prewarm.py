"""Pre-warm the page likely to be shown next: for everyone following the meeting when the presenter turns,
and for one reader turning pages alone (a restricted document is never presented to the room: each reader on
its list opens it on their own tablet).

When `presenter.changed` says the room is on page n of a document, page n+1 is rendered (if it is not yet)
and stamped for every user with a socket in the meeting (documents/stamped_pages.py), one after the other in
the background; the next turn then finds every tablet's image ready. Each viewer's read permission is
checked exactly as for a request (services.page_source); a viewer who may not read the document gets
nothing. A newer turn in the same meeting replaces the work still pending for the previous one.

The watermark carries the minute, so a stamped page is only good until the clock's minute turns: while the
room (or the reader) stays on a page, the next one is stamped again just after each minute starts, for at
most REFRESH_MINUTES (a person reads a page for minutes; 25 viewers cost ~0.4 s of CPU a minute).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from core.actor import Actor
from infra.context import AppContext
from core.errors import DomainError
from documents import services, stamped_pages, storage
from documents.routes import page_key, renderer_for

log = logging.getLogger("ecabinet.documents")
SIZE = "tablet"
# Work ahead starts after the room (or the reader) fetched what is shown now, never competing with it.
AFTER_TURN = 1.0
YIELD_FOR = 3.0  # at most, per page stamped ahead, while requests wait for theirs (a loaded machine)
REFRESH_MINUTES = 10
PAST_MINUTE = 0.3  # seconds into the new minute: every request from then on carries it


def until_next_minute() -> float:
    return 60.0 - time.time() % 60.0 + PAST_MINUTE


class Prewarm:
    def __init__(self, ctx: AppContext, followers: Callable[[int], list[Actor]]) -> None:
        self.ctx, self.followers = ctx, followers
        self.tasks: dict[int, asyncio.Task[bool]] = {}
        self.ahead: dict[tuple[int, int], asyncio.Task[bool]] = {}
        # the same work again each new minute, once the first round is done (keyed like tasks / ahead)
        self.refresh: dict[object, asyncio.Task[None]] = {}
        self.warmed = self.refreshed = 0  # viewer-pages stamped ahead, and again in a new minute (tests, bench)

    async def observe(self, envs: list[dict[str, Any]]) -> None:
        for env in envs:
            if env.get("type") != "presenter.changed":
                continue
            mid = env["meeting_id"]
            for old in (self.tasks.pop(mid, None), self.refresh.pop(("meeting", mid), None)):
                if old is not None:  # the room moved on (or the presentation ended)
                    old.cancel()
            shown = (env.get("data") or {}).get("presenter")
            if not shown or not shown.get("document_id") or not shown.get("page"):
                continue
            task = asyncio.get_running_loop().create_task(
                self._warm(shown["document_id"], shown.get("version"), shown["page"] + 1, mid)
            )
            self.tasks[mid] = task

            def forget(t: asyncio.Task[bool], mid: int = mid) -> None:
                if self.tasks.get(mid) is t:
                    self.tasks.pop(mid, None)

            task.add_done_callback(forget)

    async def _warm(
        self, document_id: int, version: int | None, page: int, meeting_id: int, again: bool = False
    ) -> bool:
        await asyncio.sleep(until_next_minute() if again else AFTER_TURN)
        seen: set[int] = set()
        for actor in self.followers(meeting_id):
            if actor.id in seen or actor.is_display:
                continue
            seen.add(actor.id)
            await self._one(actor, document_id, version, page, again=again)
        if not again:
            self._again(("meeting", meeting_id), lambda: self._warm(document_id, version, page, meeting_id, again=True))
        return True

    def _again(self, key: object, work: Callable[[], Awaitable[bool]]) -> None:
        """Do `work` again just after each of the next REFRESH_MINUTES minutes start (until it answers False)."""

        async def loop() -> None:
            for _ in range(REFRESH_MINUTES):
                if not await work():
                    return

        old = self.refresh.pop(key, None)
        if old is not None:
            old.cancel()
        task = self.refresh[key] = asyncio.get_running_loop().create_task(loop())
        task.add_done_callback(lambda t: self.refresh.pop(key, None) if self.refresh.get(key) is t else None)

    def read_ahead(self, actor: Actor, document_id: int, version: int, page: int, page_count: int) -> None:
        """After a reader got page n: stamp n+1 for them in the background (one per reader and document)."""
        key = (actor.id, document_id)
        if page > page_count or key in self.ahead:
            return
        task = asyncio.get_running_loop().create_task(self._one(actor, document_id, version, page, AFTER_TURN))
        self.ahead[key] = task

        def done(t: asyncio.Task[bool]) -> None:
            self.ahead.pop(key, None)
            if not t.cancelled() and t.result():
                self._again(
                    ("reader", key),
                    lambda: self._one(actor, document_id, version, page, until_next_minute(), again=True),
                )

        task.add_done_callback(done)

    async def _one(
        self, actor: Actor, document_id: int, version: int | None, page: int, delay: float = 0.0, again: bool = False
    ) -> bool:
        settings = self.ctx.settings
        try:
            await asyncio.sleep(delay)
            src = await self.ctx.read(
                services.page_source,
                actor=actor,
                document_id=document_id,
                page=page,
                version=version,
                timezone=settings.timezone,
            )
            base = await renderer_for(self.ctx).ensure(
                storage.blob_path(settings.data_dir, src.sha256), src.sha256, SIZE, page
            )
            for _ in range(int(YIELD_FOR / 0.02)):  # tablets waiting for the page shown now go first
                if not stamped_pages.PAGES.waiting:
                    break
                await asyncio.sleep(0.02)
            await stamped_pages.PAGES.get(base, page_key(src, SIZE, page), src.viewer, ahead=True)
        except DomainError:  # may not read it, or there is no such page
            return False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("pre-warming page %s of document %s failed", page, document_id, exc_info=True)
            return False
        if again:
            self.refreshed += 1
        else:
            self.warmed += 1
        return True

    async def stop(self) -> None:
        running = [*self.tasks.values(), *self.ahead.values(), *self.refresh.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
