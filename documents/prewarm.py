"""Pre-warm the page likely to be shown next: for everyone following the meeting when the presenter turns,
and for one reader turning pages alone (a restricted document is never presented to the room: each reader on
its list opens it on their own tablet).

When `presenter.changed` says the room is on page n of a document, page n+1, then n-1 (a presenter going
back), is rendered (if it is not yet) and stamped for every user with a socket in the meeting
(documents/stamped_pages.py), one after the other in the background; the next turn then finds every tablet's
image ready. Each viewer's read permission is
checked exactly as for a request (services.page_source); a viewer who may not read the document gets
nothing. A newer turn in the same meeting replaces the work still pending for the previous one.

The watermark carries the minute, so a stamped page is only good until the clock's minute turns: while the
room (or the reader) stays on a page, the next one is stamped again just after each minute starts, for at
most REFRESH_MINUTES (a person reads a page for minutes; 25 viewers cost ~0.1 s of CPU a minute).

Each follower's watermark (documents/watermark.py `mark`: their name and the minute, ~2 ms to draw) is drawn
ahead too: when their socket joins the meeting, for this minute, and MARK_AHEAD seconds before each minute
starts, the next minute's for everyone following; so a turn to a page nobody stamped yet (the
presenter jumps, a reader opens a restricted document) only composes and compresses. Only in a meeting that
has documents, and the restricted kind only for who is on a restricted document's list (documents/
followers.py): a mark is ~30 KiB, and who turns no page needs none. At most MARK_USERS users a pass: the
marks' cache holds four per user (two minutes, ordinary and restricted).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from functools import partial
from typing import Any, Awaitable, Callable

from core.actor import Actor
from infra.context import AppContext
from infra.gctune import trimmer
from core.clock import local, utcnow
from core.errors import DomainError
from documents import services, stamped_pages, storage, watermark
from documents.followers import marks_ahead
from documents.render import SIZES
from documents.routes import page_key, renderer_for

log = logging.getLogger("ecabinet.documents")
SIZE = "tablet"
# Work ahead starts after the room (or the reader) fetched what is shown now, never competing with it.
AFTER_TURN = 1.0
YIELD_FOR = 3.0  # at most, per page stamped ahead, while requests wait for theirs (a loaded machine)
REFRESH_MINUTES = 10
PAST_MINUTE = 0.3  # seconds into the new minute: every request from then on carries it
MARK_AHEAD = 5.0  # seconds before a minute starts: the followers' marks for it are drawn then
MARK_USERS = 36  # users whose marks are drawn ahead a pass (4 marks each; watermark.mark keeps 160)


def _around(shown: int) -> tuple[int, ...]:
    """The pages a presenter on page `shown` is likely to show next: the next, then the one before."""
    return (shown + 1, shown - 1) if shown > 1 else (shown + 1,)


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
        self.meetings: set[int] = set()  # meetings followed here: their followers' marks are kept drawn
        self.pending: set[tuple[int, int]] = set()  # (meeting, user) who just joined: their marks are drawn next
        self.drawn: set[tuple[int, str, bool]] = set()  # (user, minute's stamp, restricted) whose mark is drawn
        self.wake = asyncio.Event()
        self.drawer: asyncio.Task[None] | None = None
        self.marks_drawn = 0  # (tests, bench)
        self.marking = False  # drawing marks now (bench)

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
                self._warm(shown["document_id"], shown.get("version"), _around(shown["page"]), mid)
            )
            self.tasks[mid] = task

            def forget(t: asyncio.Task[bool], mid: int = mid) -> None:
                if self.tasks.get(mid) is t:
                    self.tasks.pop(mid, None)

            task.add_done_callback(forget)

    async def _warm(
        self, document_id: int, version: int | None, pages: tuple[int, ...], meeting_id: int, again: bool = False
    ) -> bool:
        await asyncio.sleep(until_next_minute() if again else AFTER_TURN)
        for page in pages:  # the next page for everyone first
            seen: set[int] = set()
            for actor in self.followers(meeting_id):
                if actor.id in seen or actor.is_display:
                    continue
                seen.add(actor.id)
                await self._one(actor, document_id, version, page, again=again)
        if not again:
            self._again(
                ("meeting", meeting_id), lambda: self._warm(document_id, version, pages, meeting_id, again=True)
            )
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

    def joined(self, meeting_id: int, actor: Actor) -> None:
        """A socket follows the meeting now (realtime/audience.py): its user's marks are drawn ahead."""
        if actor.is_display or not actor.id:
            return
        self.meetings.add(meeting_id)
        self.pending.add((meeting_id, actor.id))
        self.wake.set()
        if self.drawer is None:
            self.drawer = asyncio.get_running_loop().create_task(self._keep_marks())

    async def _keep_marks(self) -> None:
        """Draw the marks of who just joined, and MARK_AHEAD s before each minute everyone's for that minute."""
        ahead_of = 0  # the minute (epoch // 60) whose marks were drawn for every follower
        while True:
            now = time.time()
            minute = int(now // 60) + 1
            due = minute * 60 - MARK_AHEAD if ahead_of < minute else (minute + 1) * 60 - MARK_AHEAD
            try:
                await asyncio.wait_for(self.wake.wait(), max(0.0, due - now))
            except TimeoutError:
                pass
            self.wake.clear()
            users, self.pending = self.pending, set()
            if time.time() >= minute * 60 - MARK_AHEAD and ahead_of < minute:
                ahead_of = minute
                for mid in list(self.meetings):
                    following = {(mid, a.id) for a in self.followers(mid) if not a.is_display}
                    users |= following
                    if not following:
                        self.meetings.discard(mid)
            try:
                await self._draw_marks(sorted(users))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("drawing the followers' marks ahead failed", exc_info=True)

    async def _draw_marks(self, followers: list[tuple[int, int]]) -> None:
        """The marks of these (meeting, user) followers for this minute (and the next, when it is near) on a tablet
        page; ordinary, and restricted where their meeting has a restricted document; at most MARK_USERS users."""
        tz = self.ctx.settings.timezone
        now = utcnow()
        # this minute's; the next minute's too once it is MARK_AHEAD s away (the pass that runs then draws it for
        # every follower): marks are kept, ~40 KiB each, and a past minute's are of no use
        soon = until_next_minute() <= MARK_AHEAD + 2 * PAST_MINUTE
        moments = [now, now + timedelta(minutes=1)] if soon else [now]
        stamps = {local(t, tz).strftime(services.STAMP) for t in moments}
        self.drawn = {d for d in self.drawn if d[1] in stamps}
        if not followers:
            return
        self.marking = True
        try:
            viewers = await self.ctx.read(marks_ahead, followers=followers, timezone=tz, moments=moments)
            todo = [v for v in viewers if (v.user_id, v.stamp, v.restricted) not in self.drawn]
            users = sorted({v.user_id for v in todo})[:MARK_USERS]
            width = SIZES[SIZE]
            for v in (v for v in todo if v.user_id in users):  # one job each, behind every tablet's page
                await stamped_pages.PAGES.later(partial(watermark.viewer_mark, v, width, 2 * width))
                self.drawn.add((v.user_id, v.stamp, v.restricted))
                self.marks_drawn += 1
        finally:
            self.marking = False
            trimmer.connected()  # what drawing left in the C heap goes back to the system, as after joins

    async def stop(self) -> None:
        if self.drawer is not None:
            self.drawer.cancel()
            await asyncio.gather(self.drawer, return_exceptions=True)
            self.drawer = None
        running = [*self.tasks.values(), *self.ahead.values(), *self.refresh.values()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for task in list(self.tasks.values()):
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
