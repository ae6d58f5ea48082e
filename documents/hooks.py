"""Extension point: other domains clean up after a document is removed, inside the same transaction.

A hook gets (session, access, document_id) and may write and record its own events (e.g. annotations drop
the document's notes and stop presenting it). Registered from app/domains.py.
"""
from __future__ import annotations

from typing import Callable

from sqlmodel import Session

from meetings.access import Access

RemovedHook = Callable[[Session, Access, int], None]
SavedHook = Callable[[Session, int], None]
_ON_REMOVED: dict[str, RemovedHook] = {}
_ON_SAVED: dict[str, SavedHook] = {}


def on_document_saved(name: str, hook: SavedHook) -> None:
    """`hook(session, document_id)` after a document is added, gets a new version or new details (the search index)."""
    _ON_SAVED[name] = hook


def document_saved(session: Session, document_id: int) -> None:
    for hook in _ON_SAVED.values():
        hook(session, document_id)


def on_document_removed(name: str, hook: RemovedHook) -> None:
    _ON_REMOVED[name] = hook


def document_removed(session: Session, acc: Access, document_id: int) -> None:
    for hook in _ON_REMOVED.values():
        hook(session, acc, document_id)
