"""Extension points: other domains clean up after a document is removed, inside the same transaction; and
the after-commit rendering of an uploaded file's pages (an outbox job recorded by documents.services).

A hook gets (session, access, document_id) and may write and record its own events (e.g. annotations drop
the document's notes and stop presenting it; a presented document made restricted stops being presented).
Registered from app/domains.py.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session

from documents import live
from meetings.access import Access

RemovedHook = Callable[[Session, Access, int], None]
SavedHook = Callable[[Session, int], None]
_ON_REMOVED: dict[str, RemovedHook] = {}
_ON_SAVED: dict[str, SavedHook] = {}
_ON_UPDATED: dict[str, RemovedHook] = {}


def on_document_saved(name: str, hook: SavedHook) -> None:
    """`hook(session, document_id)` after a document is added, gets a new version or new details (the search index)."""
    _ON_SAVED[name] = hook


def document_saved(session: Session, document_id: int) -> None:
    for hook in _ON_SAVED.values():
        hook(session, document_id)


def on_document_updated(name: str, hook: RemovedHook) -> None:
    """`hook(session, access, document_id)` after a document's details changed (e.g. it became restricted)."""
    _ON_UPDATED[name] = hook


def document_updated(session: Session, acc: Access, document_id: int) -> None:
    for hook in _ON_UPDATED.values():
        hook(session, acc, document_id)


def on_document_removed(name: str, hook: RemovedHook) -> None:
    _ON_REMOVED[name] = hook


def document_removed(session: Session, acc: Access, document_id: int) -> None:
    for hook in _ON_REMOVED.values():
        hook(session, acc, document_id)


# --- after-commit work (outbox jobs, core/outbox.py; run by infra/outbox.py) ---------------------------


def install_jobs(dispatcher: Any) -> None:
    dispatcher.register("document.render", render_pages)
    live.install(dispatcher)


async def render_pages(ctx: Any, sha256: str, jobs: list[dict[str, Any]]) -> None:
    """An uploaded file's tablet and thumbnail images, in the background; only the missing pages, so a
    run again after a crash or a restart does only what is left. A file deleted meanwhile is skipped."""
    import asyncio

    from documents import storage
    from documents.routes import renderer_for  # the edge's renderer pool (imported late: routes import services)

    pdf = storage.blob_path(ctx.settings.data_dir, sha256)
    if pdf.exists():
        pages = max(int(j.get("page_count", 0)) for j in jobs)
        await asyncio.wait([renderer_for(ctx).start_background(pdf, sha256, pages)])  # a delete cancels it: done
