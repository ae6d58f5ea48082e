"""Pre-warm the page likely to be shown next: for everyone following the meeting when the presenter turns,
and for one reader turning pages alone (a restricted document is never presented to the room: each reader on
its list opens it on their own tablet).

When `presenter.changed` says the room is on page n of a document, page n+1 is rendered (if it is not yet)
and stamped for every user with a socket in the meeting (documents/stamped_pages.py), one after the other in
the background; the next turn then finds every tablet's image ready. Each viewer's read permission is
checked exactly as for a request (services.page_source); a viewer who may not read the document gets
nothing. A newer turn in the same meeting replaces the work still pending for the previous one.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from core.actor import Actor
from infra.context import AppContext
from core.errors import DomainError
from documents import services, stamped_pages, storage
from documents.routes import page_key, renderer_for

log = logging.getLogger("ecabinet.documents")
SIZE = "tablet"
# Work ahead starts after the room (or the reader) fetched what is shown now, never competing with it.
AFTER_TURN = 1.0


class Prewarm:
    def __init__(self, ctx: AppContext, followers: Callable[[int], list[Actor]]) -> None:
        self.ctx, self.followers = ctx, followers
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.ahead: dict[tuple[int, int], asyncio.Task[bool]] = {}
        self.warmed = 0  # viewer-pages stamped ahead (tests, bench)

    async def observe(self, envs: list[dict[str, Any]]) -> None:
        for env in envs:
            shown = (env.get("data") or {}).get("presenter") if env.get("type") == "presenter.changed" else None
            if not shown or not shown.get("document_id") or not shown.get("page"):
                continue
            mid = env["meeting_id"]
            old = self.tasks.pop(mid, None)
            if old is not None:
                old.cancel()
            task = asyncio.get_running_loop().create_task(self._warm(shown["document_id"], shown.get("version"), shown["page"] + 1, mid))
            self.tasks[mid] = task

            def forget(t: asyncio.Task[None], mid: int = mid) -> None:
                if self.tasks.get(mid) is t:
                    self.tasks.pop(mid, None)

            task.add_done_callback(forget)

    async def _warm(self, document_id: int, version: int | None, page: int, meeting_id: int) -> None:
        await asyncio.sleep(AFTER_TURN)
        seen: set[int] = set()
        for actor in self.followers(meeting_id):
            if actor.id in seen or actor.is_display:
                continue
            seen.add(actor.id)
            await self._one(actor, document_id, version, page)

    def read_ahead(self, actor: Actor, document_id: int, version: int, page: int, page_count: int) -> None:
        """After a reader got page n: stamp n+1 for them in the background (one per reader and document)."""
        key = (actor.id, document_id)
        if page > page_count or key in self.ahead:
            return
        task = asyncio.get_running_loop().create_task(self._one(actor, document_id, version, page, AFTER_TURN))
        self.ahead[key] = task
        task.add_done_callback(lambda _t: self.ahead.pop(key, None))

    async def _one(self, actor: Actor, document_id: int, version: int | None, page: int, delay: float = 0.0) -> bool:
        settings = self.ctx.settings
        try:
            await asyncio.sleep(delay)
            src = await self.ctx.read(services.page_source, actor=actor, document_id=document_id, page=page,
                                      version=version, timezone=settings.timezone)  # fmt: skip
            base = await renderer_for(self.ctx).ensure(storage.blob_path(settings.data_dir, src.sha256), src.sha256, SIZE, page)
            await stamped_pages.PAGES.get(base, page_key(src, SIZE, page), src.viewer)
        except DomainError:  # may not read it, or there is no such page
            return False
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("pre-warming page %s of document %s failed", page, document_id, exc_info=True)
            return False
        self.warmed += 1
        return True

    async def stop(self) -> None:
        running = [*self.tasks.values(), *self.ahead.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
