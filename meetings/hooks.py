"""Extension point: other domains react to a change of the current agenda item inside the same transaction.

A hook gets (session, access, previous_item_id) after the meeting's current item changed (start, activate,
next/previous, end) and returns the snapshot slices it changed; they ride on the meetings' own event, so a
client applying that one event stays equal to a fresh snapshot. Registered from app/domains.py.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlmodel import Session

from meetings.access import Access

ItemHook = Callable[[Session, Access, "int | None"], dict[str, Any]]
TextHook = Callable[[Session, int], None]
EndHook = Callable[[Session, Access], None]
_ON_CURRENT_ITEM: dict[str, ItemHook] = {}
_ON_TEXT: dict[str, TextHook] = {}
_ON_ENDED: dict[str, EndHook] = {}


def on_meeting_ended(name: str, hook: EndHook) -> None:
    """`hook(session, access)` as the chair ends the meeting, before it is marked ended (the votes still open close:
    nothing is cast, closed or counted once the session is over and its record is being written)."""
    _ON_ENDED[name] = hook


def meeting_ended(session: Session, acc: Access) -> None:
    for hook in _ON_ENDED.values():
        hook(session, acc)


def on_text_changed(name: str, hook: TextHook) -> None:
    """`hook(session, meeting_id)` after a meeting's details or agenda were written (the search index)."""
    _ON_TEXT[name] = hook


def text_changed(session: Session, meeting_id: int) -> None:
    for hook in _ON_TEXT.values():
        hook(session, meeting_id)


def on_current_item_changed(name: str, hook: ItemHook) -> None:
    _ON_CURRENT_ITEM[name] = hook


def current_item_changed(session: Session, acc: Access, previous_item_id: int | None) -> dict[str, Any]:
    slices: dict[str, Any] = {}
    for hook in _ON_CURRENT_ITEM.values():
        slices.update(hook(session, acc, previous_item_id) or {})
    return slices
